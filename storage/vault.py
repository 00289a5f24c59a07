"""The vault: one small JSON file that holds Liuhen's master key, wrapped under the passphrase.

The master key is 256 random bits. It is never written in clear; the file holds it encrypted
("wrapped") with AES-256-GCM under a key derived from the passphrase with Argon2id (or scrypt
where the installed `cryptography` lacks Argon2id) and a random salt. Every other key is derived
from the master key with HKDF-SHA256 (`Vault.subkey`), so changing the passphrase rewraps the
same master key and nothing else has to be re-encrypted.

File layout (`format` "liuhen-vault", `version` 1), UTF-8 JSON::

    {
      "format": "liuhen-vault",
      "version": 1,
      "kdf": {"name": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4,
              "salt": "<base64, 16 bytes>"},
      "wrapped_key": {"nonce": "<base64, 12 bytes>", "ciphertext": "<base64, 32 + 16 bytes>"},
      "created_at": "2025-01-31T08:00:00Z",
      "passphrase_changed_at": "..."          (only after a change)
    }

The wrap's associated data binds the format name, the version and the KDF parameters
(`_wrap_aad`); the salt enters through the derived key. Editing any of them, the nonce or the
ciphertext makes the GCM tag fail. GCM cannot tell a wrong passphrase from an edited parameter,
so **all such edits surface as `WrongPassphrase`** (documented choice). `VaultCorrupt` is raised
for everything that can be seen without the key: not JSON, wrong format name or version, missing
fields, wrong types, bad base64, wrong lengths, KDF parameters outside sane bounds (which also
stops an edited file from making `unlock` allocate unbounded memory).

Scrypt parameters are recorded in the same shape: `memory_kib` is scrypt's N (with r = 8 the
memory is 128 * N * r bytes = N KiB), `lanes` is p, and `iterations` is recorded as 1.

The passphrase is NFC-normalised before UTF-8 encoding, so the same passphrase typed on systems
that compose characters differently still opens the vault.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import os
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from storage.fsutil import fsync_dir

_ARGON2_LOCK = threading.Lock()

FORMAT_NAME = "liuhen-vault"
FORMAT_VERSION = 1

KEY_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
SCRYPT_R = 8

# Bounds checked before deriving anything, so an edited file cannot ask for absurd work.
MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB
MAX_ITERATIONS = 64
MAX_LANES = 64


class VaultError(Exception):
    """Base of every vault error."""


class VaultNotFound(VaultError):
    def __init__(self, path: Path):
        super().__init__(f"no vault at {path}; run `liuhen init` first")
        self.path = path


class VaultExists(VaultError):
    def __init__(self, path: Path):
        super().__init__(f"a vault already exists at {path}")
        self.path = path


class WrongPassphrase(VaultError):
    def __init__(self, path: Path):
        super().__init__(f"wrong passphrase for vault at {path}")
        self.path = path


class VaultCorrupt(VaultError):
    """The vault file cannot be read as a vault; the message names the file and the problem."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"the vault file {path} is damaged or not a Liuhen vault: {reason}")
        self.path = path
        self.reason = reason


@functools.cache
def argon2id_available() -> bool:
    """True when the installed `cryptography` (>= 44, on an OpenSSL that has it) offers Argon2id."""
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    except ImportError:
        return False
    try:
        Argon2id(salt=b"\0" * SALT_BYTES, length=KEY_BYTES, iterations=1, lanes=1,
                 memory_cost=8).derive(b"probe")
    except (UnsupportedAlgorithm, NotImplementedError):
        return False
    return True


@dataclass(frozen=True)
class KdfParams:
    name: str  # "argon2id" or "scrypt"
    memory_kib: int  # argon2id memory cost; scrypt N (memory = N KiB with r = 8)
    iterations: int  # argon2id passes (scrypt: ignored, recorded as 1)
    lanes: int = 1  # argon2id lanes / scrypt p

    @classmethod
    def choose(cls, preferred: str = "argon2id", memory_mib: int = 64,
               iterations: int = 3) -> KdfParams:
        """Argon2id (lanes 4) when available, else scrypt with N = the largest power of two
        not above `memory_mib` MiB worth of KiB (128 * N * r bytes with r = 8)."""
        if preferred not in ("argon2id", "scrypt"):
            raise ValueError(f"unknown key derivation function {preferred!r}; "
                             "use 'argon2id' or 'scrypt'")
        if memory_mib < 1:
            raise ValueError("the key derivation memory must be at least 1 MiB")
        if iterations < 1:
            raise ValueError("the key derivation needs at least 1 iteration")
        memory_kib = memory_mib * 1024
        if preferred == "argon2id" and argon2id_available():
            return cls("argon2id", memory_kib, iterations, 4)
        return cls("scrypt", 1 << (memory_kib.bit_length() - 1), 1, 1)

    def check(self) -> str | None:
        """None if these parameters are usable, else what is wrong with them."""
        for field in ("memory_kib", "iterations", "lanes"):
            value = getattr(self, field)
            if type(value) is not int or value < 1:
                return f"kdf {field} must be a positive integer, not {value!r}"
        if self.memory_kib > MAX_MEMORY_KIB:
            return f"kdf memory_kib {self.memory_kib} is above the limit of {MAX_MEMORY_KIB}"
        if self.iterations > MAX_ITERATIONS:
            return f"kdf iterations {self.iterations} is above the limit of {MAX_ITERATIONS}"
        if self.lanes > MAX_LANES:
            return f"kdf lanes {self.lanes} is above the limit of {MAX_LANES}"
        if self.name == "argon2id":
            if self.memory_kib < 8 * self.lanes:
                return "argon2id memory_kib must be at least 8 * lanes"
        elif self.name == "scrypt":
            n = self.memory_kib
            if n < 2 or n & (n - 1):
                return f"scrypt memory_kib (N) must be a power of two >= 2, not {n}"
        else:
            return f"unknown kdf {self.name!r}"
        return None

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        if self.name == "argon2id":
            if not argon2id_available():
                raise VaultError(
                    "this vault's key is derived with argon2id, which the installed "
                    "`cryptography` does not offer; install cryptography>=44")
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

            kdf = Argon2id(salt=salt, length=KEY_BYTES, iterations=self.iterations,
                           lanes=self.lanes, memory_cost=self.memory_kib)
            # OpenSSL computes the lanes on its own thread pool, and two derivations started
            # from two Python threads at once deadlock there (seen with cryptography 50 and
            # lanes > 1). One at a time: each one already uses every core it can.
            with _ARGON2_LOCK:
                return kdf.derive(secret)
        return Scrypt(salt=salt, length=KEY_BYTES, n=self.memory_kib, r=SCRYPT_R,
                      p=self.lanes).derive(secret)


