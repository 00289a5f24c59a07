"""The scheduler: every POLL_S seconds (APScheduler 3), settle due promises and send due
reminders. Runs inside `liuhen serve` (entry point `liuhen.background`: scheduler) or alone as
`liuhen scheduler`; exactly one is active per deployment.

The lock is a row in `scheduler_lease`, taken and renewed with a compare-and-set UPDATE (the same
on SQLite and PostgreSQL): a scheduler holds it until `expires_at`, renews it at every run, and
another takes it over only once it has expired. A second scheduler therefore stays idle, and
takes over within LEASE_S of the first one dying. The reminder rows are claimed one by one too,
so even two schedulers that both believed themselves active would not send a reminder twice.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from logger.reminders.delivery import build_senders
from logger.reminders.mail_settings import SUBKEY as MAIL_SUBKEY
from logger.reminders.mail_settings import effective_reminders, settings_stamp
from logger.reminders.reminders import ReminderSettings, Sent, send_due
from logger.services import Services
from storage.models.promises import SchedulerLease
from storage.models.types import utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# Seconds between runs, and how long a run's lease lasts without renewal (three runs).
POLL_S = 30
LEASE_S = 90
_NOT_READ = object()  # the mail settings before the first read


def new_holder() -> str:
    """A name for this scheduler that no other process shares: host, pid, random."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(session: Session, *, holder: str, now: datetime,
                  lease: timedelta = timedelta(seconds=LEASE_S)) -> bool:
    """Take or renew the scheduler lock for `holder` until now + lease, and commit. True when
    `holder` holds it; False while another holder's lease has not expired.

    Writes come first, each in its own transaction (no read before a write in one transaction:
    on SQLite that could fail with SQLITE_BUSY_SNAPSHOT instead of waiting)."""
    table = SchedulerLease.__table__
    mine = session.execute(sa.update(table).where(
        table.c.name == LEASE_NAME, table.c.holder == holder).values(expires_at=now + lease))
    session.commit()
    if mine.rowcount:
        return True
    expired = session.execute(sa.update(table).where(
        table.c.name == LEASE_NAME, table.c.expires_at <= now)
        .values(holder=holder, acquired_at=now, expires_at=now + lease))
    session.commit()
    if expired.rowcount:
        return True
    try:
        session.add(SchedulerLease(name=LEASE_NAME, holder=holder, acquired_at=now,
                                   expires_at=now + lease))
        session.commit()
        return True
    except IntegrityError:   # another scheduler holds it
        session.rollback()
        return False


def release_lease(session: Session, *, holder: str, now: datetime) -> None:
    """Give the lock up at once (a clean stop), so another scheduler need not wait it out."""
    table = SchedulerLease.__table__
    session.execute(sa.update(table).where(table.c.name == LEASE_NAME, table.c.holder == holder)
                    .values(expires_at=now))
    session.commit()


@dataclass
class Run:
    """One run: whether this scheduler was the active one, and what it sent."""

    active: bool
    sent: list[Sent] = field(default_factory=list)


class ReminderScheduler:
    """One scheduler over one database. `run(now)` does one round; `clock` gives `now` when the
    round is started by APScheduler (tests pass their own)."""

    def __init__(self, services: Services, *, holder: str | None = None,
                 clock: Callable[[], datetime] = utcnow,
                 lease: timedelta = timedelta(seconds=LEASE_S)):
        self.services = services
        self.holder = holder or new_holder()
        self.clock = clock
        self.lease = lease
        self._mail_saved_at: object = _NOT_READ
        with services.session() as session:
            self._follow_mail_settings(session)

    def _follow_mail_settings(self, session: Session) -> None:
        """The channels and their senders from the configuration with the email server of the
        settings page over it; read again only when the page saved it since."""
        saved_at = settings_stamp(session)
        if saved_at == self._mail_saved_at:
            return
        self._mail_saved_at = saved_at
        config = self.services.config
        reminders, password = effective_reminders(session, config.reminders,
                                                  self.services.vault.subkey(MAIL_SUBKEY))
        self.settings = ReminderSettings.from_config(reminders)
        self.senders = build_senders(dataclasses.replace(config, reminders=reminders),
                                     smtp_password=password)

    def run(self, now: datetime | None = None) -> Run:
        """Take or renew the lock, then settle and send what is due; idle without the lock."""
        now = now or self.clock()
        with self.services.session() as session:
            if not acquire_lease(session, holder=self.holder, now=now, lease=self.lease):
                return Run(active=False)
            self._follow_mail_settings(session)
        sent = send_due(self.services.session, self.settings, self.senders,
                        holder=self.holder, now=now)
        return Run(active=True, sent=sent)

    def run_logged(self) -> None:
        """A round for APScheduler: errors are logged, and the next round comes anyway."""
        try:
            run = self.run()
        except Exception:
            log.exception("the reminder run failed; trying again in %d s", POLL_S)
            return
        for item in run.sent:
            log.info("reminder #%d (%s, %s) %s%s", item.reminder_id, item.offset,
                     item.channel, item.outcome, " late" if item.late else "")

    def stop(self) -> None:
        with self.services.session() as session:
            release_lease(session, holder=self.holder, now=self.clock())


def start_background(services: Services, stop: threading.Event, *,
                     poll_s: float = POLL_S) -> threading.Thread:
    """Start the scheduler for `liuhen serve` / `liuhen scheduler` (entry point
    `liuhen.background`: scheduler): APScheduler runs a round every `poll_s` seconds, the first
    at once, until `stop` is set; the lock is then released."""
    scheduler = ReminderScheduler(services)

    def run() -> None:
        jobs = BackgroundScheduler(timezone=UTC)
        jobs.add_job(scheduler.run_logged, "interval", seconds=poll_s,
                     next_run_time=datetime.now(UTC), max_instances=1, coalesce=True,
                     id="reminders")
        jobs.start()
        try:
            stop.wait()
        finally:
            jobs.shutdown(wait=True)
            scheduler.stop()

    thread = threading.Thread(target=run, name="liuhen-scheduler", daemon=True)
    thread.start()
    return thread
