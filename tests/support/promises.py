"""Small factories for the promise, payment and reminder tests: local times, an evidence item
with a stored text (and its suggestions), a promise of the debtor's."""

from __future__ import annotations

import dataclasses
import io
import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import select

from logger.config import RemindersConfig
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.promises.promises import PromiseTerms, add_promise
from logger.promises.suggestions import suggest_for_text
from storage.models import ExtractedText, TextSource
from storage.models.promises import (DeliveryStatus, PromiseKind, PromiseParty, Reminder,
                                     ReminderChannel)

ZONE = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """'2024-12-03 15:30' in Shanghai time, as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def make_item(services, session, negotiation, owner, *, said_at: str = "2024-12-03 15:30",
              name: str = "call.txt"):
    """An evidence item (a small text file, distinct each time) said at `said_at`."""
    data = f"notes {uuid.uuid4().hex}".encode()
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), name), negotiation=negotiation,
                  actor=owner, max_bytes=10**6, tz=ZONE,
                  details=EvidenceDetails(occurred_at=local(said_at)))


def add_text(session, evidence, text: str, segments: list[dict] | None = None,
             source: TextSource = TextSource.transcript) -> ExtractedText:
    """Store a text of the item as a job handler does, with its suggestions, and commit."""
    row = ExtractedText(evidence_id=evidence.id, source=source, language=None, text=text,
                        segments=segments or [])
    session.add(row)
    suggest_for_text(session, row)
    session.commit()
    return row


def my_payment(session, negotiation, owner, amount: str, due: str, **terms):
    """A promise of the debtor's to pay `amount` by `due` (local)."""
    return add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE, terms=PromiseTerms(
        PromiseParty.me, PromiseKind.payment, Decimal(amount), due_at=local(due), **terms))


def sent_offsets(session, channel=ReminderChannel.app) -> list[str]:
    """The offsets ("3d", "2h", …) of the reminders sent on `channel`, in the order sent."""
    session.expire_all()
    return [r.offset for r in session.exec(select(Reminder).where(
        Reminder.channel == channel, Reminder.status == DeliveryStatus.sent)
        .order_by(Reminder.sent_at, Reminder.id))]


def with_reminders(services, **settings):
    """`services` with its `[reminders]` section replaced by `settings`."""
    services.config = dataclasses.replace(services.config,
                                          reminders=RemindersConfig(**settings))
    return services
