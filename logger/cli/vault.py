"""`liuhen vault ...`: the key files of service accounts, and moving the vault into the database.

A key file opens the vault in place of the passphrase (storage.vault.slots): a web server, a
worker or the scheduler gets one of its own (`storage.key_file`, LIUHEN_KEY_FILE), and removing
its slot revokes it. `move-to-database` is for a PostgreSQL deployment that began with the vault
in the data dir: it copies vault.json and the bundle signing key into the database, after which
every process sets `storage.vault_in = "database"` and needs no shared folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import click

from logger.cli.output import emit
from logger.errors import LiuhenError

if TYPE_CHECKING:
    from storage.vault import KeySlot


@click.group()
def vault() -> None:
    """The vault's key files (for service accounts) and where the vault lives."""


def _slot_dict(slot: KeySlot) -> dict:
    return {"id": slot.id, "label": slot.label, "created_at": slot.created_at}


@vault.command("add-key-file")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--label", default="", help="Whose key it is, e.g. worker-2 (default: the file's "
                                          "name); shown by `liuhen vault key-files`.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def add_key_file(obj, path: Path, label: str, as_json: bool) -> None:
    """Write a new key file at PATH (mode 0600; an existing file is never overwritten) that
    opens the vault in place of the passphrase, for a service account."""
    opened = obj.vault()
    slot = opened.add_key_file(path, label=label)
    emit({**_slot_dict(slot), "key_file": str(path), "vault": str(opened.path)}, as_json,
         f"wrote key file {path} (key {slot.id}, “{slot.label}”) for the vault at "
         f"{opened.path}.\nGive it to the service account as a file only it can read, and set "
         f"`storage.key_file` (or LIUHEN_KEY_FILE) to its path there; "
         f"`liuhen vault remove-key-file {slot.id}` revokes it.")


@vault.command("key-files")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def key_files(obj, as_json: bool) -> None:
    """List the key files that open the vault (their ids, labels and dates, never a key)."""
    opened = obj.vault()
    data = [_slot_dict(slot) for slot in opened.key_slots]
    lines = [f"{s['id']}  {s['label']}  created {s['created_at']}" for s in data]
    emit(data, as_json, "\n".join(lines) if lines else f"the vault at {opened.path} has no "
                                                        "key files")


@vault.command("remove-key-file")
@click.argument("key_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def remove_key_file(obj, key_id: str, as_json: bool) -> None:
    """Remove key file KEY_ID (from `liuhen vault key-files`): every copy of it stops opening
    the vault. Processes already running keep their open vault until they restart."""
    opened = obj.vault()
    slot = opened.remove_key_file(key_id)
    emit(_slot_dict(slot), as_json,
         f"removed key file {slot.id} (“{slot.label}”) from the vault at {opened.path}; it "
         "opens nothing from now on")


@vault.command("move-to-database")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def move_to_database(obj, as_json: bool) -> None:
    """Copy this data dir's vault.json and bundle signing key into the PostgreSQL database, so
    that every process can set `storage.vault_in = "database"`. Refused when the database
    holds a vault already; the files are left where they are."""
    from logger.bundles import signing
    from logger.services import vault_place
    from storage.db import migrate
    from storage.vault import Vault, VaultFile
    config = obj.config
    if not config.storage.database_url:
        raise LiuhenError("the vault can move only into a PostgreSQL database "
                          "(`storage.database_url`): the SQLite file is encrypted with a key "
                          "the vault holds")
    source = VaultFile(config.storage.vault_path)
    opened = Vault.unlock(source, obj.unlock_key())
    key_document = signing.file_document(opened, config.storage.data_dir)
    sealed = {signing.SECRET_NAME: key_document} if key_document is not None else {}
    target = vault_place(dataclasses.replace(
        config, storage=dataclasses.replace(config.storage, vault_in="database")))
    try:
        migrate(target.engine)
        target.create(source.read(), sealed=sealed)
        where = target.where
    finally:
        target.close()
    moved = [str(source.path)] + ([str(signing.key_path(config.storage.data_dir))]
                                  if key_document is not None else [])
    emit({"vault": where, "copied": moved, "signing_key": key_document is not None}, as_json,
         f"copied {' and '.join(moved)} into {where}.\nNow set `storage.vault_in = "
         "\"database\"` (or LIUHEN_STORAGE_VAULT_IN=database) for every Liuhen process and "
         "restart them. Once they all run so, these files are no longer read and can be "
         "removed from this data dir; until then a passphrase change or a key file made "
         "here would change one copy and not the other.")


def register(group: click.Group) -> None:
    group.add_command(vault)
