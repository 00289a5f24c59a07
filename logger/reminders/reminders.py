"""Reminders of promises: when each goes out, and sending each exactly once per promise, offset
and channel.

Every pending promise of the debtor's with a due time gets a `Reminder` row per configured
offset ("3d" = 09:00 three days before the due day, "0d" = 09:00 on it, "2h" = two hours
before) and channel (the app always; email and webhook when configured). When a promise passes
its due time unpaid it is marked missed (logger.promises.payments.settle_due) and a "missed" notice row
is added ("unmet" for the other side's promise). `prepare` brings the rows up to a moment;
`send_due` sends those due. Every function takes `now`, so tests drive the clock.

Exactly once: a row is claimed with a compare-and-set UPDATE (committed) before it is sent and
marked sent after. In-app delivery writes the notification in the same transaction as the mark,
so it happens exactly once. Email and webhook are at-least-once: a scheduler that dies between
the server's acceptance and the mark leaves the row claimed, and it is sent again once the claim
is older than CLAIM_LEASE (with the same Message-ID / Idempotency-Key, so the receiver can drop
it). The other choice, at-most-once, would mark before sending and lose the reminder in that
crash; a missed payment reminder costs the debtor more than a duplicate, so at-least-once it is.
A reminder whose time passed while no scheduler ran goes out once on start, marked late; when
several of one promise are overdue only the latest goes, and none once the due time has passed
(the missed notice says it all).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from logger.config import REMINDER_OFFSET, RemindersConfig
from logger.errors import LiuhenError
from logger.promises.due import deadline, due_iso, zone_of
from logger.promises.payments import balances_of, settle_due
from logger.record.moments import machine_time
from logger.reminders.delivery import Outgoing, Sender
from logger.reminders.text import MISSED, UNMET, compose
from storage.models import Negotiation, User
from storage.models.promises import (DeliveryStatus, Notification, Promise, PromiseKind,
                                     PromiseParty, PromiseStatus, Reminder, ReminderChannel,
                                     ReminderPreference)
from storage.models.types import TimePrecision

log = logging.getLogger(__name__)

NOTICES = (MISSED, UNMET)
# A claim older than this lost its scheduler and may be sent again; also the wait after a
# failed attempt before the next one.
CLAIM_LEASE = timedelta(minutes=5)
# Sent more than this after its time, a reminder is marked late.
LATE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class ReminderSettings:
    """What `[reminders]` says about timing and which channels exist."""

    offsets: tuple[str, ...] = ("3d", "1d", "0d")
    hour: int = 9
    email: bool = False
    webhook: bool = False

    @classmethod
    def from_config(cls, config: RemindersConfig) -> ReminderSettings:
        return cls(tuple(config.offsets), config.hour, bool(config.smtp_host),
                   bool(config.webhook_url))

    def channels(self, email_address: str | None) -> tuple[ReminderChannel, ...]:
        """The app always; email when configured and the account gave an address."""
        return ((ReminderChannel.app,)
                + ((ReminderChannel.email,) if self.email and email_address else ())
                + ((ReminderChannel.webhook,) if self.webhook else ()))


@dataclass(frozen=True)
class Sent:
    """What became of one reminder in `send_due`: "sent", "failed" (with `error`), "taken"
    (another scheduler had it) or "cancelled" (its channel is no longer configured)."""

    reminder_id: int
    promise_id: int
    offset: str
    channel: ReminderChannel
    outcome: str
    late: bool = False
    error: str | None = None


def send_time(promise: Promise, offset: str, hour: int) -> datetime | None:
    """When the `offset` reminder of `promise` goes out, or None when that would not be before
    its due time (a "0d" reminder at 09:00 for a promise due at 08:00). A promise due on a
    date is due by the end of that day: "2h" is 22:00 on it."""
    match = REMINDER_OFFSET.match(offset)
    last = deadline(promise)
    if match is None or last is None:
        return None
    n, unit = int(match.group(1)), match.group(2)
    if unit == "h":
        # A date's deadline is the day's last microsecond; hours count back from midnight.
        end = last + timedelta(microseconds=1) if promise.due_precision == TimePrecision.day \
            else last
        moment = end - timedelta(hours=n)
    else:
        tz = ZoneInfo(promise.timezone)
        day = promise.due_at.astimezone(tz).date() - timedelta(days=n)
        moment = datetime.combine(day, time(hour), tzinfo=tz)
    return moment if moment < last else None


def prepare(session: Session, settings: ReminderSettings, *, now: datetime) -> list[Reminder]:
    """Bring the reminder rows up to `now`, not committed: settle the promises due by now
    (adding a notice for each one missed), plan the rows of the pending ones, and set aside
    the rows that are pointless now. Returns the rows to send now, oldest first."""
    _take_write_lock(session)
    emails = _email_addresses(session)
    settle_due(session, now=now)
    for promise in _missed_without_notice(session):
        event = MISSED if promise.party == PromiseParty.me else UNMET
        for channel in settings.channels(emails.get(_owner_id(session, promise))):
            session.add(Reminder(promise_id=promise.id, offset=event, channel=channel,
                                 send_at=deadline(promise)))
    _plan(session, settings, emails)
    session.flush()
    return _prune(session, _claimable_rows(session, now), now)


def due_reminders(session: Session, settings: ReminderSettings, *, at: datetime) -> list[dict]:
    """What would go out at `at` (late ones included), without sending or storing anything:
    the same steps as a scheduler's run, rolled back."""
    try:
        rows = prepare(session, settings, now=at)
        return [due_dict(session, row, at) for row in rows]
    finally:
        session.rollback()


