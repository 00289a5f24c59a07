"""Open a data dir: find the passphrase, unlock the vault, open the database and blob store.

Every entry point (CLI, web, worker, scheduler) goes through `Services.open`, so they all agree on
where things live and how they are keyed. Opening also removes what an interrupted bundle export
left in the data dir (`storage.datadir.EXPORT_LEFTOVERS`), so a start after a crash leaves none.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from logger.config import Config
from logger.errors import LiuhenError
from logger.secrets import first_line
from storage.blobs.store import BlobStore
from storage.datadir import remove_export_leftovers
from storage.db import make_engine, migrate, session as new_session
from storage.vault import KdfParams, Vault

Prompt = Callable[[str], str]
log = logging.getLogger(__name__)


class PassphraseUnavailable(LiuhenError):
    """No passphrase source is available (no terminal, no variable, no file)."""


def read_passphrase(config: Config, *, env: Mapping[str, str] | None = None,
                    prompt: Prompt | None = None, purpose: str = "Vault passphrase") -> str:
    """The vault passphrase from `LIUHEN_PASSPHRASE`, else `storage.passphrase_file`, else a
    prompt. It is returned, never stored."""
    env = os.environ if env is None else env
    if env.get("LIUHEN_PASSPHRASE"):
        return env["LIUHEN_PASSPHRASE"]
    if config.storage.passphrase_file:
        return first_line(config.storage.passphrase_file, what="passphrase",
                          key="storage.passphrase_file", error=PassphraseUnavailable)
    if prompt is None:
        raise PassphraseUnavailable(
            "the vault passphrase is needed: run in a terminal, set LIUHEN_PASSPHRASE, or name a "
            "file in `storage.passphrase_file`")
    return prompt(purpose)


def kdf_from_config(config: Config) -> KdfParams:
    return KdfParams.choose(config.vault.kdf, config.vault.kdf_memory_mib,
                            config.vault.kdf_iterations)


@dataclass
class Services:
    """The unlocked data dir. Close it when done (the CLI and tests do; the web app at exit)."""

    config: Config
    vault: Vault
    engine: Engine
    blobs: BlobStore

    @classmethod
    def create(cls, config: Config, passphrase: str) -> Services:
        """Create the data dir, vault and database (`liuhen init`). Raises VaultExists."""
        data_dir = config.storage.data_dir
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        vault = Vault.create(config.storage.vault_path, passphrase, kdf=kdf_from_config(config))
        return cls._open_unlocked(config, vault)

    @classmethod
    def open(cls, config: Config, passphrase: str, *, tidy: bool = True) -> Services:
        """Unlock an existing data dir and bring its database schema up to date; `tidy`: and
        remove export leftovers (`liuhen verify` opens without, to report them).

        Raises VaultNotFound, WrongPassphrase, DatabaseKeyError."""
        vault = Vault.unlock(config.storage.vault_path, passphrase)
        return cls._open_unlocked(config, vault, tidy=tidy)

    @classmethod
    def _open_unlocked(cls, config: Config, vault: Vault, *, tidy: bool = True) -> Services:
        engine = make_engine(config.storage.database_url,
                             sqlite_path=config.storage.database_path,
                             key=vault.subkey("database"))
        migrate(engine)
        for path in remove_export_leftovers(config.storage.data_dir) if tidy else ():
            log.warning("removed %s, left by an interrupted bundle export", path)
        blobs = BlobStore(config.storage.blob_dir, vault.subkey("blobs"))
        return cls(config=config, vault=vault, engine=engine, blobs=blobs)

    def session(self) -> Session:
        return new_session(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
