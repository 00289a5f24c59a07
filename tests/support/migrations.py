"""Migration tests' parts: an empty database to move between revisions, and rows of what an old
schema held, written with plain SQL (the models describe only the newest schema)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, Engine, text

from storage.db import alembic_config, make_engine
from storage.models import utcnow

ONE_ITEM = (
    "INSERT INTO \"user\" (id, name, role, created_at) VALUES (1, 'o', 'owner', :t)",
    "INSERT INTO negotiation (id, owner_id, creditor, currency, status, created_at, "
    "updated_at) VALUES (1, 1, 'x', 'CNY', 'open', :t, :t)",
    "INSERT INTO evidence (id, negotiation_id, kind, direction, original_filename, "
    "media_type, size, sha256, blob_id, extracted_metadata, created_at) VALUES "
    "(1, 1, 'note', 'unknown', 'a.txt', 'text/plain', 1, 'ab', 'b1', '{}', :t)",
)


def insert_old_rows(connection: Connection, *statements: str) -> None:
    """An owner, a negotiation and evidence #1 (columns every schema since 0001 has), then
    `statements`; `:t` in any of them is now (naive UTC, as the old schemas stored it)."""
    now = {"t": utcnow().replace(tzinfo=None)}
    for statement in (*ONE_ITEM, *statements):
        connection.execute(text(statement), now)


def old_engine(request, tmp_path: Path, backend: str) -> Engine:
    """An empty database for `backend` ("sqlite": an SQLCipher file under `tmp_path`,
    "postgres": the test run's server), to be moved to an old revision."""
    url = request.getfixturevalue("postgres_db_url") if backend == "postgres" else ""
    return make_engine(url, sqlite_path=tmp_path / "old.db", key=os.urandom(32))


def upgrade(engine: Engine, revision: str) -> None:
    """`alembic upgrade` to `revision`, in one transaction."""
    _alembic(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _alembic(engine, command.downgrade, revision)


def _alembic(engine: Engine, step, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)
