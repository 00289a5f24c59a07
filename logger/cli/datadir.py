"""`liuhen init|passwd|verify`: create the data dir, change its passphrase, check it."""

from __future__ import annotations

import sys

import click

from logger.cli.options import new_secret, prompt_if_terminal
from logger.cli.output import emit
from logger.errors import LiuhenError


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def init(obj, as_json: bool) -> None:
    """Create the data dir: vault (master key under your passphrase) and encrypted database."""
    from logger.services import Services, read_passphrase, vault_place
    config = obj.config
    place = vault_place(config)
    try:
        if place.exists():
            raise LiuhenError(f"a vault already exists at {place.where}")
    finally:
        place.close()
    passphrase = read_passphrase(config, prompt=prompt_if_terminal(confirm=True),
                                 purpose="New vault passphrase")
    with Services.create(config, passphrase) as services:
        data_dir, kdf = services.config.storage.data_dir, services.vault.kdf.name
        where = services.vault.path
    emit({"data_dir": str(data_dir), "vault": str(where), "kdf": kdf},
         as_json, f"created vault and database in {data_dir} (key derivation: {kdf}); "
                  f"the vault is at {where}")


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def passwd(obj, as_json: bool) -> None:
    """Change the vault passphrase (the master key is rewrapped; nothing is re-encrypted, and
    the key files keep working). It is unlocked as every command is: with the current
    passphrase, or a key file.

    The new passphrase comes from a prompt or LIUHEN_NEW_PASSPHRASE."""
    from logger.services import PassphraseUnavailable, kdf_from_config
    config = obj.config
    vault = obj.vault(purpose="Current passphrase")
    new = new_secret("LIUHEN_NEW_PASSPHRASE", "New passphrase", "the new passphrase",
                     PassphraseUnavailable)
    vault.change_passphrase(new, kdf=kdf_from_config(config))
    emit({"vault": str(vault.path), "kdf": vault.kdf.name}, as_json,
         f"passphrase changed for vault at {vault.path} (key derivation: {vault.kdf.name})")


@click.command()
@click.option("--repair", is_flag=True,
              help="Remove orphan blobs, temp files of interrupted writes and leftovers of "
                   "interrupted exports (never evidence, never a file it does not know).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def verify(obj, repair: bool, as_json: bool) -> None:
    """Re-hash every blob, walk the custody chain, find orphans, leftovers of interrupted
    exports and files Liuhen does not know in the data dir. Exit 1 on any problem."""
    from logger.record.verify import repair as do_repair, verify as do_verify
    services = obj.services(tidy=False)  # export leftovers are reported, or removed by --repair
    with services.session() as session:
        removed = do_repair(session, services.blobs, config=obj.config) if repair else []
        report = do_verify(session, services.blobs, config=obj.config)
    if as_json:
        emit({"ok": report.ok, "evidence_checked": report.evidence_checked,
              "bytes_checked": report.bytes_checked, "events_checked": report.events_checked,
              "trashed": report.trashed, "purged": report.purged,
              "seconds": round(report.seconds, 3), "repaired": removed,
              "problems": [{"kind": p.kind, "message": p.message, "evidence_id": p.evidence_id,
                            "blob_id": p.blob_id} for p in report.problems]}, True)
    else:
        for line in removed:
            click.echo(line)
        for problem in report.problems:
            click.echo(problem.message)
        click.echo(report.summary(), err=not report.ok)
    sys.exit(0 if report.ok else 1)


def register(cli: click.Group) -> None:
    for command in (init, passwd, verify):
        cli.add_command(command)
