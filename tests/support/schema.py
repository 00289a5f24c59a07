"""A fresh SQLCipher database gets its schema from a recording (a pytest plugin, see
tests/conftest.py).

`alembic upgrade head` over every migration costs about half a second per new data dir, and
nearly every test makes one. Once per run, a database is migrated for real and its schema (the
CREATE statements in `sqlite_master`, in order, without the tables SQLite makes itself) and rows
(the alembic version) are recorded; a data dir opened by Services then replays them when its
database is empty. A database that already holds tables (an old data dir reopened, a test of
an older schema) and PostgreSQL go through the real migrations, and tests/storage/ calls
storage.db.migrate itself, which this does not touch."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import logger.services
from storage.db import make_engine, migrate


# The tables an FTS5 (or FTS4) virtual table makes for itself.
SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config", "segments", "segdir", "stat")


@dataclass(frozen=True)
class Recording:
    statements: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...], tuple[tuple, ...]], ...]  # table, columns, rows


def record_schema() -> Recording:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine("", sqlite_path=Path(folder) / "schema.db", key=os.urandom(32))
        migrate(engine)
        raw = engine.raw_connection()
        try:
            cursor = raw.driver_connection.cursor()
            objects = cursor.execute("SELECT type, name, sql FROM sqlite_master "
                                     "WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
            virtual = [name for kind, name, sql in objects
                       if kind == "table" and sql.upper().startswith("CREATE VIRTUAL TABLE")]
            # SQLite makes these itself: its own tables and a virtual table's shadow tables
            # (and their indexes).
            shadows = {f"{v}_{suffix}" for v in virtual for suffix in SHADOW_SUFFIXES}
            made = [name for kind, name, sql in objects
                    if name.startswith("sqlite_") or (kind == "table" and name in shadows)]
            statements = tuple(sql for kind, name, sql in objects if name not in made)
            rows = []
            for kind, name, _sql in objects:
                if kind != "table" or name in made or name in virtual:
                    continue
                found = cursor.execute(f'SELECT * FROM "{name}"')
                columns = tuple(d[0] for d in found.description)
                values = tuple(found.fetchall())
                if values:
                    rows.append((name, columns, values))
        finally:
            raw.close()
        engine.dispose()
    return Recording(statements, tuple(rows))


def replay_or_migrate(engine, recording: Recording) -> None:
    if engine.dialect.name != "sqlite":
        migrate(engine)
        return
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        if connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            fresh = False
        else:
            fresh = True
            connection.execute("BEGIN IMMEDIATE")
            for statement in recording.statements:
                connection.execute(statement)
            for table, columns, values in recording.rows:
                marks = ", ".join("?" for _ in columns)
                names = ", ".join(f'"{c}"' for c in columns)
                connection.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                                       values)
            connection.execute("COMMIT")
    finally:
        raw.close()
    if not fresh:
        migrate(engine)


@pytest.fixture(scope="session")
def recorded_schema() -> Recording:
    return record_schema()


@pytest.fixture(autouse=True)
def fresh_schema_from_recording(monkeypatch, recorded_schema):
    monkeypatch.setattr(logger.services, "migrate",
                        lambda engine: replay_or_migrate(engine, recorded_schema))
