"""Hands-free intake on the command line: `liuhen watch DIR...` (a watched folder) and
`liuhen mail-in` (fetch an IMAP folder once). Registered on the `liuhen` group by logger.cli;
inside `liuhen serve` the same work runs as background services configured in [watch] and
[mailin]."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from logger.cli.output import emit

if TYPE_CHECKING:
    from logger.intake.watch import WatchOutcome


@click.command()
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--negotiation", "negotiation_id", type=int, required=True,
              help="The negotiation the files belong to.")
@click.option("--settle", "settle_s", type=float, show_default="watch.settle_seconds",
              help="Seconds a file must stay unchanged before it is taken.")
@click.option("--poll", "poll_s", type=float, show_default="watch.poll_seconds",
              help="Seconds between looks at the folders.")
@click.option("--once", is_flag=True,
              help="Take the files that are settled now, then exit (for cron).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file, per line.")
@click.pass_obj
def watch(obj, folders, negotiation_id, settle_s, poll_s, once, as_json) -> None:
    """Store each new file put in FOLDERS as evidence, then move it to done/ (or refused/,
    with a .reason.txt). Runs until Ctrl-C; a file still being written is left until it has
    not changed for --settle seconds. Exit 1 with --once when any file was refused."""
    from logger.intake.watch import FolderWatcher
    from logger.negotiations import get_negotiation
    services = obj.services()
    settings = services.config.watch
    with services.session() as session:
        get_negotiation(session, negotiation_id)
    watcher = FolderWatcher(services, list(folders), negotiation_id,
                            settle_s=settings.settle_seconds if settle_s is None else settle_s)
    if once:
        outcomes = watcher.scan(first_sight_ok=True)
        for outcome in outcomes:
            _report(outcome, as_json)
        sys.exit(1 if any(o.status == "refused" for o in outcomes) else 0)
    poll = settings.poll_seconds if poll_s is None else poll_s
    stop = threading.Event()
    click.echo(f"watching {', '.join(map(str, folders))} (Ctrl-C stops)", err=True)
    try:
        while not stop.is_set():
            for outcome in watcher.scan():
                _report(outcome, as_json)
            stop.wait(poll)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


def _report(outcome: WatchOutcome, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(outcome.as_dict(), ensure_ascii=False))
    elif outcome.status == "stored":
        click.echo(f"stored     #{outcome.evidence_id}  {outcome.path.name}")
    else:
        click.echo(f"{outcome.status:<10} {outcome.path.name}: {outcome.reason}")


@click.command("mail-in")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def mail_in(obj, as_json) -> None:
    """Fetch the new messages of the [mailin] IMAP folder once and store each as an email.
    Messages are left unread on the server; each is taken only once."""
    from logger.intake.mailin import fetch_new_mail
    outcomes = fetch_new_mail(obj.services())
    lines = [f"{o.status:<10} UID {o.uid}" + (f"  #{o.evidence_id}" if o.evidence_id else "")
             + (f": {o.reason}" if o.status == "refused" else "") for o in outcomes]
    emit([o.as_dict() for o in outcomes], as_json,
         "\n".join(lines) if lines else "no new messages")


def register(cli: click.Group) -> None:
    for command in (watch, mail_in):
        cli.add_command(command)
