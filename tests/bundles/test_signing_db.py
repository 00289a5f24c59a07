"""The bundle signing key beside a vault kept in the database: one key for every web server of
a deployment, whatever its data dir; two making it at once end with one; nothing on disk."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
from sqlalchemy import text

from logger.bundles.signing import (KEY_FILE_NAME, SECRET_NAME, SigningKeyError, _new_document,
                                    local_fingerprint, signing_key)
from logger.services import Services, vault_place
from tests.support.common import PASSPHRASE

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_machines(config, tmp_path, postgres_db_url):
    """Two open data dirs of their own (tmp_path/web1, tmp_path/web2) over one database."""
    def machine(name: str):
        own = config.with_data_dir(tmp_path / name / "data")
        return dataclasses.replace(own, storage=dataclasses.replace(
            own.storage, database_url=postgres_db_url, vault_in="database"))
    first = Services.create(machine("web1"), PASSPHRASE)
    second = Services.open(machine("web2"), PASSPHRASE)
    yield first, second
    first.close()
    second.close()


def data_dir(services):
    return services.config.storage.data_dir


def test_every_data_dir_signs_with_the_one_key(two_machines):
    first, second = two_machines
    made = signing_key(first.vault, data_dir(first))
    read = signing_key(second.vault, data_dir(second))
    assert read.public_raw == made.public_raw and read.created_at == made.created_at
    assert read.private.private_bytes_raw() == made.private.private_bytes_raw()
    for services in two_machines:
        assert not (data_dir(services) / KEY_FILE_NAME).exists()
        assert not list(data_dir(services).glob(f".{KEY_FILE_NAME}.*"))
        with services.engine.connect() as connection:
            stored = connection.execute(text("SELECT document FROM sealed_secret WHERE name = "
                                             ":name"), {"name": SECRET_NAME}).scalar_one()
        assert made.private.private_bytes_raw().hex() not in stored


def test_two_servers_making_the_key_at_once_end_with_one(two_machines):
    start = threading.Barrier(2)
    keys = []

    def make(services) -> None:
        start.wait()
        keys.append(signing_key(services.vault, data_dir(services)).public_raw)

    threads = [threading.Thread(target=make, args=(s,)) for s in two_machines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(keys) == 2 and keys[0] == keys[1]
    with two_machines[0].engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sealed_secret")).scalar() == 1


def test_a_late_second_writer_keeps_the_first_key(two_machines):
    first, second = two_machines
    made = signing_key(first.vault, data_dir(first))
    assert second.vault.secrets.add(SECRET_NAME, _new_document(second.vault).decode()) is False
    assert signing_key(second.vault, data_dir(second)).public_raw == made.public_raw


def test_the_fingerprint_is_read_without_the_vault(two_machines):
    first, _ = two_machines
    assert local_fingerprint(data_dir(first), first.vault.secrets) == ""
    made = signing_key(first.vault, data_dir(first))
    place = vault_place(first.config)  # what `liuhen verify-bundle` opens: no passphrase
    try:
        assert local_fingerprint(data_dir(first), place.secrets) == made.fingerprint
    finally:
        place.close()


def test_a_damaged_row_says_what_to_do(two_machines):
    first, _ = two_machines
    signing_key(first.vault, data_dir(first))
    with first.engine.begin() as connection:
        connection.execute(text("UPDATE sealed_secret SET document = '{not json'"))
    with pytest.raises(SigningKeyError, match="delete that row of sealed_secret") as info:
        signing_key(first.vault, data_dir(first))
    assert SECRET_NAME in str(info.value) and "(table sealed_secret)" in str(info.value)


def test_a_bundle_is_known_as_this_deployments_from_any_data_dir(cli, tmp_path,
                                                                 postgres_db_url):
    """`liuhen export` on one machine, `liuhen verify-bundle` on another with no passphrase:
    the key it compares with is the one in the database."""
    shared = {"LIUHEN_DATABASE_URL": postgres_db_url, "LIUHEN_STORAGE_VAULT_IN": "database"}
    assert cli("init", env=shared).exit_code == 0
    assert cli("user", "add", "owner", env=shared).exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞", env=shared).exit_code == 0
    statement = tmp_path / "statement.txt"
    statement.write_text("账单 2024-12-03\n", encoding="utf-8")
    assert cli("import", "--negotiation", "1", statement, env=shared).exit_code == 0
    shown = json.loads(cli("export", "--show-key", "--json", env=shared).stdout)
    out = tmp_path / "backup.zip"
    made = cli("export", "--negotiation", "1", "--purpose", "backup", "--out", out, env=shared)
    assert made.exit_code == 0, made.output

    elsewhere = {**shared, "LIUHEN_DATA_DIR": str(tmp_path / "elsewhere"),
                 "LIUHEN_PASSPHRASE": None}
    checked = cli("verify-bundle", out, "--json", env=elsewhere)
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["local_key"] == shown["fingerprint"] and report["made_here"] is True
    assert not (tmp_path / "data" / KEY_FILE_NAME).exists()
    assert not (tmp_path / "elsewhere").exists()
