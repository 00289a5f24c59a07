"""The vault document: the bytes of vault.json, or of the `vault` row in the database.

Layout (`format` "liuhen-vault", `version` 1), UTF-8 JSON::

    {
      "format": "liuhen-vault",
      "version": 1,
      "kdf": {"name": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4,
              "salt": "<base64, 16 bytes>"},
      "wrapped_key": {"nonce": "<base64, 12 bytes>", "ciphertext": "<base64, 32 + 16 bytes>"},
      "created_at": "2025-01-31T08:00:00Z",
      "passphrase_changed_at": "...",         (only after a change)
      "key_slots": [{"id": "3f9a1c2b", "label": "worker-1", "created_at": "...",
                     "salt": "...", "nonce": "...", "ciphertext": "..."}]
                                              (only once a key file was added)
    }

"key_slots" (storage.vault.slots) came after the first vaults and is optional, so a vault
without key files is written exactly as before, and every vault.json written before opens
unchanged; the version stays 1.

The wrap's associated data binds the format name, the version and the KDF parameters
(`wrap_aad`); the salt enters through the derived key. Editing any of them, the nonce or the
ciphertext makes the GCM tag fail. GCM cannot tell a wrong passphrase from an edited parameter,
so **all such edits surface as `WrongPassphrase`** (documented choice). `VaultCorrupt` is raised
for everything that can be seen without the key: not JSON, wrong format name or version, missing
fields, wrong types, bad base64, wrong lengths, KDF parameters outside sane bounds (which also
stops an edited file from making `unlock` allocate unbounded memory), a malformed key slot.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from storage.vault.errors import VaultCorrupt
from storage.vault.kdf import KEY_BYTES, SALT_BYTES, KdfParams
from storage.vault.slots import NONCE_BYTES, TAG_BYTES, KeySlot

FORMAT_NAME = "liuhen-vault"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Document:
    """A parsed vault document; `render` gives its bytes."""

    kdf: KdfParams
    salt: bytes
    nonce: bytes
    wrapped: bytes
    created_at: str
    passphrase_changed_at: str | None = None
    slots: tuple[KeySlot, ...] = field(default=())

    def with_slots(self, slots: tuple[KeySlot, ...]) -> Document:
        return replace(self, slots=slots)

    def render(self) -> bytes:
        doc: dict = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "kdf": {"name": self.kdf.name, "memory_kib": self.kdf.memory_kib,
                    "iterations": self.kdf.iterations, "lanes": self.kdf.lanes,
                    "salt": _b64(self.salt)},
            "wrapped_key": {"nonce": _b64(self.nonce), "ciphertext": _b64(self.wrapped)},
            "created_at": self.created_at,
        }
        if self.passphrase_changed_at is not None:
            doc["passphrase_changed_at"] = self.passphrase_changed_at
        if self.slots:
            doc["key_slots"] = [slot.as_json() for slot in self.slots]
        return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def wrap_aad(kdf: KdfParams) -> bytes:
    return (f"{FORMAT_NAME}/v{FORMAT_VERSION}|kdf={kdf.name}|m={kdf.memory_kib}"
            f"|t={kdf.iterations}|p={kdf.lanes}").encode()


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(where: Path | str, raw: bytes) -> Document:
    """The document in `raw` (read from `where`). Raises VaultCorrupt naming `where`."""
    def corrupt(reason: str) -> VaultCorrupt:
        return VaultCorrupt(where, reason)

    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise corrupt(f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise corrupt(f"the format is not {FORMAT_NAME!r}")
    version = doc.get("version")
    if type(version) is not int:
        raise corrupt("the version is missing")
    if version != FORMAT_VERSION:
        raise corrupt(f"version {version} is not supported (this Liuhen reads version "
                      f"{FORMAT_VERSION})")

    def section(name: str) -> dict:
        value = doc.get(name)
        if not isinstance(value, dict):
            raise corrupt(f"the {name!r} section is missing")
        return value

    def b64field(sec: dict, name: str, length: int) -> bytes:
        value = sec.get(name)
        if not isinstance(value, str):
            raise corrupt(f"the field {name!r} is missing")
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise corrupt(f"the field {name!r} is not valid base64") from None
        if len(data) != length:
            raise corrupt(f"the field {name!r} has {len(data)} bytes, expected {length}")
        return data

    k = section("kdf")
    name = k.get("name")
    if name not in ("argon2id", "scrypt"):
        raise corrupt(f"unknown kdf {name!r}")
    kdf = KdfParams(name, k.get("memory_kib"), k.get("iterations"), k.get("lanes"))
    if (problem := kdf.check()) is not None:
        raise corrupt(problem)
    salt = b64field(k, "salt", SALT_BYTES)
    w = section("wrapped_key")
    nonce = b64field(w, "nonce", NONCE_BYTES)
    wrapped = b64field(w, "ciphertext", KEY_BYTES + TAG_BYTES)
    created_at = doc.get("created_at")
    if not isinstance(created_at, str):
        raise corrupt("the field 'created_at' is missing")
    changed_at = doc.get("passphrase_changed_at")
    if changed_at is not None and not isinstance(changed_at, str):
        raise corrupt("the field 'passphrase_changed_at' is not a time")
    raw_slots = doc.get("key_slots", [])
    if not isinstance(raw_slots, list):
        raise corrupt("'key_slots' is not a list")
    slots = tuple(KeySlot.from_json(value, corrupt) for value in raw_slots)
    if len({slot.id for slot in slots}) != len(slots):
        raise corrupt("two key slots have the same id")
    return Document(kdf, salt, nonce, wrapped, created_at, changed_at, slots)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