def send_due(open_session: Callable[[], Session], settings: ReminderSettings,
             senders: Mapping[ReminderChannel, Sender], *, holder: str,
             now: datetime) -> list[Sent]:
    """Prepare (and commit) the rows up to `now`, then send each due one, each claimed by
    `holder` first. Returns what became of each."""
    with open_session() as session:
        ids = [row.id for row in prepare(session, settings, now=now)]
        session.commit()
    results = []
    for reminder_id in ids:
        with open_session() as session:
            results.append(_deliver(session, reminder_id, senders, holder=holder, now=now))
    return results


def due_dict(session: Session, row: Reminder, at: datetime) -> dict:
    """A reminder as `liuhen reminders due --json` prints it."""
    promise = session.get(Promise, row.promise_id)
    negotiation = session.get(Negotiation, promise.negotiation_id)
    tz = zone_of(promise)
    return {"reminder_id": row.id, "promise_id": promise.id,
            "negotiation_id": negotiation.id, "creditor": negotiation.creditor,
            "offset": row.offset, "channel": str(row.channel),
            "send_at": machine_time(row.send_at, tz),
            "late": at - row.send_at > LATE_AFTER, "party": str(promise.party),
            "kind": str(promise.kind), "instalment": promise.instalment,
            "amount": str(promise.amount) if promise.amount is not None else None,
            "currency": promise.currency, "due_at": due_iso(promise),
            "due_precision": str(promise.due_precision)}


# --- Planning ----------------------------------------------------------------------------------


def _plan(session: Session, settings: ReminderSettings, emails: dict[int, str]) -> None:
    """Rows for every pending promise of the debtor's with a due time: add the missing ones,
    move unsent ones when the configured time changed, cancel those no longer configured."""
    rows = session.exec(
        select(Promise, Negotiation.owner_id).join(Negotiation).where(
            Promise.status == PromiseStatus.pending, Promise.party == PromiseParty.me,
            Negotiation.archived_at.is_(None),
            Promise.due_at.is_not(None), Promise.kind != PromiseKind.instalment_plan)).all()
    existing = _rows_of(session, [p.id for p, _ in rows])
    for promise, owner_id in rows:
        wanted = {(offset, channel): when for offset in settings.offsets
                  if (when := send_time(promise, offset, settings.hour)) is not None
                  for channel in settings.channels(emails.get(owner_id))}
        for (offset, channel), when in wanted.items():
            row = existing.get((promise.id, offset, channel))
            if row is None:
                session.add(Reminder(promise_id=promise.id, offset=offset, channel=channel,
                                     send_at=when))
            elif row.status == DeliveryStatus.scheduled and row.send_at != when:
                row.send_at = when
                session.add(row)
        for (promise_id, offset, channel), row in existing.items():
            if promise_id == promise.id and offset not in NOTICES and \
                    (offset, channel) not in wanted and row.status == DeliveryStatus.scheduled:
                row.status = DeliveryStatus.cancelled
                session.add(row)


