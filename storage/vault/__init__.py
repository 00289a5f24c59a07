"""The vault: Liuhen's master key, wrapped under the passphrase and under each key file.

The master key is 256 random bits. It is never written in clear; the vault document holds it
encrypted ("wrapped") with AES-256-GCM under a key derived from the passphrase with Argon2id (or
scrypt where the installed `cryptography` lacks Argon2id) and a random salt (`kdf`), and once
more under each key file a service account holds (`slots`). Every other key is derived from the
master key with HKDF-SHA256 (`Vault.subkey`), so changing the passphrase or the key files
rewraps the same master key and nothing else has to be re-encrypted.

The document (`document`: its layout and what is checked) lives in `<data_dir>/vault.json` or,
for a shared deployment on PostgreSQL, in a row of the database (`places`), so that processes
on different machines, each with its own data dir, unlock the same vault.

Modules: errors, kdf, document, slots (key files), places (file or database), master (`Vault`).
This package imports nothing of the project outside `storage`.
"""

from storage.vault.document import FORMAT_NAME, FORMAT_VERSION
from storage.vault.errors import (KeyFileRefused, VaultChanged, VaultCorrupt, VaultError,
                                  VaultExists, VaultNotFound, WrongPassphrase)
from storage.vault.kdf import KdfParams, argon2id_available
from storage.vault.master import Place, Vault
from storage.vault.places import SealedSecrets, VaultFile, VaultInDatabase
from storage.vault.slots import KeyFile, KeySlot

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "KdfParams", "KeyFile", "KeyFileRefused", "KeySlot",
           "Place", "SealedSecrets", "Vault", "VaultChanged", "VaultCorrupt", "VaultError",
           "VaultExists", "VaultFile", "VaultInDatabase", "VaultNotFound", "WrongPassphrase",
           "argon2id_available"]
