"""Key files: a random key that opens the vault in place of the passphrase, for the service
accounts of a shared deployment (web servers, workers, the scheduler), so no passphrase has to
sit in their environment.

A key file holds one line, `liuhen-key:1:<slot id>:<key>`, the key being 32 random bytes in
base64url without padding. The vault document has one key slot per key file: the master key
wrapped with AES-256-GCM under HKDF-SHA256(key, the slot's salt, "liuhen-vault/key-slot/<id>").
A random 256-bit key needs no slow derivation; HKDF only binds it to its slot. The associated
data binds the vault format, the slot id, its label and its creation time, so editing any of
them makes the slot fail like a wrong key file.

Removing the slot is what revokes a key file: every copy of it then opens nothing. The slots
are kept when the passphrase changes, and the passphrase is kept when a slot is added or removed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.vault.errors import KeyFileRefused
from storage.vault.kdf import KEY_BYTES, SALT_BYTES
from storage.vault.places import write_private

KEY_FILE_TAG = "liuhen-key"
KEY_FILE_VERSION = 1
SLOT_ID = re.compile(r"[0-9a-f]{8}")
MAX_LABEL_CHARS = 200
NONCE_BYTES = 12
TAG_BYTES = 16
# What the vault document's format is called, bound into every slot (storage.vault.document).
SLOT_CONTEXT = "liuhen-vault/v1/key-slot"
_KEY_FILE_LINE = re.compile(
    rf"{KEY_FILE_TAG}:{KEY_FILE_VERSION}:(?P<id>[0-9a-f]{{8}}):(?P<key>[A-Za-z0-9_-]{{43}})")
_READ_LIMIT = 4096  # a key file is one short line; a larger file is not one


@dataclass(frozen=True)
class KeySlot:
    """One key file's place in the vault: who it was for (`label`), when it was made, and the
    master key wrapped under it."""

    id: str
    label: str
    created_at: str
    salt: bytes
    nonce: bytes
    ciphertext: bytes

    @classmethod
    def seal(cls, master_key: bytes, file_key: bytes, *, slot_id: str, label: str,
             created_at: str) -> KeySlot:
        salt, nonce = secrets.token_bytes(SALT_BYTES), secrets.token_bytes(NONCE_BYTES)
        wrapped = AESGCM(_wrapping_key(file_key, salt, slot_id)).encrypt(
            nonce, master_key, _aad(slot_id, label, created_at))
        return cls(slot_id, label, created_at, salt, nonce, wrapped)

    def open(self, file_key: bytes) -> bytes | None:
        """The master key, or None when `file_key` is not this slot's (or the slot was
        edited)."""
        try:
            return AESGCM(_wrapping_key(file_key, self.salt, self.id)).decrypt(
                self.nonce, self.ciphertext, _aad(self.id, self.label, self.created_at))
        except InvalidTag:
            return None

    def as_json(self) -> dict:
        return {"id": self.id, "label": self.label, "created_at": self.created_at,
                "salt": _b64(self.salt), "nonce": _b64(self.nonce),
                "ciphertext": _b64(self.ciphertext)}

    @classmethod
    def from_json(cls, value: object, corrupt: Callable[[str], Exception]) -> KeySlot:
        """The slot in `value` (one entry of "key_slots"); raises corrupt(reason) when it is not
        one."""
        if not isinstance(value, dict):
            raise corrupt("a key slot is not an object")
        slot_id, label, created_at = value.get("id"), value.get("label"), value.get("created_at")
        if not isinstance(slot_id, str) or not SLOT_ID.fullmatch(slot_id):
            raise corrupt(f"a key slot has no valid id ({slot_id!r})")
        if not isinstance(label, str) or len(label) > MAX_LABEL_CHARS:
            raise corrupt(f"key slot {slot_id} has no valid label")
        if not isinstance(created_at, str):
            raise corrupt(f"key slot {slot_id} has no 'created_at'")

        def field(name: str, length: int) -> bytes:
            try:
                data = base64.b64decode(value.get(name) or "", validate=True)
            except (binascii.Error, ValueError, TypeError):
                raise corrupt(f"key slot {slot_id}: the field {name!r} is not base64") from None
            if len(data) != length:
                raise corrupt(f"key slot {slot_id}: the field {name!r} has {len(data)} bytes, "
                              f"expected {length}")
            return data

        return cls(slot_id, label, created_at, field("salt", SALT_BYTES),
                   field("nonce", NONCE_BYTES), field("ciphertext", KEY_BYTES + TAG_BYTES))


@dataclass(frozen=True)
class KeyFile:
    """A key file named by the configuration (`storage.key_file`, LIUHEN_KEY_FILE); read only
    when the vault is unlocked with it."""

    path: Path

    def read(self) -> tuple[str, bytes]:
        """(slot id, key). Raises KeyFileRefused naming the file when it cannot be read or is
        not a key file."""
        try:
            with open(self.path, "rb") as source:
                raw = source.read(_READ_LIMIT + 1)
        except OSError as e:
            raise KeyFileRefused(self.path, f"cannot be read ({e.strerror}); check "
                                 "`storage.key_file` (LIUHEN_KEY_FILE)") from None
        lines = raw.decode("ascii", errors="replace").splitlines() if raw else []
        found = _KEY_FILE_LINE.fullmatch(lines[0].strip()) \
            if lines and len(raw) <= _READ_LIMIT else None
        if found is None:
            raise KeyFileRefused(self.path, "is not a Liuhen key file (one line made by "
                                 "`liuhen vault add-key-file`)")
        return found["id"], base64.urlsafe_b64decode(found["key"] + "=")


def new_key_file(path: Path, taken: set[str]) -> tuple[str, bytes]:
    """Write a new key file at `path` (0600, never over an existing file) with a random key
    and a slot id not in `taken`; returns (slot id, key). Raises KeyFileRefused when `path`
    exists."""
    slot_id = secrets.token_hex(4)
    while slot_id in taken:
        slot_id = secrets.token_hex(4)
    key = secrets.token_bytes(KEY_BYTES)
    line = f"{KEY_FILE_TAG}:{KEY_FILE_VERSION}:{slot_id}:" \
           f"{base64.urlsafe_b64encode(key).decode('ascii').rstrip('=')}\n"
    if path.exists() or not write_private(path, line.encode("ascii"), exclusive=True):
        raise KeyFileRefused(path, "exists already; a key file is never overwritten: name a "
                             "new file")
    return slot_id, key


def _wrapping_key(file_key: bytes, salt: bytes, slot_id: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt,
                info=f"liuhen-vault/key-slot/{slot_id}".encode()).derive(file_key)


def _aad(slot_id: str, label: str, created_at: str) -> bytes:
    # A JSON list: no separator inside a label can make two different slots read the same.
    return json.dumps([SLOT_CONTEXT, slot_id, label, created_at],
                      ensure_ascii=False).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
