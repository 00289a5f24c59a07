"""The database as a portable dump, and back.

A dump is UTF-8 JSON lines, so a backup of the SQLCipher file restores into PostgreSQL and back:
first `{"format": "liuhen-dump", "version": 1, "revision": ..., "dialect": ...}`, then for each
table of `storage.models`, parents before children, `{"table": name, "columns": [...]}`, its
rows in primary-key order as JSON arrays, and `{"end": name, "rows": n}`; last `{"end_of_dump":
total rows}`. Times are ISO 8601 in UTC, dates ISO, money decimal strings, enums their values.
Dialect-specific structures (the search index's tables, the trigram indexes, `alembic_version`)
are not rows of a model and are not dumped: the migrations make them, and the search index
fills itself as the rows go in (its triggers on SQLite; the indexes on PostgreSQL).

The dump is read in one transaction (a snapshot of the database), never written in clear:
`logger.backup.backup` encrypts the lines as they are made.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from logger.backup.repository import BackupError
from storage.db import alembic_config
import storage.models
from storage.models.types import Money, UTCDateTime

FORMAT = "liuhen-dump"
VERSION = 1
BATCH = 500


class DumpError(BackupError):
    """The dump is not one this Liuhen can read, or it is incomplete."""


@dataclass
class DumpSummary:
    revision: str = ""
    dialect: str = ""
    tables: dict[str, int] = field(default_factory=dict)
    blob_ids: set[str] = field(default_factory=set)  # the evidence rows' blobs

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def tables() -> list[sa.Table]:
    """Every table, in the order their foreign keys allow."""
    storage.models.load_all()
    return list(SQLModel.metadata.sorted_tables)


# --------------------------------------------------------------------------- out


@contextlib.contextmanager
def snapshot_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside one read transaction, so every table is read as of one moment.

    SQLite's driver does not begin a transaction for a SELECT, so BEGIN is issued by hand (in
    WAL mode the snapshot is taken at the first read); PostgreSQL reads at REPEATABLE READ."""
    with engine.connect() as raw:
        if engine.dialect.name == "sqlite":
            connection = raw.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("BEGIN")
            try:
                yield connection
            finally:
                connection.exec_driver_sql("ROLLBACK")
        else:
            connection = raw.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin() as transaction:
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield connection
                transaction.rollback()


def dump_lines(connection: Connection, summary: DumpSummary,
               leave_out: Mapping[str, Callable[[Any], bool]] | None = None) -> Iterator[bytes]:
    """The dump of the database behind `connection`, line by line; fills `summary` as it goes
    (complete once the iterator is exhausted). `leave_out`: table name -> which of its rows
    are not dumped (what a backup keeps beside the dump, such as the vault)."""
    leave_out = leave_out or {}
    summary.revision = MigrationContext.configure(connection).get_current_revision() or ""
    summary.dialect = connection.dialect.name
    if not summary.revision:
        raise DumpError("the database has never been migrated; there is nothing to back up")
    yield _line({"format": FORMAT, "version": VERSION, "revision": summary.revision,
                 "dialect": summary.dialect})
    for table in tables():
        columns = list(table.columns)
        yield _line({"table": table.name, "columns": [c.name for c in columns]})
        blob_column = columns.index(table.c.blob_id) if table.name == "evidence" else None
        count = 0
        query = sa.select(*columns).order_by(*table.primary_key.columns)
        skip = leave_out.get(table.name)
        for row in connection.execute(query, execution_options={"yield_per": BATCH}):
            if skip is not None and skip(row):
                continue
            if blob_column is not None:
                summary.blob_ids.add(row[blob_column])
            yield _line([_encode(value) for value in row])
            count += 1
        summary.tables[table.name] = count
        yield _line({"end": table.name, "rows": count})
    yield _line({"end_of_dump": summary.rows})


def _line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


# --------------------------------------------------------------------------- reading


