"""The `liuhen` command line (also `python -m logger`).

Every reporting command takes `--json`; the names it prints are a contract scripts rely on.
Errors print one line, `liuhen: <what is wrong and what to do>`, and exit 1.

A command's module is imported only when that command runs or shows its own help (`COMMANDS`
says which), so a command starts without loading what the others need (the web app, PDF,
text parsers): this module imports nothing but click and the config at the top.
"""

from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from logger.config import Config, load_config
from logger.errors import LiuhenError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from logger.services import Services
    from storage.vault import KeyFile, Place, Vault


@dataclass
class Context:
    """What every command gets as `obj`. The storage layer is imported when a command first
    opens the data dir, not before."""

    config: Config
    _services: Services | None = field(default=None, repr=False)
    _place: Place | None = field(default=None, repr=False)

    def services(self, *, tidy: bool = True) -> Services:
        """Unlock the data dir on first use (passphrase from env or file, a key file, or a
        prompt); `tidy`: see Services.open."""
        if self._services is None:
            from logger.services import Services
            self._services = Services.open(self.config, self.unlock_key(), tidy=tidy)
        return self._services

    def vault(self, purpose: str = "Vault passphrase") -> Vault:
        """The vault alone, unlocked as `services` does, for the commands that change it (the
        database is neither migrated nor keyed)."""
        from logger.services import vault_place
        from storage.vault import Vault
        if self._services is not None:
            return self._services.vault
        if self._place is None:
            self._place = vault_place(self.config)
        return Vault.unlock(self._place, self.unlock_key(purpose))

    def unlock_key(self, purpose: str = "Vault passphrase") -> str | KeyFile:
        """What opens the vault (services.read_unlock_key), with a prompt at a terminal."""
        from logger.cli.options import prompt_if_terminal
        from logger.services import read_unlock_key
        return read_unlock_key(self.config, prompt=prompt_if_terminal(), purpose=purpose)

    def create(self, passphrase: str) -> Services:
        """Create the data dir (vault and database) and keep it open."""
        from logger.services import Services
        self._services = Services.create(self.config, passphrase)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
        if self._place is not None:
            self._place.close()


def user_errors() -> tuple[type[Exception], ...]:
    """The errors a person can act on; anything else is a bug and keeps its traceback.
    Imported only once a command has failed."""
    from storage.blobs.store import BlobError
    from storage.db import DatabaseKeyError
    from storage.vault import VaultError
    return (LiuhenError, VaultError, DatabaseKeyError, BlobError, ValueError)


class BuiltIn(NamedTuple):
    """A command of logger.cli: `modules`, the one whose register() adds it, then those that add
    subcommands to it; `summary`, the first sentence of its help, which `liuhen --help` shows
    without importing them (tests/test_cli_startup.py checks that the two agree)."""

    modules: tuple[str, ...]
    summary: str


