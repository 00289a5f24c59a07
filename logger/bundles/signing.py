"""The bundle signing key: one Ed25519 key per deployment, made on first use, kept encrypted.

Bundles (`logger.bundles`) carry an Ed25519 signature of their manifest, so a recipient who
learned the public key's fingerprint from the sender (the settings page, `liuhen export
--show-key`) can tell that the bundle came unaltered from this Liuhen. The private key lives in
`<data_dir>/signing-key.enc`, a small JSON file (mode 0600, written atomically) holding the
32-byte private key encrypted with AES-256-GCM under the vault subkey "bundle-signing"; the
associated data binds the format, version and public key, so swapping any of them is an error.
The fingerprint is the SHA-256 of the raw 32-byte public key, in groups of four hex digits.

When the vault lives in the database (`storage.vault_in = "database"`), the same document is a
sealed secret beside it (`SECRET_NAME`, storage.vault.places.SealedSecrets) and nothing is
written to the data dir: every web server of the deployment signs with the one key, and of two
making it at once the first one written is kept by both. `liuhen vault move-to-database`
copies the file there (`file_document`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from logger.errors import LiuhenError
from storage.fsutil import write_private_file
from storage.vault import SealedSecrets, Vault

KEY_FILE_NAME = "signing-key.enc"
SECRET_NAME = "bundle-signing-key"  # among the sealed secrets, when the vault is in the database
FORMAT_NAME = "liuhen-signing-key"
FORMAT_VERSION = 1
SUBKEY_PURPOSE = "bundle-signing"
ALGORITHM = "Ed25519"


class SigningKeyError(LiuhenError):
    """The signing key file cannot be read; the message names the file and what to do."""


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public_raw: bytes
    created_at: str

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode("ascii")

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)

    def signature_file(self, data: bytes, name: str = "manifest.json") -> bytes:
        """manifest.sig: the signature of `data` (the file `name`), with the public key, its
        fingerprint and the file's SHA-256, so a time-stamp of this file dates all of them."""
        document = {"format": "liuhen-bundle-signature", "version": 1, "algorithm": ALGORITHM,
                    "signed_file": name, "signed_file_sha256": hashlib.sha256(data).hexdigest(),
                    "signature": base64.b64encode(self.sign(data)).decode("ascii"),
                    "public_key": self.public_key_b64, "fingerprint": self.fingerprint}
        return (json.dumps(document, indent=2) + "\n").encode()

    def info(self) -> dict:
        """What the settings page and `liuhen export --show-key` show."""
        return {"algorithm": ALGORITHM, "public_key": self.public_key_b64,
                "fingerprint": self.fingerprint, "created_at": self.created_at}


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw public key as 16 groups of 4 hex digits, easy to read aloud."""
    digest = hashlib.sha256(public_raw).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def key_path(data_dir: Path) -> Path:
    return Path(data_dir) / KEY_FILE_NAME


def signing_key(vault: Vault, data_dir: Path) -> SigningKey:
    """This deployment's signing key, made (and stored) the first time it is asked for: in the
    data dir, or beside a vault kept in the database (then `data_dir` is not used).

    Raises SigningKeyError when the stored key cannot be opened with this vault."""
    if vault.secrets is not None:
        return _from_database(vault, vault.secrets)
    path = key_path(data_dir)
    if not path.exists():
        _create(vault, path)
    return _load(vault, path)


def local_fingerprint(data_dir: Path, sealed: SealedSecrets | None = None) -> str:
    """The fingerprint of this data dir's key (or, given the database's `sealed` secrets, of
    the one kept there), read without the vault (the public key is stored in the clear), so
    `liuhen verify-bundle` can tell its own bundles from others' without a passphrase; "" when
    there is no key yet.

    Raises SigningKeyError when the key exists but holds no Ed25519 public key."""
    path = key_path(data_dir) if sealed is None else f"{SECRET_NAME} in {sealed.where}"
    try:
        text = key_path(data_dir).read_text("utf-8") if sealed is None \
            else sealed.read(SECRET_NAME)
        if text is None:
            return ""
        document = json.loads(text)
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SigningKeyError(f"the bundle signing key {path} is not readable JSON ({e})") from None
    try:
        public_raw = base64.b64decode(document["public_key"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        public_raw = b""
    if len(public_raw) != 32:
        raise SigningKeyError(f"the bundle signing key {path} holds no Ed25519 public key")
    return fingerprint(public_raw)


def _aad(public_b64: str) -> bytes:
    return f"{FORMAT_NAME}/v{FORMAT_VERSION}|{ALGORITHM}|{public_b64}".encode()


def file_document(vault: Vault, data_dir: Path) -> str | None:
    """The data dir's key file as text, once it is known to open with `vault`; None when the
    data dir has none. Raises SigningKeyError as signing_key."""
    path = key_path(data_dir)
    if not path.exists():
        return None
    _load(vault, path)
    return path.read_text(encoding="utf-8")


def _from_database(vault: Vault, sealed: SealedSecrets) -> SigningKey:
    document = sealed.read(SECRET_NAME)
    if document is None:
        # Another web server may add its own first; then that one is read back and kept.
        sealed.add(SECRET_NAME, _new_document(vault).decode("utf-8"))
        document = sealed.read(SECRET_NAME) or ""
    return _open(vault, document, f"{SECRET_NAME} in {sealed.where}", DATABASE_ADVICE)


def _create(vault: Vault, path: Path) -> None:
    """Write a new key; if another process wrote one first, theirs is kept."""
    _write_new(path, _new_document(vault))


def _new_document(vault: Vault) -> bytes:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes_raw()
    public_b64 = base64.b64encode(private.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw)).decode("ascii")
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(vault.subkey(SUBKEY_PURPOSE)).encrypt(nonce, raw_private, _aad(public_b64))
    document = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "algorithm": ALGORITHM,
        "public_key": public_b64,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "ciphertext": base64.b64encode(sealed).decode("ascii"),
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _write_new(path: Path, data: bytes) -> None:
    """Write the key file (0600, atomically), never replacing one another process wrote first."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        write_private_file(path, data, exclusive=True)


