"""The database engine: an SQLCipher-encrypted SQLite file by default, PostgreSQL when configured.

`make_engine` builds the engine (and proves the key on SQLite), `migrate` brings the schema to
the newest revision, `session` opens an ORM session. One engine is shared by the web app and the
worker thread; each thread checks out its own connection from the pool.

Alembic is imported only when a database is behind the newest revision: every process opens the
database through `migrate`, and for one already at head (nearly always) reading its
`alembic_version` row against the revisions named in the migration files is enough, which keeps
Alembic's ~60 ms out of every command's start.
"""

from __future__ import annotations

import functools
import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from storage import search_pieces

if TYPE_CHECKING:
    from alembic.config import Config

KEY_BYTES = 32
# Seconds a connection waits for another writer before "database is locked".
BUSY_TIMEOUT_S = 10.0
# Any fixed number; PostgreSQL advisory lock that serializes concurrent migrate() calls.
_MIGRATION_LOCK_ID = 0x6C697568656E  # "liuhen"


class DatabaseKeyError(Exception):
    """The SQLCipher file cannot be decrypted with the key given (wrong vault or damaged file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"the database at {path} cannot be opened with this vault's key "
            "(wrong vault, or the file is damaged)"
        )


def make_engine(database_url: str, *, sqlite_path: Path, key: bytes) -> Engine:
    """Build the engine for `database_url`.

    "" means the SQLCipher file at `sqlite_path`, keyed with the raw 32-byte `key`; the key is
    checked here, so a wrong one raises DatabaseKeyError now rather than on the first request.
    "postgresql://..." (or "postgres://", "postgresql+psycopg://") uses psycopg 3; `key` is unused.
    Raises ValueError for any other URL or a key of the wrong length, FileNotFoundError if the
    directory of `sqlite_path` does not exist.
    """
    if database_url == "":
        engine = _sqlcipher_engine(Path(sqlite_path), key)
        with engine.connect():
            pass
        return engine
    return _postgres_engine(database_url)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Run `alembic upgrade head` on this engine (the migrations ship inside the package); a
    restore first upgrades to its backup's `revision`, fills the tables, then goes on to head.

    A database already at head is left alone without importing Alembic. All pending revisions
    run in one transaction: a failure leaves the schema as it was. Two processes starting
    together (web and worker) are serialized; the second finds nothing to do.
    Raises RuntimeError if the migrated data breaks a foreign key (SQLite checks it afterwards).
    """
    head = head_revision()
    if revision == "head" and head is not None and _stored_revisions(engine) == {head}:
        return
    if engine.dialect.name == "sqlite":
        _migrate_sqlite(engine, revision)
        return
    from alembic import command
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at; None for a database never migrated."""
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest revision, read from the migration files' `revision` and `down_revision`
    lines without importing Alembic; None when they do not name exactly one head (then
    `migrate` leaves the question to Alembic)."""
    found: dict[str, str | None] = {}
    for path in (files("storage") / "migrations" / "versions").iterdir():
        if not path.name.endswith(".py") or path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision: str = "([^"]+)"$', source, re.MULTILINE)
        down = re.search(r'^down_revision: [^=]+= (None|"[^"]+")$', source, re.MULTILINE)
        if revision is None or down is None:
            return None
        found[revision[1]] = None if down[1] == "None" else down[1].strip('"')
    heads = set(found) - set(found.values())
    return heads.pop() if len(heads) == 1 else None


def _stored_revisions(engine: Engine) -> set[str]:
    """The revisions in the database's `alembic_version` table; empty before the first
    migration."""
    with engine.connect() as connection:
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
        except DBAPIError:  # no such table yet
            return set()


def session(engine: Engine) -> Session:
    """An ORM session whose objects stay readable after commit (no reload on attribute access)."""
    return Session(engine, expire_on_commit=False)


def _migrate_sqlite(engine: Engine, revision: str) -> None:
    # Batch migrations recreate tables (copy, DROP, rename); with foreign keys on, that DROP
    # would cascade into child tables. The pragma only takes effect outside a transaction, so
    # the connection runs in driver autocommit and the transaction is issued by hand; that also
    # makes the DDL itself transactional, which the driver's implicit transactions do not.
    from alembic import command
    config = alembic_config()
    with engine.connect() as raw:
        connection = raw.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        try:
            # IMMEDIATE takes the write lock now, so a second migrating process waits here.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(
                        f"migration left rows that break foreign keys (table, rowid, parent): "
                        f"{broken[:5]}; nothing was changed"
                    )
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")


def alembic_config() -> Config:
    """Alembic settings pointing at the migrations inside the installed package (no ini file)."""
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(files("storage") / "migrations"))
    return config


def _sqlcipher_engine(path: Path, key: bytes) -> Engine:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"the database key must be {KEY_BYTES} raw bytes (the vault's key)")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot create the database {path}: the directory {path.parent} does not exist "
            "(check the data dir setting)"
        )
    # Raw key form: SQLCipher uses these bytes directly instead of running PBKDF2 on every
    # connection; the vault already derived the key from the passphrase.
    key_pragma = f"PRAGMA key = \"x'{key.hex()}'\""

    def connect() -> sqlcipher3.Connection:
        connection = sqlcipher3.connect(str(path), timeout=BUSY_TIMEOUT_S,
                                        check_same_thread=False)
        try:
            connection.execute(key_pragma)
            # Pin the SQLCipher 4 format so a future library with new defaults still opens it.
            connection.execute("PRAGMA cipher_compatibility = 4")
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
            except sqlcipher3.DatabaseError:
                raise DatabaseKeyError(path) from None
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            search_pieces.register(connection)  # the search index's triggers call it
            # FULL fsyncs the WAL at every commit: a committed intake survives a power cut,
            # not only a killed process (NORMAL would). Commits here are few and small.
            connection.execute("PRAGMA synchronous = FULL")
        except BaseException:
            connection.close()
            raise
        return connection

    # The pysqlite dialect over the sqlcipher3 module, so its exceptions map to SQLAlchemy's
    # (IntegrityError ...). QueuePool with check_same_thread=False: a connection may be used by
    # another thread than the one that opened it, but only by one thread at a time.
    return create_engine(
        make_url("sqlite+pysqlite://").set(database=str(path)),
        module=sqlcipher3,
        creator=connect,
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=10,
    )


def _postgres_engine(database_url: str) -> Engine:
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ValueError(
            "database_url is not a URL: leave it empty for the encrypted SQLite file in the "
            "data dir, or give one like postgresql://user:password@host/liuhen"
        ) from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        url = url.set(drivername="postgresql+psycopg")
    else:
        shown = url.render_as_string(hide_password=True)
        raise ValueError(
            f"unsupported database_url {shown!r}: leave it empty for the encrypted SQLite file "
            "in the data dir, or give a postgresql:// URL"
        )
    # pre_ping: a shared server may drop idle connections (restart, failover, idle timeout).
    return create_engine(url, pool_pre_ping=True)

