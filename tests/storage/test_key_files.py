"""Key files: a random key that opens the vault in place of the passphrase (service accounts),
its slot authenticated, revoked by removing the slot, kept through a passphrase change; and the
vault.json files written before key files existed, which open unchanged."""

from __future__ import annotations

import json
import os
import stat

import pytest

from logger.services import PassphraseUnavailable, read_unlock_key
from storage.vault import (KdfParams, KeyFile, KeyFileRefused, Vault, VaultChanged, VaultError,
                           WrongPassphrase)
from tests.support.common import PASSPHRASE

CHEAP = KdfParams("scrypt", memory_kib=1024, iterations=1, lanes=1)

# Written by the vault of the previous release (before key slots), passphrase "an old
# passphrase 旧"; its "blobs" subkey was OLD_BLOBS_KEY.
OLD_VAULT = """{
  "format": "liuhen-vault",
  "version": 1,
  "kdf": {
    "name": "scrypt",
    "memory_kib": 1024,
    "iterations": 1,
    "lanes": 1,
    "salt": "97/wQhHzQS3RDt9U5VSMCg=="
  },
  "wrapped_key": {
    "nonce": "Gd9L5Qt0Emn7rvSP",
    "ciphertext": "MLfSqDkAbAjNsHRDOPvMRfGJhwLn3yPgiviICwofVsnhMjX3wdtbwL6zO0mj4Iyd"
  },
  "created_at": "2026-12-02T10:35:28Z",
  "passphrase_changed_at": "2026-12-02T10:35:28Z"
}
"""
OLD_PASSPHRASE = "an old passphrase 旧"
OLD_BLOBS_KEY = "21bfc3c151162e5d7fbdb5fbd5f21b2574a256fbf1173ebb808b980660ddac88"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / "vault.json"


@pytest.fixture
def vault(path):
    return Vault.create(path, PASSPHRASE, kdf=CHEAP)


def test_a_key_file_opens_the_vault_like_the_passphrase(vault, path, tmp_path):
    key_path = tmp_path / "keys" / "worker.key"
    slot = vault.add_key_file(key_path, label="worker-1")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert (slot.id, slot.label) == (slot.id, "worker-1") and slot.created_at.endswith("Z")
    line = key_path.read_text()
    assert line.startswith(f"liuhen-key:1:{slot.id}:") and line.count("\n") == 1
    opened = Vault.unlock(path, KeyFile(key_path))
    for purpose in ("database", "blobs"):
        assert opened.subkey(purpose) == vault.subkey(purpose)
    assert [(s.id, s.label) for s in opened.key_slots] == [(slot.id, "worker-1")]
    assert Vault.unlock(path, PASSPHRASE).subkey("blobs") == vault.subkey("blobs")
    # The key is in the key file only: the vault holds it wrapped, never in clear.
    key = line.strip().rsplit(":", 1)[1]
    assert key not in path.read_text() and vault._master_key.hex() not in line
    assert sorted(os.listdir(key_path.parent)) == ["worker.key"]  # no temp file left


def test_a_key_file_is_never_overwritten(vault, path, tmp_path):
    key_path = tmp_path / "worker.key"
    key_path.write_text("something precious\n")
    before = path.read_bytes()
    with pytest.raises(KeyFileRefused, match="exists already"):
        vault.add_key_file(key_path)
    assert key_path.read_text() == "something precious\n"
    assert path.read_bytes() == before and Vault.unlock(path, PASSPHRASE).key_slots == ()


def test_the_label_defaults_to_the_file_name(vault, tmp_path):
    assert vault.add_key_file(tmp_path / "scheduler.key").label == "scheduler.key"


def test_another_vaults_key_file_is_refused_by_name(vault, path, tmp_path):
    other = Vault.create(tmp_path / "other" / "vault.json", PASSPHRASE, kdf=CHEAP)
    stranger = tmp_path / "stranger.key"
    other.add_key_file(stranger)
    with pytest.raises(KeyFileRefused) as info:
        Vault.unlock(path, KeyFile(stranger))
    message = str(info.value)
    assert message.startswith(f"the key file {stranger} does not open the vault at {path}")
    assert "liuhen vault add-key-file" in message