FILE_ADVICE = ("Restore it from a backup of this data dir, or move it away to make a new key "
               "(recipients must then be given the new fingerprint)")
DATABASE_ADVICE = ("Restore the database from a backup, or delete that row of sealed_secret to "
                   "make a new key (recipients must then be given the new fingerprint)")


def _load(vault: Vault, path: Path) -> SigningKey:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise SigningKeyError(f"the bundle signing key {path} cannot be used: it is not "
                              f"readable ({e}). {FILE_ADVICE}") from None
    return _open(vault, text, path, FILE_ADVICE)


def _open(vault: Vault, text: str, where: Path | str, advice: str) -> SigningKey:
    def damaged(reason: str) -> SigningKeyError:
        return SigningKeyError(f"the bundle signing key {where} cannot be used: {reason}. "
                               f"{advice}")

    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise damaged(f"it is not readable JSON ({e})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME \
            or document.get("version") != FORMAT_VERSION or document.get("algorithm") != ALGORITHM:
        raise damaged(f"it is not a {FORMAT_NAME} version {FORMAT_VERSION} file")
    try:
        public_b64 = document["public_key"]
        nonce = base64.b64decode(document["nonce"], validate=True)
        sealed = base64.b64decode(document["ciphertext"], validate=True)
        created_at = str(document["created_at"])
    except (KeyError, TypeError, binascii.Error) as e:
        raise damaged(f"a field is missing or not base64 ({e})") from None
    try:
        raw_private = AESGCM(vault.subkey(SUBKEY_PURPOSE)).decrypt(nonce, sealed,
                                                                   _aad(public_b64))
    except (InvalidTag, ValueError):
        raise damaged("it was not made by this vault, or it was altered") from None
    private = Ed25519PrivateKey.from_private_bytes(raw_private)
    public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if base64.b64encode(public_raw).decode("ascii") != public_b64:
        raise damaged("its public key does not belong to its private key")
    return SigningKey(private, public_raw, created_at)
