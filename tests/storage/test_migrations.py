"""The Alembic history: one head, `upgrade head` gives exactly the models' schema (plus the search
structures) on SQLCipher and PostgreSQL, and it can be taken down and rebuilt."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import storage.models
from storage.db import alembic_config, current_revision, make_engine, migrate
from storage.search import (POSTGRES_TRGM_INDEXES, SQLITE_FTS_TABLES, SQLITE_SEARCH_TRIGGERS,
                            is_search_object)

TABLES = {"user", "negotiation", "evidence", "extracted_text", "job", "custody_event", "api_token",
          "call_log_entry", "contact_entry", "finding_dismissal", "finding_confirmation",
          "conduct_setting",
          "promise", "promise_suggestion", "payment", "reminder", "notification", "calendar_feed",
          "reminder_preference", "scheduler_lease"}
SQLITE_TRIGGERS = set(SQLITE_SEARCH_TRIGGERS)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    url = request.getfixturevalue("postgres_db_url") if request.param == "postgres" else ""
    built = make_engine(url, sqlite_path=tmp_path / "liuhen.db", key=os.urandom(32))
    yield built
    built.dispose()


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"the migration history has {len(heads)} heads: {heads}"
    return heads[0]


def schema_differences(engine) -> list:
    storage.models.load_all()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, reflected, compare_to:
                not is_search_object(name, type_),
            "compare_type": True,
        })
        return compare_metadata(context, SQLModel.metadata)


def search_structures(engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "OR (type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%')"))
        else:
            rows = connection.execute(text(
                "SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'"))
        return {name for (name,) in rows}


def expected_search_structures(engine) -> set[str]:
    if engine.dialect.name == "sqlite":
        return SQLITE_TRIGGERS | set(SQLITE_FTS_TABLES)
    return set(POSTGRES_TRGM_INDEXES)


def test_there_is_exactly_one_head():
    head()


def test_upgrade_head_gives_the_models_schema(engine):
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head()
    assert TABLES <= set(inspect(engine).get_table_names())
    assert schema_differences(engine) == []
    assert search_structures(engine) == expected_search_structures(engine)


def test_migrate_twice_is_harmless_and_leaves_foreign_keys_on(engine):
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        # Every pooled connection, including the one migrate used, enforces foreign keys.
        with pytest.raises(IntegrityError):
            connection.execute(text(
                "INSERT INTO negotiation (owner_id, creditor, currency, status, created_at, "
                "updated_at) VALUES (42, 'x', 'CNY', 'open', :t, :t)"),
                {"t": "2024-01-01 00:00:00"})


def test_downgrade_to_base_and_upgrade_again(engine):
    migrate(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert current_revision(engine) is None
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set()
    assert search_structures(engine) == set()
    migrate(engine)
    assert current_revision(engine) == head()
    assert schema_differences(engine) == []
    assert search_structures(engine) == expected_search_structures(engine)
