"""The tables of promises, payments and reminders (logger.promises, logger.promises.payments,
logger.promises.suggestions, logger.reminders, logger.reminders.calendar_feed, logger.reminders.scheduler).

Imported at the end of storage.models, so importing the models registers these tables too.

Foreign keys and what a DELETE does:
- promise, payment -> negotiation: refused while referenced (a person's record, like evidence).
- promise.source_evidence_id, payment.receipt_evidence_id -> evidence: SET NULL (the promise
  stands without its source; its quote is kept in `source_quote`).
- promise.written_evidence_id -> evidence: SET NULL (the promise stands, no longer in writing).
- promise.plan_id -> promise (an instalment -> its plan): CASCADE; promise.supersedes_id: SET NULL.
- promise_suggestion -> evidence, extracted_text: CASCADE (derived from them).
- reminder -> promise, notification -> reminder / user, calendar_feed, reminder_preference ->
  user: CASCADE (they mean nothing without what they point to).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum, auto
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import core  # noqa: F401  (defines the tables its foreign keys name)
from storage.models.types import (Money, TimePrecision, UTCDateTime, json_dict, json_list,
                                  str_enum, utcnow)

__all__ = [
    "CalendarFeed", "DeliveryStatus", "Notification", "Payment", "PaymentMethod", "Promise",
    "PromiseKind", "PromiseParty", "PromiseStatus", "PromiseSuggestion", "Reminder",
    "ReminderChannel", "ReminderPreference", "SchedulerLease", "SuggestionStatus",
]


class PromiseParty(StrEnum):
    """Who made the promise: the user (the debtor), or the creditor / its collection agency."""

    me = auto()
    them = auto()


class PromiseKind(StrEnum):
    payment = auto()
    # The plan itself; its dated instalments are `payment` promises whose plan_id points to it.
    instalment_plan = auto()
    waiver = auto()
    # The debt closed for a smaller sum paid at once (一次性结清); amount: that sum.
    settlement = auto()
    # More time to pay; due: the new day.
    extension = auto()
    stop_calls = auto()
    other = auto()


class PromiseStatus(StrEnum):
    """pending -> kept | missed (decided at the due time, or by a person); cancelled by a
    person; superseded when a new promise replaces it (a new date agreed)."""

    pending = auto()
    kept = auto()
    missed = auto()
    cancelled = auto()
    superseded = auto()


class SuggestionStatus(StrEnum):
    open = auto()
    accepted = auto()
    dismissed = auto()


class PaymentMethod(StrEnum):
    bank_transfer = auto()
    alipay = auto()
    wechat = auto()
    app = auto()
    other = auto()


class ReminderChannel(StrEnum):
    app = auto()
    email = auto()
    webhook = auto()


class DeliveryStatus(StrEnum):
    """scheduled -> claimed (a scheduler is sending it) -> sent | failed; a claim whose
    scheduler died goes back to being sent once its lease has passed. cancelled: its promise
    changed or ended first; skipped: a later reminder or the due time made it pointless."""

    scheduled = auto()
    claimed = auto()
    sent = auto()
    failed = auto()
    cancelled = auto()
    skipped = auto()


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


def _precision() -> Any:
    return Field(default=TimePrecision.minute, sa_type=str_enum(TimePrecision))


class Promise(SQLModel, table=True):
    """One promise made by either side. `due_at` is the moment it falls due (stored UTC);
    `timezone` is the zone it was given in, so "the 15th at 23:59" and "09:00 three days
    before" are read in the debtor's local time. `due_precision` `day`: only the date was
    given; `due_at` is then 23:59 of it, and the promise is due by the end of that local day. Its source is an evidence item, the text and
    segment (a moment in a recording, or a chat message) and the words quoted."""

    __tablename__ = "promise"

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True)
    party: PromiseParty = Field(sa_type=str_enum(PromiseParty))
    kind: PromiseKind = Field(sa_type=str_enum(PromiseKind))
    amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = Field(default="CNY", max_length=3)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    due_precision: TimePrecision = _precision()
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    conditions: str | None = Field(default=None, sa_type=sa.Text)
    description: str | None = Field(default=None, sa_type=sa.Text)
    status: PromiseStatus = Field(default=PromiseStatus.pending,
                                  sa_type=str_enum(PromiseStatus), index=True)
    plan_id: int | None = Field(default=None, foreign_key="promise.id", index=True,
                                ondelete="CASCADE")
    instalment: int | None = None
    supersedes_id: int | None = Field(default=None, foreign_key="promise.id",
                                      ondelete="SET NULL")
    source_evidence_id: int | None = Field(default=None, foreign_key="evidence.id", index=True,
                                           ondelete="SET NULL")
    source_text_id: int | None = Field(default=None, foreign_key="extracted_text.id",
                                       ondelete="SET NULL")
    source_segment: int | None = None
    source_start: float | None = None
    source_quote: str | None = Field(default=None, sa_type=sa.Text)
    # The written agreement or confirmation that puts it in writing (logger.promises.writing);
    # a plan's covers its instalments.
    written_evidence_id: int | None = Field(default=None, foreign_key="evidence.id",
                                            ondelete="SET NULL")
    settled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created_at()
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                 sa_column_kwargs={"onupdate": utcnow})


class PromiseSuggestion(SQLModel, table=True):
    """A promise-like statement found in an item's text, waiting for a person to accept it
    (possibly edited) or dismiss it. `instalments` lists a plan's [{number, due, amount}]
    (due: ISO with offset, or a bare ISO date when no time was said; amount: decimal string).
    `due_basis` says what a relative day was counted from: {"anchor": "message" | "call" |
    "item" | "given" | "none", "at": the moment (ISO with offset, or a date), "words": the
    words that named the day (下周五), "unresolved": true when a day was said but nothing
    dates the words, so there is no due date and a person must give one}."""

    __tablename__ = "promise_suggestion"
    __table_args__ = (sa.UniqueConstraint("text_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="evidence.id", index=True, ondelete="CASCADE")
    text_id: int = Field(foreign_key="extracted_text.id", ondelete="CASCADE")
    position: int
    party: str = Field(max_length=16)   # me, them or unknown (a person decides)
    kind: PromiseKind = Field(sa_type=str_enum(PromiseKind))
    quote: str = Field(sa_type=sa.Text)
    amount: Decimal | None = Field(default=None, sa_type=Money)
    currency: str | None = Field(default=None, max_length=3)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_precision: TimePrecision = _precision()
    due_basis: dict[str, Any] = Field(default_factory=dict, sa_type=json_dict(), nullable=False)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    conditions: str | None = Field(default=None, sa_type=sa.Text)
    total: Decimal | None = Field(default=None, sa_type=Money)
    instalments: list[dict[str, Any]] = Field(default_factory=list, sa_type=json_list(),
                                              nullable=False)
    segment_index: int | None = None
    start: float | None = None
    status: SuggestionStatus = Field(default=SuggestionStatus.open,
                                     sa_type=str_enum(SuggestionStatus))
    promise_id: int | None = Field(default=None, foreign_key="promise.id", ondelete="SET NULL")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = _created_at()


class Payment(SQLModel, table=True):
    """A payment the debtor made, with its receipt (an evidence item) when there is one, and
    the promise it pays once a person has confirmed the match. `paid_precision` `day`: only
    the date is known (`paid_at` is then 12:00 of it, never shown)."""

    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True)
    paid_at: datetime = Field(sa_type=UTCDateTime)
    paid_precision: TimePrecision = _precision()
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="CNY", max_length=3)
    method: PaymentMethod = Field(sa_type=str_enum(PaymentMethod))
    reference: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, sa_type=sa.Text)
    receipt_evidence_id: int | None = Field(default=None, foreign_key="evidence.id",
                                            ondelete="SET NULL")
    promise_id: int | None = Field(default=None, foreign_key="promise.id", index=True,
                                   ondelete="SET NULL")
    created_at: datetime = _created_at()
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class Reminder(SQLModel, table=True):
    """One message about one promise on one channel: a reminder `offset` before it is due
    ("3d", "1d", "0d", "2h"), or the notice that it passed ("missed" for the user's promise,
    "unmet" for the other side's). Unique per (promise, offset, channel): a scheduler claims
    the row (compare-and-set) before sending and marks it sent after, so it goes out once."""

    __tablename__ = "reminder"
    __table_args__ = (sa.UniqueConstraint("promise_id", "offset", "channel"),
                      sa.Index("ix_reminder_status_send_at", "status", "send_at"))

    id: int | None = Field(default=None, primary_key=True)
    promise_id: int = Field(foreign_key="promise.id", ondelete="CASCADE")
    offset: str = Field(max_length=16)
    channel: ReminderChannel = Field(sa_type=str_enum(ReminderChannel))
    send_at: datetime = Field(sa_type=UTCDateTime)
    status: DeliveryStatus = Field(default=DeliveryStatus.scheduled,
                                   sa_type=str_enum(DeliveryStatus))
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool = False
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _created_at()


class Notification(SQLModel, table=True):
    """A reminder delivered in the app: the account's notification list (unread until read).
    One per app-channel reminder, written in the same transaction that marks it sent."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    reminder_id: int = Field(foreign_key="reminder.id", unique=True, ondelete="CASCADE")
    created_at: datetime = _created_at()
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CalendarFeed(SQLModel, table=True):
    """A private calendar (ICS) address for one account. Only the SHA-256 of its secret is
    kept; the address is shown once, and revoking it makes it answer 404."""

    __tablename__ = "calendar_feed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    secret_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = _created_at()
    last_fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReminderPreference(SQLModel, table=True):
    """Where an account's reminders go besides the app: its email address (None: no email)."""

    __tablename__ = "reminder_preference"

    user_id: int = Field(primary_key=True, foreign_key="user.id", ondelete="CASCADE",
                         sa_column_kwargs={"autoincrement": False})
    email: str | None = Field(default=None, max_length=254)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                 sa_column_kwargs={"onupdate": utcnow})


class SchedulerLease(SQLModel, table=True):
    """The one-active-scheduler lock: the row `name` is held by `holder` until `expires_at`;
    taken over with a compare-and-set UPDATE once it has expired."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=64)
    acquired_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
