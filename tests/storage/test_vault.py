"""The vault: master key wrapped under the passphrase, subkeys, passphrase change, tampering."""

from __future__ import annotations

import base64
import json
import os
import stat
import unicodedata

import pytest

from storage.vault import kdf as vault_module
from storage.vault import (
    KdfParams,
    Vault,
    VaultCorrupt,
    VaultError,
    VaultExists,
    VaultNotFound,
    WrongPassphrase,
    argon2id_available,
)

PASSPHRASE = "correct horse 电池 staple"

# Cheap parameters so the suite stays fast; the defaults (64 MiB, 3 passes) are tested by shape.
if argon2id_available():
    CHEAP = KdfParams("argon2id", memory_kib=8 * 1024, iterations=1, lanes=1)
else:  # pragma: no cover - depends on the installed cryptography
    CHEAP = KdfParams("scrypt", memory_kib=8 * 1024, iterations=1, lanes=1)
CHEAP_SCRYPT = KdfParams("scrypt", memory_kib=8 * 1024, iterations=1, lanes=1)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / "vault.json"


@pytest.fixture
def vault(path):
    return Vault.create(path, PASSPHRASE, kdf=CHEAP)


def doc(path) -> dict:
    return json.loads(path.read_text("utf-8"))


def test_create_then_unlock_gives_the_same_subkeys(vault, path):
    again = Vault.unlock(path, PASSPHRASE)
    for purpose in ("database", "blobs"):
        key = vault.subkey(purpose)
        assert isinstance(key, bytes) and len(key) == 32
        assert again.subkey(purpose) == key
        assert vault.subkey(purpose) == key  # deterministic
    assert vault.subkey("database") != vault.subkey("blobs")
    assert again.kdf == CHEAP
    assert again.path == path


def test_two_vaults_have_different_keys(tmp_path):
    a = Vault.create(tmp_path / "a.json", PASSPHRASE, kdf=CHEAP)
    b = Vault.create(tmp_path / "b.json", PASSPHRASE, kdf=CHEAP)
    assert a.subkey("blobs") != b.subkey("blobs")


def test_file_format_and_permissions(vault, path):
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    d = doc(path)
    assert d["format"] == "liuhen-vault"
    assert d["version"] == 1
    assert d["kdf"]["name"] == CHEAP.name
    assert (d["kdf"]["memory_kib"], d["kdf"]["iterations"], d["kdf"]["lanes"]) == (
        CHEAP.memory_kib, CHEAP.iterations, CHEAP.lanes)
    assert len(base64.b64decode(d["kdf"]["salt"])) == 16
    assert len(base64.b64decode(d["wrapped_key"]["nonce"])) == 12
    assert len(base64.b64decode(d["wrapped_key"]["ciphertext"])) == 32 + 16
    assert d["created_at"].endswith("Z")
    assert sorted(os.listdir(path.parent)) == ["vault.json"]  # no temp file left


def test_existing_parent_dir_is_left_alone(tmp_path):
    tmp_path.chmod(0o750)
    Vault.create(tmp_path / "vault.json", PASSPHRASE, kdf=CHEAP)
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o750


def test_secrets_do_not_occur_in_the_file(vault, path):
    raw = path.read_bytes()
    master = vault._master_key
    for secret in (PASSPHRASE.encode(), "correct horse".encode(), "电池".encode(),
                   master, base64.b64encode(master), master.hex().encode(),
                   vault.subkey("blobs"), vault.subkey("database")):
        assert secret not in raw
    assert PASSPHRASE not in repr(vault) and master.hex() not in repr(vault)


def test_wrong_passphrase_message_and_file_untouched(vault, path):
    before = path.read_bytes()
    before_stat = path.stat()
    listing = sorted(os.listdir(path.parent))
    with pytest.raises(WrongPassphrase) as info:
        Vault.unlock(path, "not the passphrase")
    assert str(info.value) == f"wrong passphrase for vault at {path}"
    assert isinstance(info.value, VaultError)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == before_stat.st_mtime_ns
    assert path.stat().st_ino == before_stat.st_ino
    assert sorted(os.listdir(path.parent)) == listing


def test_change_passphrase(vault, path):
    keys = (vault.subkey("database"), vault.subkey("blobs"))
    old = doc(path)
    vault.change_passphrase("a new passphrase")
    new = doc(path)
    with pytest.raises(WrongPassphrase):
        Vault.unlock(path, PASSPHRASE)
    again = Vault.unlock(path, "a new passphrase")
    assert (again.subkey("database"), again.subkey("blobs")) == keys
    assert (vault.subkey("database"), vault.subkey("blobs")) == keys
    assert new["kdf"]["salt"] != old["kdf"]["salt"]
    assert new["wrapped_key"] != old["wrapped_key"]
    assert new["created_at"] == old["created_at"]
    assert "passphrase_changed_at" in new
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == ["vault.json"]