def lines_of(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a text given in pieces (a JSON line never holds a raw newline)."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *whole, rest = rest.split(b"\n")
        yield from whole
    if rest:
        yield rest


def read_dump(lines: Iterable[bytes],
              on_table: Callable[[str, list[str], Iterator[list]], None] | None = None
              ) -> DumpSummary:
    """Walk a dump: check its header, its sections and its end; `on_table(name, columns,
    rows)` is called for each table with an iterator over its rows (which must be consumed).
    Raises DumpError naming what is wrong."""
    lines = iter(lines)
    header = _parse(next(lines, b""), "the header")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DumpError("the database dump does not start with a Liuhen dump header")
    if header.get("version") != VERSION:
        raise DumpError(f"the database dump is version {header.get('version')!r}; this Liuhen "
                        f"reads version {VERSION}")
    summary = DumpSummary(revision=str(header.get("revision") or ""),
                          dialect=str(header.get("dialect") or ""))
    known = {t.name for t in tables()}
    while True:
        section = _parse(next(lines, b""), "a table heading")
        if isinstance(section, dict) and "end_of_dump" in section:
            if section["end_of_dump"] != summary.rows:
                raise DumpError(f"the database dump says it holds {section['end_of_dump']} "
                                f"rows, but {summary.rows} were read")
            break
        if not (isinstance(section, dict) and isinstance(section.get("table"), str)
                and isinstance(section.get("columns"), list)):
            raise DumpError("the database dump ends early or is malformed (a table heading "
                            "was expected)")
        name, columns = section["table"], section["columns"]
        if name not in known:
            raise DumpError(f"the database dump holds a table {name!r} this Liuhen does not "
                            "know; restore it with the version that made the backup")
        counter = _Rows(lines, name, len(columns))
        blob_column = columns.index("blob_id") if name == "evidence" else None
        rows: Iterator[list] = iter(counter)
        if blob_column is not None:
            rows = _noting(rows, blob_column, summary.blob_ids)
        if on_table is not None:
            on_table(name, columns, rows)
        for _ in rows:  # whatever on_table left unread
            pass
        summary.tables[name] = counter.count
    if next(lines, None) is not None:
        raise DumpError("the database dump goes on after its end")
    return summary


class _Rows:
    """The rows of one table section, up to its end line (whose count must match)."""

    def __init__(self, lines: Iterator[bytes], table: str, width: int):
        self.lines, self.table, self.width, self.count = lines, table, width, 0

    def __iter__(self) -> Iterator[list]:
        while True:
            value = _parse(next(self.lines, b""), f"table {self.table}")
            if isinstance(value, list) and len(value) == self.width:
                self.count += 1
                yield value
                continue
            if isinstance(value, dict) and value.get("end") == self.table:
                if value.get("rows") != self.count:
                    raise DumpError(f"table {self.table} in the database dump has "
                                    f"{self.count} rows, but its end says {value.get('rows')}")
                return
            raise DumpError(f"table {self.table} in the database dump ends early or holds a "
                            "malformed row")


def _noting(rows: Iterator[list], column: int, into: set[str]) -> Iterator[list]:
    for row in rows:
        into.add(row[column])
        yield row


def _parse(line: bytes, where: str) -> Any:
    if not line:
        raise DumpError(f"the database dump ends early ({where} is missing)")
    try:
        return json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DumpError(f"the database dump is malformed at {where}") from None


# --------------------------------------------------------------------------- in


def known_revision(revision: str) -> bool:
    """Whether this Liuhen's migrations know `revision` (a newer version's backup: not)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown or malformed id
        return False


def load_table(connection: Connection, name: str, columns: list[str],
               rows: Iterator[list], fixups: list) -> int:
    """Insert one table's rows as the dump gives them (ids kept). A reference to a row of the
    same table not yet inserted (a parent with a higher id) goes in as NULL and is put in
    `fixups`, for `apply_fixups` once every row is in."""
    model = SQLModel.metadata.tables[name]
    typed = [model.c[c] if c in model.c else None for c in columns]
    target = sa.Table(name, sa.MetaData(), *[
        sa.Column(c, column.type if column is not None else sa.types.NullType(),
                  primary_key=column is not None and column.primary_key)
        for c, column in zip(columns, typed, strict=True)])
    decoders = [_decoder(column) for column in typed]
    pk = [c.name for c in model.primary_key.columns]
    self_refs = [fk.parent.name for fk in model.foreign_keys
                 if fk.column.table is model and fk.parent.name in columns]
    inserted: set = set()
    batch, count = [], 0
    for values in rows:
        row = {c: decode(v) for c, decode, v in zip(columns, decoders, values, strict=True)}
        if self_refs and len(pk) == 1:
            for ref in self_refs:
                if row[ref] is not None and row[ref] not in inserted:
                    fixups.append((name, pk[0], row[pk[0]], ref, row[ref]))
                    row[ref] = None
            inserted.add(row[pk[0]])
        batch.append(row)
        if len(batch) >= BATCH:
            connection.execute(target.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        connection.execute(target.insert(), batch)
        count += len(batch)
    return count


def apply_fixups(connection: Connection, fixups: list) -> None:
    for name, pk, key, column, value in fixups:
        table = SQLModel.metadata.tables[name]
        connection.execute(sa.update(table).where(table.c[pk] == key).values({column: value}))


def reset_sequences(connection: Connection, names: Iterable[str]) -> None:
    """On PostgreSQL, move the id sequence of each table `names` (those the restore filled)
    past the ids the restore wrote, so the next insert does not collide with them (SQLite
    takes max(id) + 1 by itself)."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in (SQLModel.metadata.tables[name] for name in names):
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer):
            continue
        column = quote(pk[0].name)
        connection.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "
            f"COALESCE(MAX({column}), 0) + 1, false) FROM {quote(table.name)}"),
            {"table": quote(table.name), "column": pk[0].name})


def _decoder(column: sa.Column | None) -> Callable[[Any], Any]:
    kind = column.type if column is not None else None

    def typed(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return lambda value: None if value is None else convert(value)

    if isinstance(kind, (UTCDateTime, sa.DateTime)):
        return typed(lambda v: datetime.fromisoformat(v).astimezone(UTC))
    if isinstance(kind, sa.Date):
        return typed(date.fromisoformat)
    if isinstance(kind, Money) or (isinstance(kind, sa.Numeric)
                                   and not isinstance(kind, sa.Float)):
        return typed(lambda v: Decimal(str(v)))
    if isinstance(kind, sa.Enum) and kind.enum_class is not None:
        return typed(kind.enum_class)
    return lambda value: value