def test_a_key_file_with_a_wrong_key_is_refused(vault, path, tmp_path):
    key_path = tmp_path / "worker.key"
    slot = vault.add_key_file(key_path)
    prefix, key = key_path.read_text().strip().rsplit(":", 1)
    key_path.write_text(f"{prefix}:{'A' if key[0] != 'A' else 'B'}{key[1:]}\n")
    with pytest.raises(KeyFileRefused, match=f"does not match key slot {slot.id}") as info:
        Vault.unlock(path, KeyFile(key_path))
    assert str(key_path) in str(info.value)


@pytest.mark.parametrize("content", ["", "not a key file\n", "liuhen-key:1:zz:abc\n",
                                     "x" * 10000])
def test_something_else_than_a_key_file_is_refused(vault, path, tmp_path, content):
    key_path = tmp_path / "worker.key"
    key_path.write_text(content)
    with pytest.raises(KeyFileRefused, match="is not a Liuhen key file") as info:
        Vault.unlock(path, KeyFile(key_path))
    assert str(key_path) in str(info.value)


def test_a_missing_key_file_is_named(vault, path, tmp_path):
    with pytest.raises(KeyFileRefused, match="cannot be read") as info:
        Vault.unlock(path, KeyFile(tmp_path / "nowhere.key"))
    assert str(tmp_path / "nowhere.key") in str(info.value)
    assert "storage.key_file" in str(info.value)


def test_a_removed_key_file_opens_nothing(vault, path, tmp_path):
    kept, revoked = tmp_path / "web.key", tmp_path / "old-worker.key"
    kept_slot = vault.add_key_file(kept)
    revoked_slot = vault.add_key_file(revoked)
    assert vault.remove_key_file(revoked_slot.id) == revoked_slot
    with pytest.raises(KeyFileRefused, match=f"key slot {revoked_slot.id} is not there"):
        Vault.unlock(path, KeyFile(revoked))
    assert [s.id for s in Vault.unlock(path, KeyFile(kept)).key_slots] == [kept_slot.id]
    with pytest.raises(VaultError, match="has no key file 'nope'"):
        vault.remove_key_file("nope")


def test_a_passphrase_change_keeps_the_key_files(vault, path, tmp_path):
    key_path = tmp_path / "worker.key"
    slot = vault.add_key_file(key_path, label="worker")
    vault.change_passphrase("a brand new passphrase")
    with pytest.raises(WrongPassphrase):
        Vault.unlock(path, PASSPHRASE)
    by_passphrase = Vault.unlock(path, "a brand new passphrase")
    by_key = Vault.unlock(path, KeyFile(key_path))
    assert by_passphrase.subkey("blobs") == by_key.subkey("blobs") == vault.subkey("blobs")
    assert by_passphrase.key_slots == (slot,)
    # ...and a key file can change the passphrase (the person who forgot it, with the service's)
    by_key.change_passphrase("chosen again")
    assert Vault.unlock(path, "chosen again").key_slots == (slot,)


def test_adding_a_key_file_keeps_the_passphrase(vault, path, tmp_path):
    before = json.loads(path.read_text())
    vault.add_key_file(tmp_path / "worker.key")
    after = json.loads(path.read_text())
    assert {k: after[k] for k in before} == before
    assert len(after["key_slots"]) == 1


AUTHENTICATED_SLOT_EDITS = {
    "label": lambda s: s.update(label="someone else"),
    "created_at": lambda s: s.update(created_at="2020-01-01T00:00:00Z"),
    "id": lambda s: s.update(id="0badc0de"),
}


@pytest.mark.parametrize("edit", sorted(AUTHENTICATED_SLOT_EDITS))
def test_an_edited_slot_refuses_its_key_file(vault, path, tmp_path, edit):
    key_path = tmp_path / "worker.key"
    vault.add_key_file(key_path)
    document = json.loads(path.read_text())
    AUTHENTICATED_SLOT_EDITS[edit](document["key_slots"][0])
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileRefused):
        Vault.unlock(path, KeyFile(key_path))
    assert Vault.unlock(path, PASSPHRASE).subkey("blobs") == vault.subkey("blobs")


def test_a_vault_changed_meanwhile_is_not_overwritten(vault, path, tmp_path):
    """Two people at two terminals: the second change is refused, nothing of the first lost."""
    first, second = Vault.unlock(path, PASSPHRASE), Vault.unlock(path, PASSPHRASE)
    first.add_key_file(tmp_path / "one.key")
    written = path.read_bytes()
    with pytest.raises(VaultChanged, match="run the command again"):
        second.add_key_file(tmp_path / "two.key")
    assert not (tmp_path / "two.key").exists(), "a key file no slot knows is not left behind"
    with pytest.raises(VaultChanged):
        second.change_passphrase("another")
    assert path.read_bytes() == written