def test_raising_kdf_params_is_persisted(vault, path):
    stronger = KdfParams(CHEAP.name, memory_kib=16 * 1024, iterations=2,
                         lanes=2 if CHEAP.name == "argon2id" else 1)
    keys = vault.subkey("blobs")
    vault.change_passphrase(PASSPHRASE, kdf=stronger)
    assert vault.kdf == stronger
    d = doc(path)["kdf"]
    assert (d["name"], d["memory_kib"], d["iterations"], d["lanes"]) == (
        stronger.name, stronger.memory_kib, stronger.iterations, stronger.lanes)
    again = Vault.unlock(path, PASSPHRASE)
    assert again.kdf == stronger
    assert again.subkey("blobs") == keys
    # without kdf=, a later change keeps the recorded parameters
    again.change_passphrase("other")
    assert Vault.unlock(path, "other").kdf == stronger


def test_scrypt_vault(tmp_path):
    path = tmp_path / "vault.json"
    v = Vault.create(path, PASSPHRASE, kdf=CHEAP_SCRYPT)
    assert doc(path)["kdf"]["name"] == "scrypt"
    again = Vault.unlock(path, PASSPHRASE)
    assert again.kdf == CHEAP_SCRYPT
    assert again.subkey("blobs") == v.subkey("blobs")
    with pytest.raises(WrongPassphrase):
        Vault.unlock(path, PASSPHRASE + "!")
    again.change_passphrase("new", kdf=KdfParams("scrypt", 16 * 1024, 1, 1))
    assert Vault.unlock(path, "new").subkey("blobs") == v.subkey("blobs")


def test_switching_kdf_keeps_the_master_key(vault, path):
    keys = vault.subkey("database")
    vault.change_passphrase(PASSPHRASE, kdf=CHEAP_SCRYPT)
    assert Vault.unlock(path, PASSPHRASE).subkey("database") == keys


def test_choose():
    if argon2id_available():
        assert KdfParams.choose() == KdfParams("argon2id", 64 * 1024, 3, 4)
    assert KdfParams.choose("scrypt", memory_mib=64) == KdfParams("scrypt", 65536, 1, 1)
    assert KdfParams.choose("scrypt", memory_mib=48).memory_kib == 32768  # power of two below
    with pytest.raises(ValueError, match="unknown key derivation"):
        KdfParams.choose("bcrypt")
    for params in (KdfParams.choose(), KdfParams.choose("scrypt", 1, 1)):
        assert params.check() is None


def test_choose_falls_back_to_scrypt(monkeypatch):
    monkeypatch.setattr(vault_module, "argon2id_available", lambda: False)
    assert KdfParams.choose(memory_mib=8) == KdfParams("scrypt", 8192, 1, 1)


def test_nfc_normalised_passphrase(tmp_path):
    composed = "caf\u00e9 債務"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    Vault.create(tmp_path / "v.json", composed, kdf=CHEAP)
    Vault.unlock(tmp_path / "v.json", decomposed)


def test_create_refuses_to_overwrite(vault, path):
    before = path.read_bytes()
    with pytest.raises(VaultExists) as info:
        Vault.create(path, "another", kdf=CHEAP)
    assert str(info.value) == f"a vault already exists at {path}"
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["vault.json"]


def test_missing_vault(tmp_path):
    path = tmp_path / "nope" / "vault.json"
    assert not Vault.exists(path)
    with pytest.raises(VaultNotFound) as info:
        Vault.unlock(path, PASSPHRASE)
    assert str(info.value) == f"no vault at {path}; run `liuhen init` first"
    assert not path.parent.exists()


def test_exists(vault, path):
    assert Vault.exists(path)


@pytest.mark.parametrize("bad", ["", None])
def test_empty_passphrase_refused(tmp_path, bad):
    error = ValueError if bad == "" else TypeError
    with pytest.raises(error):
        Vault.create(tmp_path / "v.json", bad, kdf=CHEAP)
    assert not (tmp_path / "v.json").exists()


def test_empty_new_passphrase_refused(vault, path):
    before = path.read_bytes()
    with pytest.raises(ValueError, match="empty"):
        vault.change_passphrase("")
    assert path.read_bytes() == before


def test_invalid_kdf_params_refused(tmp_path):
    with pytest.raises(ValueError):
        Vault.create(tmp_path / "v.json", PASSPHRASE, kdf=KdfParams("scrypt", 1000, 1, 1))
    with pytest.raises(ValueError):
        Vault.create(tmp_path / "v.json", PASSPHRASE, kdf=KdfParams("pbkdf2", 1024, 1, 1))
    assert not (tmp_path / "v.json").exists()


