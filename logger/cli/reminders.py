"""CLI commands about reminders: `reminders due` (what would go out at a moment, sending
nothing) and `scheduler` (the reminder scheduler on its own, for a deployment where `liuhen
serve` runs without it). Registered on the `liuhen` group by logger.cli."""

from __future__ import annotations

import signal
import threading
from datetime import datetime

import click

from logger.cli.options import parse_moment
from logger.cli.output import emit


@click.group("reminders")
def reminders() -> None:
    """Reminders of promises (in the app, by email, to a webhook)."""


@reminders.command("due")
@click.option("--at", "at", required=True,
              help="The moment to check, e.g. 2024-12-12T09:00 (local time unless it has an "
                   "offset).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def due(obj, at: str, as_json: bool) -> None:
    """List what a scheduler running at AT would send (late ones included), without sending
    or storing anything: for checking a schedule."""
    from logger.reminders.reminders import ReminderSettings, due_reminders
    services = obj.services()
    tz = services.config.locale.zone
    moment = parse_moment(at, tz, "--at")
    with services.session() as session:
        found = due_reminders(session, ReminderSettings.from_config(services.config.reminders),
                              at=moment)
    lines = [f"promise #{d['promise_id']:<4} {d['offset']:<7} {d['channel']:<8} "
             f"{d['creditor']}  due {_local(d['due_at'], tz)}" + ("  (late)" if d["late"] else "")
             for d in found]
    emit(found, as_json, "\n".join(lines) if lines else "nothing would go out then")


@click.command("scheduler")
@click.option("--poll", "poll_s", type=float, help="Seconds between runs (default: 30).")
@click.pass_obj
def scheduler(obj, poll_s: float | None) -> None:
    """Run the reminder scheduler until interrupted. Only one is active per deployment; a
    second one waits and takes over if the first stops."""
    from logger.reminders.scheduler import POLL_S, start_background
    poll_s = POLL_S if poll_s is None else poll_s
    services = obj.services()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"Liuhen scheduler running on {services.config.storage.data_dir} "
               f"(every {poll_s:g} s; Ctrl+C stops it)")
    thread = start_background(services, stop, poll_s=poll_s)
    while thread.is_alive():
        thread.join(1.0)


def _local(moment: str, tz) -> str:
    """A JSON time (UTC, Z) as people read it, in the configured zone."""
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(tz) \
        .strftime("%Y-%m-%d %H:%M")


def register(cli: click.Group) -> None:
    cli.add_command(reminders)
    cli.add_command(scheduler)
