"""Backups of a PostgreSQL deployment, restored into a fresh PostgreSQL database (the vault in a
file or in the database), and across database kinds: an SQLCipher data dir into PostgreSQL and
back. The rows, ids and id sequences, search, the custody chain and the signing key survive."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from logger.backup.backup import make_backup
from logger.backup.repository import BackupError
from logger.backup.restore import restore
from logger.bundles.signing import KEY_FILE_NAME, signing_key
from logger.record.search import find_results
from logger.services import Services, vault_exists
from tests.support.backups import add_item, chain, evidence_hashes, fill, keys, rows, tree
from tests.support.common import PASSPHRASE
from tests.support.pg import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def second_db_url(postgres_url):
    """A second fresh database on the same server: the new machine's."""
    with fresh_database(postgres_url, "liuhen_restore") as url:
        yield url


def on(config, data_dir, url: str = "", vault_in: str = "file"):
    """`config` on another data dir, with that database and vault place."""
    moved = config.with_data_dir(data_dir)
    return dataclasses.replace(moved, storage=dataclasses.replace(
        moved.storage, database_url=url, vault_in=vault_in))


def backed_up(source, folder):
    """Fill the deployment `source`, back it up into `folder`; (its world, rows, hashes)."""
    with Services.create(source, PASSPHRASE) as services:
        world = fill(services)
        made = make_backup(services, folder)
        assert made.problems == [] and made.new_blobs == 3
        return world, rows(services), evidence_hashes(services), chain(services), keys(services)


def same_deployment(target, world, before_rows, before_hashes, before_chain,
                    before_keys) -> None:
    with Services.open(target, PASSPHRASE) as again:
        assert rows(again) == before_rows
        assert keys(again) == before_keys
        assert evidence_hashes(again) == before_hashes
        assert chain(again) == before_chain
        assert signing_key(again.vault, target.storage.data_dir).fingerprint == world.fingerprint
        with again.session() as session:
            hits = find_results(session, "下周五之前", owner=None)
        assert sorted(h.evidence.id for h in hits.results) == sorted(i.id for i in world.items)
        # The id sequences were moved past the restored ids: new rows get new ids.
        newer = add_item(again, "after-restore.txt", b"the first item on the new machine")
        assert newer.id == max(before_hashes) + 1


def test_a_postgres_backup_restores_into_a_fresh_postgres_database(
        config, tmp_path, postgres_db_url, second_db_url):
    source = on(config, tmp_path / "old", postgres_db_url)
    before = backed_up(source, tmp_path / "backup")
    target = on(config, tmp_path / "new", second_db_url)
    result = restore(target, tmp_path / "backup", PASSPHRASE)
    assert result.ok, result.as_dict()
    same_deployment(target, *before)


def test_the_vault_and_signing_key_in_the_database_come_back_there(
        config, tmp_path, postgres_db_url, second_db_url):
    source = on(config, tmp_path / "old", postgres_db_url, vault_in="database")
    before = backed_up(source, tmp_path / "backup")
    target = on(config, tmp_path / "new", second_db_url, vault_in="database")
    assert restore(target, tmp_path / "backup", PASSPHRASE).ok
    assert vault_exists(target)
    assert not (tmp_path / "new" / "vault.json").exists()
    assert not (tmp_path / "new" / KEY_FILE_NAME).exists()
    same_deployment(target, *before)
    with Services.open(target, PASSPHRASE) as again, again.engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM sealed_secret")).scalars().all() == \
            ["bundle-signing-key"]


def test_an_sqlcipher_backup_restores_into_postgres_and_back(config, tmp_path, second_db_url):
    before = backed_up(on(config, tmp_path / "old"), tmp_path / "backup")
    into_postgres = on(config, tmp_path / "pg", second_db_url, vault_in="database")
    assert restore(into_postgres, tmp_path / "backup", PASSPHRASE).ok
    same_deployment(into_postgres, *before)

    with Services.open(into_postgres, PASSPHRASE) as services:
        before_back = (rows(services), evidence_hashes(services), chain(services))
        make_backup(services, tmp_path / "backup-pg")
    back = on(config, tmp_path / "sqlite-again")
    assert restore(back, tmp_path / "backup-pg", PASSPHRASE).ok
    with Services.open(back, PASSPHRASE) as again:
        assert (rows(again), evidence_hashes(again), chain(again)) == before_back
        assert signing_key(again.vault, back.storage.data_dir).fingerprint == before[0].fingerprint


def test_a_database_with_rows_is_refused_and_left_as_it_was(config, tmp_path, postgres_db_url,
                                                            second_db_url):
    backed_up(on(config, tmp_path / "old", postgres_db_url), tmp_path / "backup")
    target = on(config, tmp_path / "new", second_db_url)
    with Services.create(target, PASSPHRASE) as services:
        add_item_world = fill(services, items=1)
        before = rows(services)
    (tmp_path / "new" / "vault.json").rename(tmp_path / "vault.json.moved")  # rows alone
    files = tree(tmp_path / "new")
    with pytest.raises(BackupError, match=r"rows in the database \(tables .*evidence"):
        restore(target, tmp_path / "backup", PASSPHRASE)
    assert tree(tmp_path / "new") == files
    (tmp_path / "vault.json.moved").rename(tmp_path / "new" / "vault.json")
    with Services.open(target, PASSPHRASE) as services:
        assert rows(services) == before and len(add_item_world.items) == 1
