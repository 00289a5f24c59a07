"""What can go wrong with a vault, as messages a person can act on.

`where` is the place the vault lives: the path of vault.json, or the database (a URL without
its password, and the table). The attribute keeps its old name, `path`, for the callers that
show it.
"""

from __future__ import annotations

from pathlib import Path


class VaultError(Exception):
    """Base of every vault error."""


class VaultNotFound(VaultError):
    def __init__(self, path: Path | str):
        super().__init__(f"no vault at {path}; run `liuhen init` first")
        self.path = path


class VaultExists(VaultError):
    def __init__(self, path: Path | str):
        super().__init__(f"a vault already exists at {path}")
        self.path = path


class WrongPassphrase(VaultError):
    def __init__(self, path: Path | str):
        super().__init__(f"wrong passphrase for vault at {path}")
        self.path = path


class VaultCorrupt(VaultError):
    """The vault cannot be read as a vault; the message names where it is and the problem."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"the vault file {path} is damaged or not a Liuhen vault: {reason}")
        self.path = path
        self.reason = reason


class VaultChanged(VaultError):
    """Another process rewrote the vault after this one read it; nothing was written."""

    def __init__(self, path: Path | str):
        super().__init__(f"the vault at {path} was changed by another process after it was "
                         "unlocked here; nothing was written: run the command again")
        self.path = path


class KeyFileRefused(VaultError):
    """A key file that cannot open the vault; the message names the file and what to do."""

    def __init__(self, key_file: Path, reason: str):
        super().__init__(f"the key file {key_file} {reason}")
        self.key_file = key_file
        self.reason = reason
