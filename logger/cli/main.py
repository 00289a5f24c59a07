"""The `liuhen` command line (also `python -m logger`).

Every reporting command takes `--json`; the names it prints are a contract scripts rely on.
Errors print one line, `liuhen: <what is wrong and what to do>`, and exit 1.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import click

from logger import accounts
from logger.cli.options import new_secret, prompt_if_terminal
from logger.cli.output import emit
from logger.config import Config, load_config
from logger.errors import LiuhenError
from logger.services import (PassphraseUnavailable, Services, kdf_from_config, read_passphrase,
                             read_unlock_key, vault_place)
from storage.blobs.store import BlobError
from storage.db import DatabaseKeyError
from storage.vault import KeyFile, Place, Vault, VaultError

# The errors a person can act on; anything else is a bug and keeps its traceback.
USER_ERRORS = (LiuhenError, VaultError, DatabaseKeyError, BlobError, ValueError)


@dataclass
class Context:
    config: Config
    _services: Services | None = field(default=None, repr=False)
    _place: Place | None = field(default=None, repr=False)

    def services(self, *, tidy: bool = True) -> Services:
        """Unlock the data dir on first use (passphrase from env or file, a key file, or a
        prompt); `tidy`: see Services.open."""
        if self._services is None:
            self._services = Services.open(self.config, self.unlock_key(), tidy=tidy)
        return self._services

    def vault(self, purpose: str = "Vault passphrase") -> Vault:
        """The vault alone, unlocked as `services` does, for the commands that change it (the
        database is neither migrated nor keyed)."""
        if self._services is not None:
            return self._services.vault
        if self._place is None:
            self._place = vault_place(self.config)
        return Vault.unlock(self._place, self.unlock_key(purpose))

    def unlock_key(self, purpose: str = "Vault passphrase") -> str | KeyFile:
        """What opens the vault (services.read_unlock_key), with a prompt at a terminal."""
        return read_unlock_key(self.config, prompt=prompt_if_terminal(), purpose=purpose)

    def create(self, passphrase: str) -> Services:
        """Create the data dir (vault and database) and keep it open."""
        self._services = Services.create(self.config, passphrase)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
        if self._place is not None:
            self._place.close()


class LiuhenGroup(click.Group):
    """Adds, on first use, the evidence commands and those other packages offer through the
    `liuhen.commands` entry-point group (`web` adds `serve`), so the domain never imports the
    layers above it, and they can import this module freely."""

    _plugins_loaded = False

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        from logger.cli import bundles as cli_bundles
        from logger.cli import evidence as cli_evidence
        from logger.cli import jobs as cli_jobs
        from logger.cli import watch as cli_watch
        cli_bundles.register(self)
        cli_evidence.register(self)
        cli_jobs.register(self)
        cli_watch.register(self)
        from logger.cli import conduct as cli_conduct
        cli_conduct.register(self)
        from logger.cli import promises as cli_promises
        cli_promises.register(self)
        from logger.cli import reminders as cli_reminders
        cli_reminders.register(self)
        from logger.cli import backup as cli_backup
        cli_backup.register(self)
        from logger.cli import vault as cli_vault
        cli_vault.register(self)
        from logger.cli import tidy as cli_tidy
        cli_tidy.register(self)
        from logger.cli import sharing as cli_sharing
        from logger.cli import users as cli_users
        cli_sharing.register(self)
        cli_users.register(self)
        for entry in entry_points(group="liuhen.commands"):
            self.add_command(entry.load(), entry.name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugins()
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as e:
            click.echo(f"liuhen: {e}", err=True)
            ctx.exit(1)


@click.group(cls=LiuhenGroup)
@click.option("--data-dir", type=click.Path(path_type=Path),
              help="Data dir (vault, database, blobs). Default: storage.data_dir, ./data.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Config file. Default: $LIUHEN_CONFIG, else ./config.toml if present.")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, config_path: Path | None) -> None:
    """Liuhen (留痕): keep the record of a debt negotiation, encrypted and verifiable."""
    config = load_config(config_path)
    if data_dir is not None:
        config = config.with_data_dir(data_dir)
    ctx.obj = Context(config)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def init(obj: Context, as_json: bool) -> None:
    """Create the data dir: vault (master key under your passphrase) and encrypted database."""
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


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def passwd(obj: Context, as_json: bool) -> None:
    """Change the vault passphrase (the master key is rewrapped; nothing is re-encrypted, and
    the key files keep working). It is unlocked as every command is: with the current
    passphrase, or a key file.

    The new passphrase comes from a prompt or LIUHEN_NEW_PASSPHRASE."""
    config = obj.config
    vault = obj.vault(purpose="Current passphrase")
    new = new_secret("LIUHEN_NEW_PASSPHRASE", "New passphrase", "the new passphrase",
                     PassphraseUnavailable)
    vault.change_passphrase(new, kdf=kdf_from_config(config))
    emit({"vault": str(vault.path), "kdf": vault.kdf.name}, as_json,
         f"passphrase changed for vault at {vault.path} (key derivation: {vault.kdf.name})")


@cli.command()
@click.option("--repair", is_flag=True,
              help="Remove orphan blobs, temp files of interrupted writes and leftovers of "
                   "interrupted exports (never evidence, never a file it does not know).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def verify(obj: Context, repair: bool, as_json: bool) -> None:
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


@cli.group()
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May add and manage members.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_add(obj: Context, name: str, admin: bool, as_json: bool) -> None:
    """Add an account (the first one is the owner). Password from a prompt or LIUHEN_PASSWORD."""
    password = new_secret("LIUHEN_PASSWORD", f"Password for {name}", "the password")
    with obj.services().session() as session:
        account = accounts.add_user(session, name, password, admin=admin)
        emit({"id": account.id, "name": account.name, "role": str(account.role)}, as_json,
             f"added user #{account.id} {account.name} ({account.role})")


@user.command("password")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_password(obj: Context, name: str, as_json: bool) -> None:
    """Set account NAME's password and sign out every browser signed in to it. The password
    comes from a prompt (typed twice) or LIUHEN_NEW_PASSWORD."""
    password = new_secret("LIUHEN_NEW_PASSWORD", f"New password for {name}", "the new password")
    with obj.services().session() as session:
        account = accounts.find_user(session, name)
        ended = accounts.set_password(session, account, password)
        emit({"id": account.id, "name": account.name, "sessions_ended": ended}, as_json,
             f"password changed for {account.name}; {ended} browser session(s) signed out")


@user.command("token")
@click.argument("name")
@click.option("--label", default="cli", show_default=True,
              help="What the token is for, e.g. phone (shown in the token list).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_token(obj: Context, name: str, label: str, as_json: bool) -> None:
    """Create an API token for account NAME. It is printed once; only its hash is kept."""
    from logger.tokens import create_token, token_dict
    with obj.services().session() as session:
        token, plaintext = create_token(session, accounts.find_user(session, name), label)
        emit({**token_dict(token), "token": plaintext}, as_json,
             f"API token #{token.id} “{token.name}” for {name} (shown once, keep it safe):\n"
             f"{plaintext}")


@user.command("tokens")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_tokens(obj: Context, name: str, as_json: bool) -> None:
    """List account NAME's API tokens (their prefixes, never the tokens)."""
    from logger.tokens import list_tokens, token_dict
    with obj.services().session() as session:
        data = [token_dict(t) for t in list_tokens(session, accounts.find_user(session, name))]
    lines = [f"#{t['id']:<4} {t['prefix']}…  {t['name']}  created {t['created_at']}"
             + (f"  revoked {t['revoked_at']}" if t["revoked_at"] else "")
             + (f"  last used {t['last_used_at']}" if t["last_used_at"] else "")
             for t in data]
    emit(data, as_json, "\n".join(lines) if lines else f"{name} has no API tokens")


@user.command("revoke-token")
@click.argument("token_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_revoke_token(obj: Context, token_id: int, as_json: bool) -> None:
    """Revoke API token ID: requests with it are refused from now on."""
    from logger.tokens import revoke_token, token_dict
    with obj.services().session() as session:
        token = revoke_token(session, token_id)
        emit(token_dict(token), as_json, f"revoked API token #{token.id} “{token.name}”")


def main() -> None:
    # Everything Liuhen writes (database, WAL, blobs, exports) is readable by this user only.
    os.umask(0o077)
    cli(prog_name="liuhen")