COMMANDS: dict[str, BuiltIn] = {
    "backup": BuiltIn(("backup",), "Write an encrypted, verifiable backup of the database and "
                      "the originals into a folder (`--to DIR`); `backup verify DIR` checks one."),
    "calllog": BuiltIn(("conduct",), "Call logs exported from the phone (missed and rejected "
                       "calls count too)."),
    "conduct": BuiltIn(("conduct",), "The collection rules a negotiation is checked against."),
    "contact": BuiltIn(("conduct",), "Contacts you record by hand: a visit, a call to your "
                       "mother, a message to your boss."),
    "evidence": BuiltIn(("evidence", "tidy"), "Evidence items."),
    "export": BuiltIn(("bundles",), "Build an evidence bundle: originals, texts, the evidence "
                      "list (PDF, HTML, CSV), a signed manifest and verify.py, in one ZIP."),
    "findings": BuiltIn(("conduct",), "Findings: contacts and words that look like breaches of "
                        "the collection rules."),
    "import": BuiltIn(("evidence",), "Store files as evidence, a batch of them to a "
                      "transaction."),
    "init": BuiltIn(("datadir",), "Create the data dir: vault (master key under your "
                    "passphrase) and encrypted database."),
    "jobs": BuiltIn(("jobs",), "Background jobs: list, cancel, retry."),
    "mail-in": BuiltIn(("watch",), "Fetch the new messages of the [mailin] IMAP folder once and "
                       "store each as an email."),
    "negotiation": BuiltIn(("evidence", "sharing", "tidy"), "Negotiations (one per debt)."),
    "passwd": BuiltIn(("datadir",), "Change the vault passphrase (the master key is rewrapped; "
                      "nothing is re-encrypted, and the key files keep working)."),
    "promises": BuiltIn(("promises",), "Promises made by either side: payments, instalment "
                        "plans, waivers, stops to calls."),
    "reminders": BuiltIn(("reminders",), "Reminders of promises (in the app, by email, to a "
                         "webhook)."),
    "restore": BuiltIn(("backup",), "Restore a backup into the configured data dir, database "
                       "and blob store, which must be empty; then run `liuhen verify` on it."),
    "scheduler": BuiltIn(("reminders",), "Run the reminder scheduler until interrupted."),
    "search": BuiltIn(("evidence",), "Search transcripts, OCR text, emails and notes."),
    "show": BuiltIn(("evidence",), "One item: metadata, extracted texts, jobs."),
    "transcribe": BuiltIn(("jobs",), "List the jobs waiting (transcription, OCR, parsing); "
                          "with --wait, run them now."),
    "trash": BuiltIn(("tidy",), "Items in the trash (restorable until the trash is emptied)."),
    "user": BuiltIn(("users",), "Accounts."),
    "vault": BuiltIn(("vault",), "The vault's key files (for service accounts) and where the "
                     "vault lives."),
    "verify": BuiltIn(("datadir",), "Re-hash every blob, walk the custody chain, find orphans, "
                      "leftovers of interrupted exports and files Liuhen does not know in the "
                      "data dir."),
    "verify-bundle": BuiltIn(("bundles",), "Check a bundle (ZIP or unpacked folder) the way its "
                             "verify.py does: every hash, the signature, the time-stamp."),
    "watch": BuiltIn(("watch",), "Store each new file put in FOLDERS as evidence, then move it "
                     "to done/ (or refused/, with a .reason.txt)."),
    "worker": BuiltIn(("jobs",), "Run queued jobs (transcription, OCR, parsing) until stopped."),
}


class LiuhenGroup(click.Group):
    """Loads a command when it is asked for: a built-in one (`COMMANDS`) by importing its
    modules in logger.cli, one another package offers through the `liuhen.commands`
    entry-point group (`web` adds `serve`) by loading the entry point, so the domain never
    imports the layers above it, and they can import this module freely. `liuhen --help` lists
    the built-in commands from their summaries, without importing them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._registered: set[str] = set()  # the logger.cli modules whose register() has run

    @functools.cached_property
    def _plugins(self) -> dict[str, EntryPoint]:
        from importlib.metadata import entry_points  # ~25 ms: only for a plugin or the list
        return {entry.name: entry for entry in entry_points(group="liuhen.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self._plugins, *self.commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            self._register(COMMANDS[name].modules)
        elif name not in self.commands and name in self._plugins:
            self.add_command(self._plugins[name].load(), name)
        return super().get_command(ctx, name)

    def _register(self, modules: tuple[str, ...]) -> None:
        for module in modules:
            if module not in self._registered:
                importlib.import_module(f"logger.cli.{module}").register(self)
                self._registered.add(module)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists them, with a stand-in holding the summary for each built-in command,
        which click shortens as it would the command's own help."""
        listed = [(name, click.Command(name, help=COMMANDS[name].summary) if name in COMMANDS
                   else self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        listed = [(name, command) for name, command in listed if command and not command.hidden]
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, command.get_short_help_str(limit))
                                for name, command in listed])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own: --help, usage errors, Ctrl-C at a prompt
        except Exception as e:
            if not isinstance(e, user_errors()):
                raise
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


def main() -> None:
    # Everything Liuhen writes (database, WAL, blobs, exports) is readable by this user only.
    os.umask(0o077)
    cli(prog_name="liuhen")
