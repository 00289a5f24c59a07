"""The promises, payments and sent reminders of a negotiation as lines of its timeline, each at
the moment it happened (a promise when it was said), with its flags. `logger.record.timeline`
places them among the evidence, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from logger.promises.due import deadline
from logger.promises.promises import list_promises
from logger.record.moments import parse_stored
from storage.models import Evidence, ExtractedText, Negotiation
from storage.models.promises import (DeliveryStatus, Payment, Promise, PromiseStatus, Reminder,
                                     ReminderChannel)
from storage.models.types import TimePrecision, utcnow

# A pending promise is flagged "due soon" this long before it is due.
DUE_SOON = timedelta(days=3)


@dataclass(frozen=True)
class LedgerItem:
    """One line for a negotiation's timeline: a promise (at the moment it was made), a payment
    (when paid) or a reminder that went out (when sent). `flags`: "promise_due_soon",
    "promise_missed", "late" (a reminder sent after its time). `precision` "day": only the
    line's date is known (a payment entered without a time); its time is not shown."""

    kind: str
    id: int
    occurred_at: datetime
    promise: Promise | None = None
    payment: Payment | None = None
    reminder: Reminder | None = None
    flags: tuple[str, ...] = ()
    precision: str = TimePrecision.minute


def timeline_items(session: Session, negotiation: Negotiation, *,
                   start: datetime | None = None, end: datetime | None = None,
                   now: datetime | None = None) -> list[LedgerItem]:
    """The negotiation's promises, payments and sent reminders between `start` and `end`
    (either may be None), oldest first. An instalment is shown through its plan."""
    now = now or utcnow()
    promises = [p for p in list_promises(session, negotiation) if p.plan_id is None]
    made = _made_at(session, promises)
    items = [LedgerItem("promise", p.id, made[p.id][0], promise=p, flags=_flags(p, now),
                        precision=made[p.id][1]) for p in promises]
    for payment in session.exec(select(Payment).where(
            Payment.negotiation_id == negotiation.id)):
        items.append(LedgerItem("payment", payment.id, payment.paid_at, payment=payment,
                                precision=payment.paid_precision))
    for reminder in session.exec(select(Reminder).join(Promise).where(
            Promise.negotiation_id == negotiation.id, Reminder.status == DeliveryStatus.sent,
            Reminder.channel == ReminderChannel.app)):
        items.append(LedgerItem("reminder", reminder.id, reminder.sent_at, reminder=reminder,
                                flags=("late",) if reminder.late else ()))
    items = [i for i in items if (start is None or i.occurred_at >= start)
             and (end is None or i.occurred_at < end)]
    return sorted(items, key=lambda i: (i.occurred_at, i.kind, i.id))


def _made_at(session: Session, promises: list[Promise]
             ) -> dict[int, tuple[datetime, TimePrecision]]:
    """When each promise was made, and how precisely that is known: the time of the message
    it was said in, else its source item's time plus the second in the recording where it was
    said, else when it was recorded."""
    ids = {p.source_evidence_id for p in promises if p.source_evidence_id}
    times = {row[0]: (row[1], row[2]) for row in session.exec(
        select(Evidence.id, Evidence.occurred_at, Evidence.occurred_at_precision)
        .where(Evidence.id.in_(ids))).all()} if ids else {}
    text_ids = {p.source_text_id for p in promises if p.source_text_id}
    segments = dict(session.exec(select(ExtractedText.id, ExtractedText.segments)
                                 .where(ExtractedText.id.in_(text_ids))).all()) \
        if text_ids else {}
    made = {}
    for p in promises:
        said = _message_time(segments.get(p.source_text_id), p.source_segment)
        if said[0] is not None:
            made[p.id] = said
            continue
        item_at, item_precision = times.get(p.source_evidence_id, (None, None))
        if item_at is not None:
            made[p.id] = (item_at + timedelta(seconds=p.source_start or 0),
                          TimePrecision(item_precision or TimePrecision.minute))
        else:
            made[p.id] = (p.created_at, TimePrecision.minute)
    return made


def _message_time(segments: list | None, index: int | None
                  ) -> tuple[datetime | None, TimePrecision]:
    if not segments or index is None or not 0 <= index < len(segments):
        return None, TimePrecision.minute
    return parse_stored(segments[index].get("time"))


def _flags(promise: Promise, now: datetime) -> tuple[str, ...]:
    if promise.status == PromiseStatus.missed:
        return ("promise_missed",)
    if promise.status == PromiseStatus.pending and promise.due_at is not None \
            and now <= deadline(promise) <= now + DUE_SOON:
        return ("promise_due_soon",)
    return ()
