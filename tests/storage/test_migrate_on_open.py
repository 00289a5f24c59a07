"""Opening a data dir migrates it only when it is behind: one already at head is opened without
importing Alembic (storage.db.head_revision reads the migration files), one a revision behind
is brought to head."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic.script import ScriptDirectory

from storage.db import alembic_config, current_revision, head_revision, migrate
from tests.support.migrations import downgrade, old_engine

# Opens the data dir of LIUHEN_DATA_DIR and prints whether that imported Alembic.
OPEN_AND_REPORT_ALEMBIC = """
import sys
from logger.config import load_config
from logger.services import Services
Services.open(load_config(), sys.argv[1]).close()
print("alembic" in sys.modules)
"""


def alembic_imported_by_opening(data_dir, cli_env) -> bool:
    env = {**os.environ, **cli_env, "LIUHEN_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-c", OPEN_AND_REPORT_ALEMBIC, cli_env["LIUHEN_PASSPHRASE"]],
        capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1] == "True"


def test_the_head_read_from_the_files_is_alembics():
    assert [head_revision()] == ScriptDirectory.from_config(alembic_config()).get_heads()


def test_a_data_dir_at_head_opens_without_alembic(services, cli_env):
    assert current_revision(services.engine) == head_revision()
    assert alembic_imported_by_opening(services.config.storage.data_dir, cli_env) is False


def previous_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_revision("head").down_revision


def test_a_data_dir_one_revision_behind_is_migrated_on_open(services, cli_env):
    previous = previous_revision()
    downgrade(services.engine, previous)
    assert current_revision(services.engine) == previous

    assert alembic_imported_by_opening(services.config.storage.data_dir, cli_env) is True
    assert current_revision(services.engine) == head_revision()


@pytest.mark.parametrize("backend",
                         ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migrate_takes_a_database_from_nothing_or_one_revision_behind_to_head(request, tmp_path,
                                                                             backend):
    engine = old_engine(request, tmp_path, backend)
    try:
        migrate(engine)  # no alembic_version table yet
        assert current_revision(engine) == head_revision()
        downgrade(engine, previous_revision())
        migrate(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
