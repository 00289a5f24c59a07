"""Open a data dir: find the passphrase, unlock the vault, open the database and blob store.

Every entry point (CLI, web, worker, scheduler) goes through `Services.open`, so they all agree on
where things live and how they are keyed. Opening also removes what an interrupted bundle export
left in the data dir (`storage.datadir.EXPORT_LEFTOVERS`), so a start after a crash leaves none.

The vault is vault.json in the data dir, or (`storage.vault_in = "database"`, PostgreSQL only)
a row of the database, so the processes of a shared deployment, each with its own data dir,
unlock the same one: with the passphrase, or a service account's key file (`read_unlock_key`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from logger.config import Config
from logger.errors import LiuhenError
from logger.secrets import first_line
from storage.blobs.store import BlobStore
from storage.datadir import remove_export_leftovers
from storage.db import make_engine, migrate, session as new_session
from storage.vault import KdfParams, KeyFile, Place, Vault, VaultFile, VaultInDatabase

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


def read_unlock_key(config: Config, *, env: Mapping[str, str] | None = None,
                    prompt: Prompt | None = None, purpose: str = "Vault passphrase"
                    ) -> str | KeyFile:
    """What opens the vault, in this order: `LIUHEN_PASSPHRASE`, `storage.passphrase_file`,
    `storage.key_file` (LIUHEN_KEY_FILE: a service account's key file, read when unlocking),
    a prompt. Creating a vault needs the passphrase itself (`read_passphrase`)."""
    env = os.environ if env is None else env
    passphrase_given = bool(env.get("LIUHEN_PASSPHRASE") or config.storage.passphrase_file)
    if config.storage.key_file and not passphrase_given:
        return KeyFile(Path(config.storage.key_file).expanduser())
    if prompt is None and not passphrase_given:
        raise PassphraseUnavailable(
            "the vault passphrase or a key file is needed: run in a terminal, set "
            "LIUHEN_PASSPHRASE, name a file in `storage.passphrase_file`, or a service "
            "account's key file in `storage.key_file` (LIUHEN_KEY_FILE)")
    return read_passphrase(config, env=env, prompt=prompt, purpose=purpose)


class S3SecretUnavailable(LiuhenError):
    """`storage.blob_store = "s3"` names an access key but no secret key can be found."""


def read_s3_secret(config: Config, *, env: Mapping[str, str] | None = None) -> str:
    """The S3 secret key from `LIUHEN_S3_SECRET_KEY`, else the first line of
    `storage.s3_secret_key_file`; "" when no access key is configured either (boto3 then finds
    credentials its own way: AWS_* variables, ~/.aws, an instance role)."""
    env = os.environ if env is None else env
    storage = config.storage
    if env.get("LIUHEN_S3_SECRET_KEY"):
        return env["LIUHEN_S3_SECRET_KEY"]
    if storage.s3_secret_key_file:
        return first_line(storage.s3_secret_key_file, what="S3 secret key",
                          key="storage.s3_secret_key_file", error=S3SecretUnavailable)
    if storage.s3_access_key:
        raise S3SecretUnavailable(
            f"the secret key of S3 access key {storage.s3_access_key!r} is needed: set "
            "LIUHEN_S3_SECRET_KEY, or name a file holding it in `storage.s3_secret_key_file`")
    return ""


def open_blob_store(config: Config, key: bytes, *,
                    env: Mapping[str, str] | None = None) -> BlobStore:
    """The blob store `storage.blob_store` names: the data dir's folder, or an S3 bucket (boto3
    is imported only then; it takes a while to load). With S3 the intake lock's file, needed
    when the database is SQLite, stays in the data dir's blob folder. Raises
    S3SecretUnavailable."""
    storage = config.storage
    if storage.blob_store != "s3":
        return BlobStore(storage.blob_dir, key)
    from storage.blobs.s3 import S3Backend
    backend = S3Backend(bucket=storage.s3_bucket, prefix=storage.s3_prefix,
                        endpoint=storage.s3_endpoint, region=storage.s3_region,
                        access_key=storage.s3_access_key,
                        secret_key=read_s3_secret(config, env=env))
    return BlobStore(backend, key, lock_dir=storage.blob_dir)


def kdf_from_config(config: Config) -> KdfParams:
    return KdfParams.choose(config.vault.kdf, config.vault.kdf_memory_mib,
                            config.vault.kdf_iterations)


def vault_place(config: Config) -> Place:
    """Where the vault lives: vault.json in the data dir, or with `storage.vault_in =
    "database"` the `vault` row of the PostgreSQL database, whose engine is made here, before
    any key: on PostgreSQL the vault keys nothing the engine needs. Close the place unless it
    is handed to Services (which then owns the engine)."""
    if config.storage.vault_in != "database":
        return VaultFile(config.storage.vault_path)
    return VaultInDatabase(make_engine(config.storage.database_url,
                                       sqlite_path=config.storage.database_path, key=b""))


def vault_exists(config: Config) -> bool:
    place = vault_place(config)
    try:
        return place.exists()
    finally:
        place.close()


@dataclass
class Services:
    """The unlocked data dir. Close it when done (the CLI and tests do; the web app at exit)."""

    config: Config
    vault: Vault
    engine: Engine
    blobs: BlobStore

    @classmethod
    def create(cls, config: Config, passphrase: str) -> Services:
        """Create the data dir, vault and database (`liuhen init`). Raises VaultExists (also
        when another process created the vault in the database first)."""
        data_dir = config.storage.data_dir
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        place = vault_place(config)
        try:
            if place.engine is not None:
                migrate(place.engine)  # the vault's table
            vault = Vault.create(place, passphrase, kdf=kdf_from_config(config))
            return cls._open_unlocked(config, vault)
        except BaseException:
            place.close()
            raise

    @classmethod
    def open(cls, config: Config, passphrase: str | KeyFile, *, tidy: bool = True) -> Services:
        """Unlock an existing data dir (with the passphrase or a key file) and bring its
        database schema up to date; `tidy`: and remove export leftovers (`liuhen verify` opens
        without, to report them).

        Raises VaultNotFound, WrongPassphrase, KeyFileRefused, DatabaseKeyError."""
        place = vault_place(config)
        try:
            vault = Vault.unlock(place, passphrase)
            return cls._open_unlocked(config, vault, tidy=tidy)
        except BaseException:
            place.close()
            raise

    @classmethod
    def _open_unlocked(cls, config: Config, vault: Vault, *, tidy: bool = True) -> Services:
        # A vault in the database came with the engine that reads it.
        engine = vault.place.engine or make_engine(config.storage.database_url,
                                                   sqlite_path=config.storage.database_path,
                                                   key=vault.subkey("database"))
        migrate(engine)
        # Even when the vault, the database and the blobs live elsewhere, the data dir is where
        # this process keeps its scratch files (an export's encrypted spool).
        config.storage.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in remove_export_leftovers(config.storage.data_dir) if tidy else ():
            log.warning("removed %s, left by an interrupted bundle export", path)
        blobs = open_blob_store(config, vault.subkey("blobs"))
        return cls(config=config, vault=vault, engine=engine, blobs=blobs)

    def session(self) -> Session:
        return new_session(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
