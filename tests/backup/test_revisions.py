"""A backup made by an earlier version (its dump at an older database revision) is restored
at that revision and migrated on to this version's; one made by a newer version is refused
before anything is written."""

import dataclasses

import pytest
from alembic.script import ScriptDirectory

from logger.backup.backup import make_backup
from logger.backup.repository import BackupError
from logger.backup.restore import restore
from logger.services import Services
from storage.db import alembic_config, current_revision, make_engine, migrate
from tests.support.backups import chain, evidence_hashes, rewrite_dump, rows
from tests.support.common import PASSPHRASE

KEYS_TABLES = ("vault", "sealed_secret")  # made by 0013
# Made by the revisions after 0012: tables, and columns of older tables.
LATER_TABLES = (*KEYS_TABLES, "negotiation_share", "mail_settings",  # 0014, 0016
                "conduct_text", "finding_confirmation")  # 0019, 0023
LATER_COLUMNS = {"user": {"must_change_password", "disabled_at", "removed_at"},  # 0014
                 "evidence": {"trashed_at", "trashed_by", "trash_reason", "purged_at"},  # 0015
                 "negotiation": {"archived_at", "archive_reason"},  # 0015
                 "job": {"error_texts", "flow_key", "priority"}}  # 0017, 0020
# Later columns a migration fills by its own rule rather than with a default, so a restored old
# backup need not hold what this version would have written: each job's class and flow (0020:
# a job then counts as bulk only when its item has a parent).
DERIVED_COLUMNS = {"job": {"flow_key", "priority"}}


def as_of_0012(lines):
    """The dump as the version before revision 0013 wrote it: no tables of keys, nor what the
    revisions after it added."""
    kept, skipping, dropped = [], False, []
    for value in lines:
        if isinstance(value, dict) and value.get("table") in LATER_TABLES:
            skipping = True
        if isinstance(value, dict) and "columns" in value:
            later = LATER_COLUMNS.get(value["table"], set())
            dropped = [i for i, name in enumerate(value["columns"]) if name in later]
            value["columns"] = [n for n in value["columns"] if n not in later]
        elif isinstance(value, list) and dropped:
            value = [v for i, v in enumerate(value) if i not in dropped]
        if not skipping:
            kept.append(value)
        if isinstance(value, dict) and value.get("end") in LATER_TABLES:
            skipping = False
        if isinstance(value, dict) and "end" in value:
            dropped = []
    kept[0]["revision"] = "0012"
    return kept


def without_derived(lines):
    """The dump's rows without DERIVED_COLUMNS."""
    kept, dropped = [], []
    for value in lines:
        if isinstance(value, dict) and "columns" in value:
            derived = DERIVED_COLUMNS.get(value["table"], set())
            dropped = [i for i, name in enumerate(value["columns"]) if name in derived]
            value = {**value, "columns": [n for n in value["columns"] if n not in derived]}
        elif isinstance(value, list) and dropped:
            value = [v for i, v in enumerate(value) if i not in dropped]
        elif isinstance(value, dict) and "end" in value:
            dropped = []
        kept.append(value)
    return kept


@pytest.fixture
def old_snapshot(services, world, folder):
    made = make_backup(services, folder)
    rewrite_dump(folder, made.snapshot, PASSPHRASE, as_of_0012)
    return made.snapshot, (without_derived(rows(services)), evidence_hashes(services),
                           chain(services))


def test_an_older_revision_is_restored_then_migrated(old_snapshot, folder, fresh):
    _, before = old_snapshot
    result = restore(fresh, folder, PASSPHRASE)
    assert result.ok and result.rows == sum(1 for v in before[0] if isinstance(v, list))
    with Services.open(fresh, PASSPHRASE) as again:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert current_revision(again.engine) == head   # migrated on, to this version's head
        assert (without_derived(rows(again)), evidence_hashes(again), chain(again)) == before


@pytest.mark.postgres
def test_an_older_revision_goes_into_a_database_already_migrated(old_snapshot, folder, fresh,
                                                                 postgres_db_url):
    """A first start (`liuhen serve`) migrated the empty database before the restore."""
    target = dataclasses.replace(fresh, storage=dataclasses.replace(
        fresh.storage, database_url=postgres_db_url))
    engine = make_engine(postgres_db_url, sqlite_path=fresh.storage.database_path, key=b"")
    migrate(engine)
    engine.dispose()
    assert restore(target, folder, PASSPHRASE).ok
    with Services.open(target, PASSPHRASE) as again:
        assert ((without_derived(rows(again)), evidence_hashes(again), chain(again))
                == old_snapshot[1])


def test_a_newer_revision_is_refused_and_nothing_written(services, world, folder, fresh):
    made = make_backup(services, folder)

    def from_the_future(lines):
        lines[0]["revision"] = "0099_future"
        return lines
    rewrite_dump(folder, made.snapshot, PASSPHRASE, from_the_future)
    with pytest.raises(BackupError,
                       match=r"made by a newer Liuhen \(database revision 0099_future\)"):
        restore(fresh, folder, PASSPHRASE)
    assert not fresh.storage.data_dir.exists()


def test_a_table_this_version_does_not_know_is_refused(services, world, folder, fresh):
    made = make_backup(services, folder)
    rewrite_dump(folder, made.snapshot, PASSPHRASE, lambda lines: [
        *lines[:-1], {"table": "telepathy", "columns": ["id"]}, [1],
        {"end": "telepathy", "rows": 1}, {"end_of_dump": lines[-1]["end_of_dump"] + 1}])
    with pytest.raises(BackupError, match="table 'telepathy' this Liuhen does not know"):
        restore(fresh, folder, PASSPHRASE)
    assert not fresh.storage.data_dir.exists()
