"""The bundle signing key: made once per data dir, kept encrypted under the vault, readable only
with that vault, and shown as a fingerprint people can compare."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from logger.bundles.signing import SigningKeyError, _create, fingerprint, key_path, signing_key
from storage.vault import Vault

FINGERPRINT = re.compile(r"^([0-9a-f]{4} ){15}[0-9a-f]{4}$")


def test_the_key_is_made_on_first_use_and_then_kept(services):
    data_dir = services.config.storage.data_dir
    path = key_path(data_dir)
    assert not path.exists()
    first = signing_key(services.vault, data_dir)
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    again = signing_key(services.vault, data_dir)
    assert again.public_raw == first.public_raw and again.created_at == first.created_at
    assert not list(data_dir.glob(".signing-key.enc.*"))  # no temp file left


def test_the_private_key_is_not_in_the_file(services):
    key = signing_key(services.vault, services.config.storage.data_dir)
    stored = key_path(services.config.storage.data_dir).read_bytes()
    raw = key.private.private_bytes_raw()
    assert raw not in stored and base64.b64encode(raw) not in stored
    document = json.loads(stored)
    assert document["format"] == "liuhen-signing-key" and document["algorithm"] == "Ed25519"


def test_signatures_verify_with_the_public_key(services):
    key = signing_key(services.vault, services.config.storage.data_dir)
    Ed25519PublicKey.from_public_bytes(key.public_raw).verify(key.sign(b"manifest"),
                                                              b"manifest")


def test_the_fingerprint_is_the_grouped_sha256_of_the_public_key(services):
    key = signing_key(services.vault, services.config.storage.data_dir)
    assert FINGERPRINT.match(key.fingerprint)
    assert key.fingerprint.replace(" ", "") == hashlib.sha256(key.public_raw).hexdigest()
    assert key.info() == {"algorithm": "Ed25519", "public_key": key.public_key_b64,
                          "fingerprint": key.fingerprint, "created_at": key.created_at}
    assert fingerprint(b"\0" * 32) == fingerprint(bytes(32))


def test_another_vault_cannot_open_the_key(services, tmp_path):
    data_dir = services.config.storage.data_dir
    signing_key(services.vault, data_dir)
    stranger = Vault.create(tmp_path / "other-vault.json", "another passphrase")
    with pytest.raises(SigningKeyError, match="not made by this vault"):
        signing_key(stranger, data_dir)


def test_a_swapped_public_key_is_refused(services):
    data_dir = services.config.storage.data_dir
    signing_key(services.vault, data_dir)
    path = key_path(data_dir)
    document = json.loads(path.read_text())
    document["public_key"] = base64.b64encode(b"\1" * 32).decode()
    path.write_text(json.dumps(document))
    with pytest.raises(SigningKeyError, match="altered"):
        signing_key(services.vault, data_dir)


def test_a_damaged_file_says_what_to_do(services):
    path = key_path(services.config.storage.data_dir)
    path.write_text("{not json")
    with pytest.raises(SigningKeyError, match="move it away to make a new key"):
        signing_key(services.vault, services.config.storage.data_dir)


def test_a_key_written_meanwhile_by_another_process_wins(services):
    """Two first exports at once: the second writer keeps the first one's key."""
    data_dir = services.config.storage.data_dir
    first = signing_key(services.vault, data_dir)
    _create(services.vault, key_path(data_dir))  # a late second writer
    assert signing_key(services.vault, data_dir).public_raw == first.public_raw