def _flip_b64(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _set(path, mutate) -> None:
    d = doc(path)
    mutate(d)
    path.write_text(json.dumps(d))


# Edits GCM authenticates: indistinguishable from a wrong passphrase (documented choice).
AUTHENTICATED_EDITS = {
    "memory_kib": lambda d: d["kdf"].update(memory_kib=d["kdf"]["memory_kib"] * 2),
    "iterations": lambda d: d["kdf"].update(iterations=d["kdf"]["iterations"] + 1),
    "lanes": lambda d: d["kdf"].update(lanes=d["kdf"]["lanes"] + 1),
    "salt": lambda d: d["kdf"].update(salt=_flip_b64(d["kdf"]["salt"])),
    "nonce": lambda d: d["wrapped_key"].update(nonce=_flip_b64(d["wrapped_key"]["nonce"])),
    "ciphertext": lambda d: d["wrapped_key"].update(
        ciphertext=_flip_b64(d["wrapped_key"]["ciphertext"])),
}


@pytest.mark.parametrize("edit", sorted(AUTHENTICATED_EDITS))
def test_tampered_values_fail_as_wrong_passphrase(vault, path, edit):
    _set(path, AUTHENTICATED_EDITS[edit])
    with pytest.raises(WrongPassphrase):
        Vault.unlock(path, PASSPHRASE)


def test_tag_bit_flip_fails(vault, path):
    d = doc(path)
    raw = bytearray(base64.b64decode(d["wrapped_key"]["ciphertext"]))
    raw[-1] ^= 0x80  # last byte of the tag
    d["wrapped_key"]["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    path.write_text(json.dumps(d))
    with pytest.raises(WrongPassphrase):
        Vault.unlock(path, PASSPHRASE)


STRUCTURAL_EDITS = {
    "format": lambda d: d.update(format="something-else"),
    "version": lambda d: d.update(version=2),
    "no wrapped key": lambda d: d.pop("wrapped_key"),
    "no salt": lambda d: d["kdf"].pop("salt"),
    "bad base64": lambda d: d["kdf"].update(salt="***"),
    "short nonce": lambda d: d["wrapped_key"].update(nonce=base64.b64encode(b"123").decode()),
    "unknown kdf": lambda d: d["kdf"].update(name="md5"),
    "huge memory": lambda d: d["kdf"].update(memory_kib=1 << 40),
    "string iterations": lambda d: d["kdf"].update(iterations="3"),
    "no created_at": lambda d: d.pop("created_at"),
}


@pytest.mark.parametrize("edit", sorted(STRUCTURAL_EDITS))
def test_malformed_file_is_corrupt(vault, path, edit):
    _set(path, STRUCTURAL_EDITS[edit])
    with pytest.raises(VaultCorrupt) as info:
        Vault.unlock(path, PASSPHRASE)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("content", [b"", b"{", b"\xff\xfe not utf-8", b"[]", b"null"])
def test_unreadable_file_is_corrupt(vault, path, content):
    path.write_bytes(content)
    with pytest.raises(VaultCorrupt) as info:
        Vault.unlock(path, PASSPHRASE)
    assert str(path) in str(info.value)


def test_truncated_file_is_corrupt(vault, path):
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(VaultCorrupt):
        Vault.unlock(path, PASSPHRASE)


def test_default_parameters(tmp_path):
    path = tmp_path / "vault.json"
    v = Vault.create(path, PASSPHRASE)
    assert v.kdf == KdfParams.choose()
    d = doc(path)["kdf"]
    if argon2id_available():
        assert (d["name"], d["memory_kib"], d["iterations"], d["lanes"]) == (
            "argon2id", 65536, 3, 4)
    assert Vault.unlock(path, PASSPHRASE).subkey("blobs") == v.subkey("blobs")


def test_concurrent_unlocks_do_not_deadlock(tmp_path):
    """Two requests unlocking at once (a web server's threads) must both finish; OpenSSL's
    Argon2 thread pool deadlocks when two multi-lane derivations overlap."""
    import threading
    kdf = KdfParams.choose("argon2id", memory_mib=8, iterations=1)
    assert kdf.lanes > 1 or kdf.name == "scrypt"
    path = tmp_path / "vault.json"
    Vault.create(path, "pass phrase", kdf=kdf)
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(
        Vault.unlock(path, "pass phrase").subkey("blobs")), daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "unlocking deadlocked"
    assert len(keys) == 4 and len(set(keys)) == 1
