"""The slow key derivation that turns the passphrase into the key wrapping the master key.

Argon2id where the installed `cryptography` (>= 44, on an OpenSSL that has it) offers it, else
scrypt. Scrypt parameters are recorded in the same shape: `memory_kib` is scrypt's N (with r = 8
the memory is 128 * N * r bytes = N KiB), `lanes` is p, and `iterations` is recorded as 1.

The passphrase is NFC-normalised before UTF-8 encoding, so the same passphrase typed on systems
that compose characters differently still opens the vault.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from storage.vault.errors import VaultError

_ARGON2_LOCK = threading.Lock()

KEY_BYTES = 32
SALT_BYTES = 16
SCRYPT_R = 8

# Bounds checked before deriving anything, so an edited file cannot ask for absurd work.
MAX_MEMORY_KIB = 4 * 1024 * 1024  # 4 GiB
MAX_ITERATIONS = 64
MAX_LANES = 64


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