def _wrap_aad(kdf: KdfParams) -> bytes:
    return (f"{FORMAT_NAME}/v{FORMAT_VERSION}|kdf={kdf.name}|m={kdf.memory_kib}"
            f"|t={kdf.iterations}|p={kdf.lanes}").encode()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_passphrase(passphrase: str) -> None:
    if not isinstance(passphrase, str):
        raise TypeError("the passphrase must be a str")
    if not passphrase:
        raise ValueError("the passphrase must not be empty")


def _write_file(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write `data` to `path` atomically (temp file, fsync, rename, fsync dir), mode 0600.

    With `exclusive`, an existing file is never replaced (hard link instead of rename)."""
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise VaultExists(path) from None
            except OSError:  # a filesystem without hard links: check, then rename
                if path.exists():
                    raise VaultExists(path) from None
                os.replace(tmp, path)
        else:
            os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


class Vault:
    """An unlocked vault: the master key in memory, and the file it came from."""

    path: Path
    kdf: KdfParams

    def __init__(self, path: Path, master_key: bytes, kdf: KdfParams, created_at: str):
        self.path = Path(path)
        self.kdf = kdf
        self._master_key = master_key
        self._created_at = created_at

    def __repr__(self) -> str:
        return f"Vault(path={str(self.path)!r}, kdf={self.kdf!r})"

    @staticmethod
    def exists(path: Path) -> bool:
        return Path(path).is_file()

    @classmethod
    def create(cls, path: Path, passphrase: str, *, kdf: KdfParams | None = None) -> Vault:
        path = Path(path)
        _check_passphrase(passphrase)
        kdf = kdf if kdf is not None else KdfParams.choose()
        if (problem := kdf.check()) is not None:
            raise ValueError(problem)
        if path.exists():
            raise VaultExists(path)
        vault = cls(path, secrets.token_bytes(KEY_BYTES), kdf, _now())
        _write_file(path, vault._document(passphrase, kdf), exclusive=True)
        return vault

    @classmethod
    def unlock(cls, path: Path, passphrase: str) -> Vault:
        path = Path(path)
        _check_passphrase(passphrase)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise VaultNotFound(path) from None
        except IsADirectoryError:
            raise VaultCorrupt(path, "it is a directory") from None
        kdf, salt, nonce, wrapped, created_at = _parse(path, raw)
        key = kdf.derive(passphrase, salt)
        try:
            master = AESGCM(key).decrypt(nonce, wrapped, _wrap_aad(kdf))
        except InvalidTag:
            raise WrongPassphrase(path) from None
        return cls(path, master, kdf, created_at)

    def change_passphrase(self, new_passphrase: str, *, kdf: KdfParams | None = None) -> None:
        """Rewrap the same master key under `new_passphrase` (new salt; `kdf` if given)."""
        _check_passphrase(new_passphrase)
        kdf = kdf if kdf is not None else self.kdf
        if (problem := kdf.check()) is not None:
            raise ValueError(problem)
        data = self._document(new_passphrase, kdf, changed_at=_now())
        _write_file(self.path, data, exclusive=False)
        self.kdf = kdf

    def subkey(self, purpose: str) -> bytes:
        """32 bytes for one purpose ("database", "blobs", ...), HKDF-SHA256 of the master key."""
        if not purpose:
            raise ValueError("a subkey needs a purpose")
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                    info=b"liuhen/" + purpose.encode("utf-8")).derive(self._master_key)

    def _document(self, passphrase: str, kdf: KdfParams, changed_at: str | None = None) -> bytes:
        salt = secrets.token_bytes(SALT_BYTES)
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = AESGCM(kdf.derive(passphrase, salt)).encrypt(nonce, self._master_key,
                                                                _wrap_aad(kdf))
        doc: dict = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "kdf": {"name": kdf.name, "memory_kib": kdf.memory_kib,
                    "iterations": kdf.iterations, "lanes": kdf.lanes, "salt": _b64(salt)},
            "wrapped_key": {"nonce": _b64(nonce), "ciphertext": _b64(wrapped)},
            "created_at": self._created_at,
        }
        if changed_at is not None:
            doc["passphrase_changed_at"] = changed_at
        return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def _parse(path: Path, raw: bytes) -> tuple[KdfParams, bytes, bytes, bytes, str]:
    def corrupt(reason: str) -> VaultCorrupt:
        return VaultCorrupt(path, reason)

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
    return kdf, salt, nonce, wrapped, created_at
