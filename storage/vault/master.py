"""The unlocked vault: the master key in memory, where its document lives, and what changes it
(a new passphrase, a key file added or removed)."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.vault.document import Document, now, parse, wrap_aad
from storage.vault.errors import KeyFileRefused, VaultError, VaultExists, WrongPassphrase
from storage.vault.kdf import KEY_BYTES, SALT_BYTES, KdfParams
from storage.vault.places import SealedSecrets, VaultFile, VaultInDatabase
from storage.vault.slots import MAX_LABEL_CHARS, NONCE_BYTES, KeyFile, KeySlot, new_key_file

Place = VaultFile | VaultInDatabase


def as_place(where: Path | str | Place) -> Place:
    """A path names vault.json; a place is taken as it is."""
    return where if isinstance(where, VaultFile | VaultInDatabase) else VaultFile(Path(where))


def _check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str):
        raise TypeError("the passphrase must be a str")
    if not passphrase:
        raise ValueError("the passphrase must not be empty")


class Vault:
    """An unlocked vault: the master key in memory, and the place it came from (`place`;
    `path` is where that is: vault.json's path, or the database and table)."""

    path: Path | str
    kdf: KdfParams

    def __init__(self, place: Place, master_key: bytes, document: Document, raw: bytes):
        self.place = place
        self.path = place.where
        self.kdf = document.kdf
        self._master_key = master_key
        self._document = document
        self._raw = raw  # what was read: a rewrite replaces exactly this or nothing

    def __repr__(self) -> str:
        return f"Vault(path={str(self.path)!r}, kdf={self.kdf!r})"

    @staticmethod
    def exists(where: Path | str | Place) -> bool:
        return as_place(where).exists()

    @classmethod
    def create(cls, where: Path | str | Place, passphrase: str, *,
               kdf: KdfParams | None = None) -> Vault:
        """A new vault with a random master key. Raises VaultExists (also when another process
        created one first), ValueError for an empty passphrase or unusable parameters."""
        place = as_place(where)
        _check_passphrase(passphrase)
        kdf = kdf if kdf is not None else KdfParams.choose()
        if (problem := kdf.check()) is not None:
            raise ValueError(problem)
        if place.exists():  # before the slow derivation; place.create checks again
            raise VaultExists(place.where)
        master = secrets.token_bytes(KEY_BYTES)
        document = _wrap(master, passphrase, kdf, created_at=now())
        raw = document.render()
        place.create(raw)
        return cls(place, master, document, raw)

    @classmethod
    def unlock(cls, where: Path | str | Place, secret: str | KeyFile) -> Vault:
        """Open the vault with the passphrase or a key file. Raises VaultNotFound,
        VaultCorrupt, WrongPassphrase, KeyFileRefused (naming the key file)."""
        place = as_place(where)
        if not isinstance(secret, KeyFile):
            _check_passphrase(secret)
        raw = place.read()
        document = parse(place.where, raw)
        if isinstance(secret, KeyFile):
            master = _open_with_key_file(place, document, secret)
        else:
            key = document.kdf.derive(secret, document.salt)
            try:
                master = AESGCM(key).decrypt(document.nonce, document.wrapped,
                                             wrap_aad(document.kdf))
            except InvalidTag:
                raise WrongPassphrase(place.where) from None
        return cls(place, master, document, raw)

    @property
    def secrets(self) -> SealedSecrets | None:
        """The sealed secrets kept beside a vault in the database; None for vault.json (whose
        neighbours keep their own files in the data dir)."""
        return self.place.secrets

    @property
    def key_slots(self) -> tuple[KeySlot, ...]:
        return self._document.slots

    def change_passphrase(self, new_passphrase: str, *, kdf: KdfParams | None = None) -> None:
        """Rewrap the same master key under `new_passphrase` (new salt; `kdf` if given). The
        key files keep opening it. Raises VaultChanged when another process rewrote the vault
        since it was read here."""
        _check_passphrase(new_passphrase)
        kdf = kdf if kdf is not None else self.kdf
        if (problem := kdf.check()) is not None:
            raise ValueError(problem)
        wrapped = _wrap(self._master_key, new_passphrase, kdf,
                        created_at=self._document.created_at, changed_at=now())
        self._save(wrapped.with_slots(self._document.slots))
        self.kdf = kdf

    def add_key_file(self, path: Path, *, label: str = "") -> KeySlot:
        """Write a new key file at `path` (0600, never over an existing file) and the slot that
        lets it open this vault. `label` says whose it is (default: the file's name). Raises
        KeyFileRefused when `path` exists; VaultChanged as change_passphrase."""
        path = Path(path)
        label = (label or path.name).strip()
        if len(label) > MAX_LABEL_CHARS:
            raise ValueError(f"a key file's label has at most {MAX_LABEL_CHARS} characters")
        slot_id, key = new_key_file(path, {slot.id for slot in self.key_slots})
        slot = KeySlot.seal(self._master_key, key, slot_id=slot_id, label=label,
                            created_at=now())
        try:
            self._save(self._document.with_slots((*self.key_slots, slot)))
        except BaseException:
            path.unlink(missing_ok=True)  # a key file no slot knows opens nothing: not kept
            raise
        return slot

    def remove_key_file(self, slot_id: str) -> KeySlot:
        """Remove a key file's slot: every copy of that file stops opening the vault. Raises
        VaultError when there is no such slot; VaultChanged as change_passphrase."""
        removed = next((slot for slot in self.key_slots if slot.id == slot_id), None)
        if removed is None:
            known = ", ".join(slot.id for slot in self.key_slots) or "none"
            raise VaultError(f"the vault at {self.path} has no key file {slot_id!r} (its key "
                             f"files: {known}; `liuhen vault key-files` lists them)")
        self._save(self._document.with_slots(
            tuple(slot for slot in self.key_slots if slot.id != slot_id)))
        return removed

    def subkey(self, purpose: str) -> bytes:
        """32 bytes for one purpose ("database", "blobs", ...), HKDF-SHA256 of the master key."""
        if not purpose:
            raise ValueError("a subkey needs a purpose")
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                    info=b"liuhen/" + purpose.encode("utf-8")).derive(self._master_key)

    def _save(self, document: Document) -> None:
        raw = document.render()
        self.place.replace(self._raw, raw)
        self._document, self._raw = document, raw


def _wrap(master: bytes, passphrase: str, kdf: KdfParams, *, created_at: str,
          changed_at: str | None = None) -> Document:
    salt = secrets.token_bytes(SALT_BYTES)
    nonce = secrets.token_bytes(NONCE_BYTES)
    wrapped = AESGCM(kdf.derive(passphrase, salt)).encrypt(nonce, master, wrap_aad(kdf))
    return Document(kdf, salt, nonce, wrapped, created_at, changed_at)


def _open_with_key_file(place: Place, document: Document, key_file: KeyFile) -> bytes:
    slot_id, key = key_file.read()
    slot = next((s for s in document.slots if s.id == slot_id), None)
    if slot is None:
        raise KeyFileRefused(key_file.path, (
            f"does not open the vault at {place.where}: its key slot {slot_id} is not there "
            "(removed with `liuhen vault remove-key-file`, or the file is another vault's); "
            "ask for a new key file (`liuhen vault add-key-file`)"))
    master = slot.open(key)
    if master is None:
        raise KeyFileRefused(key_file.path, (
            f"does not open the vault at {place.where}: its key does not match key slot "
            f"{slot_id} (the file or the slot was altered); ask for a new key file"))
    return master