def _missed_without_notice(session: Session) -> list[Promise]:
    """Missed promises with a due time whose notice was never planned: those the due time
    just passed, and those found missed another way (a short payment matched after the due
    time, a person's mark)."""
    noticed = select(Reminder.id).where(Reminder.promise_id == Promise.id,
                                        Reminder.offset.in_(NOTICES))
    return list(session.exec(select(Promise).where(
        Promise.status == PromiseStatus.missed, Promise.due_at.is_not(None),
        Promise.kind != PromiseKind.instalment_plan, ~noticed.exists(),
        Promise.negotiation_id.not_in(select(Negotiation.id).where(
            Negotiation.archived_at.is_not(None))))
        .order_by(Promise.due_at, Promise.id)).all())


def _rows_of(session: Session, promise_ids: list[int]
             ) -> dict[tuple[int, str, ReminderChannel], Reminder]:
    if not promise_ids:
        return {}
    return {(r.promise_id, r.offset, r.channel): r for r in session.exec(
        select(Reminder).where(Reminder.promise_id.in_(promise_ids)))}


def _take_write_lock(session: Session) -> None:
    """On SQLite, take the write lock before reading what `prepare` will change: a read
    transaction that later writes fails with SQLITE_BUSY_SNAPSHOT when another connection wrote
    in between, where one that writes first simply waits its turn."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("UPDATE scheduler_lease SET name = name WHERE 0"))


def _email_addresses(session: Session) -> dict[int, str]:
    return {p.user_id: p.email for p in session.exec(select(ReminderPreference))
            if p.email}


def _owner_id(session: Session, promise: Promise) -> int:
    return session.get(Negotiation, promise.negotiation_id).owner_id


# --- Choosing and sending ----------------------------------------------------------------------


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    """Due, not sent, and not held by a live claim (nor waiting after a failed attempt)."""
    return sa.and_(Reminder.status.in_((DeliveryStatus.scheduled, DeliveryStatus.claimed)),
                   Reminder.send_at <= now,
                   sa.or_(Reminder.claimed_at.is_(None),
                          Reminder.claimed_at <= now - CLAIM_LEASE))


def _claimable_rows(session: Session, now: datetime) -> list[tuple[Reminder, Promise]]:
    # An archived negotiation's reminders wait unsent (reopening it lets the due ones go).
    return list(session.exec(select(Reminder, Promise).join(Promise).join(Negotiation)
                             .where(_claimable(now), Negotiation.archived_at.is_(None))
                             .order_by(Reminder.send_at, Reminder.id)).all())


def _prune(session: Session, rows: list[tuple[Reminder, Promise]],
           now: datetime) -> list[Reminder]:
    """Skip the reminders that are pointless now: those of a promise no longer pending or
    already due, and all but the latest of one promise's overdue reminders on a channel."""
    latest: dict[tuple[int, ReminderChannel], Reminder] = {}
    for reminder, promise in rows:
        if reminder.offset in NOTICES:
            continue
        if promise.status != PromiseStatus.pending or deadline(promise) <= now:
            _set_aside(session, reminder, now)
            continue
        key = (promise.id, reminder.channel)
        if key in latest:
            _set_aside(session, latest[key], now)
        latest[key] = reminder
    keep = {r.id for r in latest.values()}
    return [r for r, _ in rows if r.offset in NOTICES or r.id in keep]


