"""The vault in the PostgreSQL database (`storage.vault_in = "database"`): processes with data
dirs of their own (separate folders, nothing shared) unlock one vault with the passphrase or a
key file and read each other's rows; two creating it at once leave one; nothing of the vault is
written to a data dir; `liuhen vault move-to-database` moves a vault.json there."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
from sqlalchemy import text
from sqlmodel import select

from logger.accounts import add_user
from logger.bundles.signing import KEY_FILE_NAME, signing_key
from logger.negotiations import add_negotiation
from logger.services import Services, vault_exists
from storage.datadir import unknown_entries
from storage.models import Negotiation, User
from storage.vault import KeyFile, KeyFileRefused, VaultExists, VaultNotFound, WrongPassphrase
from tests.support.common import PASSPHRASE

pytestmark = pytest.mark.postgres


def machine(config, tmp_path, name: str, url: str, vault_in: str = "database"):
    """The configuration of one machine: its own data dir under tmp_path/name, the shared
    database."""
    own = config.with_data_dir(tmp_path / name / "data")
    return dataclasses.replace(own, storage=dataclasses.replace(
        own.storage, database_url=url, vault_in=vault_in))


def vault_files(data_dir) -> list[str]:
    """What of the vault or the signing key is in a data dir."""
    names = {"vault.json", KEY_FILE_NAME}
    return sorted(p.name for p in data_dir.iterdir() if p.name in names or ".tmp" in p.name) \
        if data_dir.exists() else []


def vault_rows(url_config) -> list[str]:
    with Services.open(url_config, PASSPHRASE) as services, services.engine.connect() as c:
        return list(c.execute(text("SELECT document FROM vault")).scalars())


def test_two_data_dirs_unlock_one_vault_and_read_each_others_rows(config, tmp_path,
                                                                  postgres_db_url):
    web, worker = (machine(config, tmp_path, name, postgres_db_url) for name in ("web", "worker"))
    assert not vault_exists(web)
    with Services.create(web, PASSPHRASE) as first, first.session() as session:
        owner = add_user(session, "owner", "owner-password")
        key_path = tmp_path / "worker" / "service.key"
        first.vault.add_key_file(key_path, label="worker")
        assert vault_exists(worker)
        with Services.open(worker, KeyFile(key_path)) as second, second.session() as theirs:
            for purpose in ("database", "blobs", "web-session"):
                assert second.vault.subkey(purpose) == first.vault.subkey(purpose)
            assert [u.name for u in theirs.exec(select(User))] == ["owner"]
            add_negotiation(theirs, owner=theirs.get(User, owner.id), creditor="信用飞")
        session.expire_all()
        assert [n.creditor for n in session.exec(select(Negotiation))] == ["信用飞"]
        with Services.open(worker, PASSPHRASE) as third:
            assert third.vault.subkey("blobs") == first.vault.subkey("blobs")
    for own in (web, worker):
        assert vault_files(own.storage.data_dir) == []
        assert unknown_entries(own.storage.data_dir) == []


def test_a_wrong_passphrase_or_a_removed_key_file_is_refused(config, tmp_path,
                                                             postgres_db_url):
    web, worker = (machine(config, tmp_path, name, postgres_db_url) for name in ("web", "worker"))
    key_path = tmp_path / "worker.key"
    with Services.create(web, PASSPHRASE) as services:
        slot = services.vault.add_key_file(key_path)
        where = services.vault.path
    assert "(table vault)" in str(where) and "postgresql" in str(where)
    with pytest.raises(WrongPassphrase) as info:
        Services.open(worker, "not the passphrase")
    assert str(where) in str(info.value)
    with Services.open(web, PASSPHRASE) as services:
        services.vault.remove_key_file(slot.id)
    with pytest.raises(KeyFileRefused, match=f"key slot {slot.id} is not there") as info:
        Services.open(worker, KeyFile(key_path))
    assert str(key_path) in str(info.value)


def test_a_passphrase_change_keeps_the_key_files_in_the_database(config, tmp_path,
                                                                 postgres_db_url):
    web, worker = (machine(config, tmp_path, name, postgres_db_url) for name in ("web", "worker"))
    key_path = tmp_path / "worker.key"
    with Services.create(web, PASSPHRASE) as services:
        services.vault.add_key_file(key_path)
        services.vault.change_passphrase("the new passphrase")
        blobs = services.vault.subkey("blobs")
    with Services.open(worker, KeyFile(key_path)) as by_key:
        assert by_key.vault.subkey("blobs") == blobs
    with Services.open(worker, "the new passphrase") as by_passphrase:
        assert by_passphrase.vault.subkey("blobs") == blobs
    with pytest.raises(WrongPassphrase):
        Services.open(web, PASSPHRASE)


def test_two_processes_creating_at_once_leave_one_vault(config, tmp_path, postgres_db_url):
    machines = [machine(config, tmp_path, f"m{i}", postgres_db_url) for i in range(2)]
    passphrases = ["first passphrase", "second passphrase"]
    start = threading.Barrier(2)
    made, refused = [], []

    def create(i: int) -> None:
        start.wait()
        try:
            with Services.create(machines[i], passphrases[i]) as services:
                made.append((i, services.vault.subkey("blobs")))
        except VaultExists as e:
            refused.append(e)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(made) == 1 and len(refused) == 1, (made, refused)
    winner, key = made[0]
    loser = 1 - winner
    assert "a vault already exists at" in str(refused[0])
    with Services.open(machines[loser], passphrases[winner]) as services:
        assert services.vault.subkey("blobs") == key
        with services.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM vault")).scalar() == 1
    with pytest.raises(WrongPassphrase):
        Services.open(machines[loser], passphrases[loser])


def test_the_row_refuses_a_second_vault(config, tmp_path, postgres_db_url):
    """The primary key decides, even past the check made before the slow derivation."""
    web = machine(config, tmp_path, "web", postgres_db_url)
    with Services.create(web, PASSPHRASE) as services:
        place = services.vault.place
        before = place.read()
        with pytest.raises(VaultExists):
            place.create(b"{}")
        assert place.read() == before


def test_a_new_database_has_no_vault_until_one_is_made(config, tmp_path, postgres_db_url):
    web = machine(config, tmp_path, "web", postgres_db_url)
    assert not vault_exists(web)  # not even migrated yet
    with pytest.raises(VaultNotFound, match="run `liuhen init` first"):
        Services.open(web, PASSPHRASE)
    assert vault_files(web.storage.data_dir) == []


# --- Moving a vault.json into the database --------------------------------------------------------


@pytest.fixture
def pg_cli(cli, postgres_db_url):
    def run(*args, env=None):
        return cli(*args, env={"LIUHEN_DATABASE_URL": postgres_db_url, **(env or {})})
    return run


def test_move_to_database(pg_cli, config, tmp_path, postgres_db_url):
    assert pg_cli("init").exit_code == 0  # vault_in = "file": vault.json in the data dir
    data_dir = tmp_path / "data"
    as_file = machine(config, tmp_path, "x", postgres_db_url, vault_in="file").with_data_dir(
        data_dir)
    with Services.open(as_file, PASSPHRASE) as services:
        fingerprint = signing_key(services.vault, data_dir).fingerprint
        blobs = services.vault.subkey("blobs")
    vault_bytes = (data_dir / "vault.json").read_bytes()

    moved = pg_cli("vault", "move-to-database", "--json")
    assert moved.exit_code == 0, moved.output
    report = json.loads(moved.stdout)
    assert report["signing_key"] is True
    assert report["copied"] == [str(data_dir / "vault.json"), str(data_dir / KEY_FILE_NAME)]

    elsewhere = machine(config, tmp_path, "elsewhere", postgres_db_url)
    with Services.open(elsewhere, PASSPHRASE) as services:
        assert services.vault.subkey("blobs") == blobs
        assert signing_key(services.vault, elsewhere.storage.data_dir).fingerprint == fingerprint
    assert vault_files(elsewhere.storage.data_dir) == []
    assert vault_rows(elsewhere) == [vault_bytes.decode()]

    again = pg_cli("vault", "move-to-database")
    assert again.exit_code == 1 and "a vault already exists at" in again.stderr


def test_move_to_database_tells_what_to_do_next(pg_cli):
    pg_cli("init")
    moved = pg_cli("vault", "move-to-database")
    assert moved.exit_code == 0, moved.output
    assert 'storage.vault_in = "database"' in moved.stdout and "can be removed" in moved.stdout


def test_move_to_database_needs_postgresql(cli):
    cli("init")
    refused = cli("vault", "move-to-database")
    assert refused.exit_code == 1 and "PostgreSQL" in refused.stderr


def test_init_with_the_vault_in_the_database(pg_cli, tmp_path):
    database = {"LIUHEN_STORAGE_VAULT_IN": "database"}
    made = pg_cli("init", "--json", env=database)
    assert made.exit_code == 0, made.output
    assert "(table vault)" in json.loads(made.stdout)["vault"]
    assert not (tmp_path / "data" / "vault.json").exists()
    again = pg_cli("init", env=database)
    assert again.exit_code == 1 and "a vault already exists at" in again.stderr
    other = pg_cli("user", "add", "from-elsewhere",
                   env={**database, "LIUHEN_DATA_DIR": str(tmp_path / "elsewhere")})
    assert other.exit_code == 0, other.output