def test_a_vault_from_before_key_files_opens_unchanged(tmp_path):
    path = tmp_path / "vault.json"
    path.write_text(OLD_VAULT)
    old = Vault.unlock(path, OLD_PASSPHRASE)
    assert old.subkey("blobs").hex() == OLD_BLOBS_KEY and old.key_slots == ()
    assert path.read_text() == OLD_VAULT
    old.add_key_file(tmp_path / "worker.key")
    again = Vault.unlock(path, OLD_PASSPHRASE)
    assert again.subkey("blobs").hex() == OLD_BLOBS_KEY
    assert Vault.unlock(path, KeyFile(tmp_path / "worker.key")).subkey("blobs").hex() == \
        OLD_BLOBS_KEY
    document = json.loads(path.read_text())
    assert document["version"] == 1
    assert document["passphrase_changed_at"] == "2026-12-02T10:35:28Z"


def test_the_passphrase_comes_before_the_key_file(config, tmp_path):
    import dataclasses
    key = tmp_path / "service.key"
    with_key = dataclasses.replace(config, storage=dataclasses.replace(
        config.storage, key_file=str(key)))
    assert read_unlock_key(with_key, env={"LIUHEN_PASSPHRASE": "typed"}) == "typed"
    assert read_unlock_key(with_key, env={}) == KeyFile(key)
    both = dataclasses.replace(with_key, storage=dataclasses.replace(
        with_key.storage, passphrase_file=str(tmp_path / "pass")))
    (tmp_path / "pass").write_text("from the file\n")
    assert read_unlock_key(both, env={}) == "from the file"
    assert read_unlock_key(config, env={}, prompt=lambda label: "prompted") == "prompted"
    with pytest.raises(PassphraseUnavailable, match="LIUHEN_KEY_FILE"):
        read_unlock_key(config, env={})


# --- The commands --------------------------------------------------------------------------------


def test_the_commands_add_list_and_remove_key_files(cli, tmp_path):
    assert cli("init").exit_code == 0
    key = tmp_path / "keys" / "worker.key"
    added = cli("vault", "add-key-file", key, "--label", "worker-1", "--json")
    assert added.exit_code == 0, added.output
    slot = json.loads(added.stdout)
    assert slot["label"] == "worker-1" and slot["key_file"] == str(key)
    listed = json.loads(cli("vault", "key-files", "--json").stdout)
    assert listed == [{"id": slot["id"], "label": "worker-1", "created_at": slot["created_at"]}]

    # A service account: no passphrase anywhere, only its key file.
    service = {"LIUHEN_PASSPHRASE": None, "LIUHEN_KEY_FILE": str(key)}
    assert cli("user", "add", "worker-made", env=service).exit_code == 0
    refused = cli("vault", "add-key-file", key)
    assert refused.exit_code == 1 and "never overwritten" in refused.stderr

    removed = cli("vault", "remove-key-file", slot["id"])
    assert removed.exit_code == 0 and slot["id"] in removed.stdout
    after = cli("user", "add", "too-late", env=service)
    assert after.exit_code == 1
    assert after.stderr.startswith(f"liuhen: the key file {key} does not open the vault")
    assert "no key files" in cli("vault", "key-files").stdout


def test_passwd_keeps_the_key_files(cli, tmp_path):
    cli("init")
    key = tmp_path / "worker.key"
    cli("vault", "add-key-file", key)
    changed = cli("passwd", env={"LIUHEN_NEW_PASSPHRASE": "a different passphrase"})
    assert changed.exit_code == 0, changed.output
    service = {"LIUHEN_PASSPHRASE": None, "LIUHEN_KEY_FILE": str(key)}
    assert cli("user", "add", "by-key", env=service).exit_code == 0
    by_new = cli("user", "add", "by-new",
                 env={"LIUHEN_PASSPHRASE": "a different passphrase"})
    assert by_new.exit_code == 0
    assert cli("user", "add", "by-old").exit_code == 1
    # A forgotten passphrase, replaced by whoever holds a key file:
    replaced = cli("passwd", env={**service, "LIUHEN_NEW_PASSPHRASE": "remembered this time"})
    assert replaced.exit_code == 0, replaced.output
    assert cli("user", "add", "by-third",
               env={"LIUHEN_PASSPHRASE": "remembered this time"}).exit_code == 0