def _set_aside(session: Session, reminder: Reminder, now: datetime) -> None:
    session.execute(sa.update(Reminder).where(Reminder.id == reminder.id, _claimable(now))
                    .values(status=DeliveryStatus.skipped)
                    .execution_options(synchronize_session=False))


def _deliver(session: Session, reminder_id: int, senders: Mapping[ReminderChannel, Sender], *,
             holder: str, now: datetime) -> Sent:
    row = session.get(Reminder, reminder_id)
    late = now - row.send_at > LATE_AFTER
    sent = Sent(reminder_id=row.id, promise_id=row.promise_id, offset=row.offset,
                channel=row.channel, outcome="sent", late=late)
    if sent.channel == ReminderChannel.app:
        return replace(sent, outcome=_deliver_in_app(session, sent, holder, now))
    sender = senders.get(sent.channel)
    if sender is None:
        _update(session, sent.reminder_id, _claimable(now), status=DeliveryStatus.cancelled,
                error="the channel is no longer configured")
        return replace(sent, outcome="cancelled")
    if not _update(session, sent.reminder_id, _claimable(now), status=DeliveryStatus.claimed,
                   claimed_by=holder, claimed_at=now, attempts=Reminder.attempts + 1):
        return replace(sent, outcome="taken")
    ours = sa.and_(Reminder.claimed_by == holder, Reminder.status == DeliveryStatus.claimed)
    try:
        sender.send(_outgoing(session, session.get(Reminder, reminder_id), late))
    except LiuhenError as e:
        failed = session.get(Reminder, reminder_id).attempts >= MAX_ATTEMPTS
        _update(session, reminder_id, ours, error=str(e), claimed_by=None,
                status=DeliveryStatus.failed if failed else DeliveryStatus.scheduled)
        log.warning("reminder #%d (%s) not sent: %s", reminder_id, sent.channel, e)
        return replace(sent, outcome="failed", error=str(e))
    if not _update(session, reminder_id, ours, status=DeliveryStatus.sent, sent_at=now,
                   late=late, error=None):
        log.warning("reminder #%d was sent, but another scheduler had taken it over",
                    reminder_id)
    return sent


def _deliver_in_app(session: Session, sent: Sent, holder: str, now: datetime) -> str:
    """Mark sent and write the notification in one transaction: exactly once."""
    promise_id = sent.promise_id
    owner_id = _owner_id(session, session.get(Promise, promise_id))
    session.commit()   # end the read; the compare-and-set below starts the write
    changed = session.execute(
        sa.update(Reminder).where(Reminder.id == sent.reminder_id, _claimable(now))
        .values(status=DeliveryStatus.sent, sent_at=now, late=sent.late, claimed_by=holder,
                claimed_at=now, attempts=Reminder.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        session.rollback()
        return "taken"
    session.add(Notification(user_id=owner_id, reminder_id=sent.reminder_id, created_at=now))
    session.commit()
    return "sent"


def _update(session: Session, reminder_id: int, condition: sa.ColumnElement[bool],
            **values: object) -> bool:
    """A compare-and-set on one row, in its own transaction (any read before it is ended
    first, for the reason given at _take_write_lock). True if the row matched."""
    session.commit()
    changed = session.execute(sa.update(Reminder).where(Reminder.id == reminder_id, condition)
                              .values(**values)
                              .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return bool(changed)


def _outgoing(session: Session, row: Reminder, late: bool) -> Outgoing:
    promise = session.get(Promise, row.promise_id)
    negotiation = session.get(Negotiation, promise.negotiation_id)
    owner = session.get(User, negotiation.owner_id)
    preference = session.get(ReminderPreference, owner.id)
    balance = balances_of(session, [promise])[promise.id]
    text = compose(promise=promise, negotiation=negotiation, offset=row.offset, late=late,
                   language=owner.locale, reminder_id=row.id, paid=balance.paid,
                   shortfall=balance.shortfall, send_at=row.send_at)
    return Outgoing(row.id, text, preference.email if preference else None)
