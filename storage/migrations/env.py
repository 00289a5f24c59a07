"""Alembic environment for Liuhen's schema (SQLCipher/SQLite and PostgreSQL).

The application runs migrations through `storage.db.migrate(engine)`, which hands over an open
connection in `config.attributes["connection"]`. Developers may instead pass a plain database
URL: `alembic -c storage/migrations/alembic.ini -x url=sqlite:///dev.db ...`.

Notes for whoever writes the next revision:
- SQLite runs in batch mode (render_as_batch): changing a column of `evidence` or
  `extracted_text` recreates the table, which DROPS the search triggers defined in revision 0001.
  Recreate them in the same revision (copy their SQL); tests/test_migrations.py checks they exist
  at head. Since revision 0021 the SQLite search triggers call `search_pieces()`, a Python
  function every connection registers (`storage/search_pieces.py`); a revision that recreates
  them recreates them as 0021 left them.
- The search structures (FTS5 tables and their shadow tables on SQLite, the pg_trgm GIN indexes
  on PostgreSQL) are not in the models; `include_object` hides them from autogenerate.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import storage.models
from storage import search_pieces
from storage.search import is_search_object

config = context.config
storage.models.load_all()  # every table on SQLModel.metadata
target_metadata = SQLModel.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    return not is_search_object(name, type_)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_object=include_object,
        compare_type=True,
        **kwargs,
    )


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError(
            "no database to migrate: call storage.db.migrate(engine), or pass "
            "-x url=sqlite:///dev.db (a plain, unencrypted database) to the alembic command"
        )
    return url


def _run(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = _url()
    _configure(url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=NullPool)
    if engine.dialect.name == "sqlite":  # revision 0021's triggers call it
        event.listen(engine, "connect", lambda connection, _: search_pieces.register(connection))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
