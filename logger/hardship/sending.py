"""Marking a hardship application as sent.

The file the borrower sent (the PDF or Word document made from the application as it stood)
becomes evidence through intake, like any other file: a `letter` `from_me`, on the channel it
went by, dated the day it was sent. So the custody log records the exact bytes and their hash,
the timeline shows it beside the other side's answers, and a bundle can carry it; the
`hardship_sending` row only says which item is the sent application.
"""

from __future__ import annotations

import io
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.errors import DuplicateEvidence
from logger.hardship.application import HardshipError
from logger.i18n import Text
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.when import on_day
from storage.blobs.store import BlobStore
from storage.models import Channel, Direction, Evidence, EvidenceKind, Negotiation, TimeSource, User
from storage.models.hardship import HardshipSending
from storage.models.types import TimePrecision

SOURCE = "hardship_application"
MEDIA_TYPES = {"pdf": "application/pdf",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def mark_sent(*, session: Session, blobs: BlobStore, negotiation: Negotiation,
              actor: User | None, content: bytes, filename: str, title: str, sent_on: date,
              channel: Channel, language: str, tz: ZoneInfo, today: date,
              max_bytes: int) -> Evidence:
    """Store `content` (the application as sent) as evidence and record the sending; commit.
    Raises HardshipError when the date is after today or this exact file was recorded before
    (nothing is stored then)."""
    if sent_on > today:
        raise HardshipError(Text("The day it was sent cannot be after today."), field="sent_on")
    details = EvidenceDetails(
        kind=EvidenceKind.letter, channel=channel, direction=Direction.from_me,
        occurred_at=on_day(sent_on, tz, TimeSource.person).at,
        occurred_at_precision=TimePrecision.day, subject=title)
    extension = filename.rsplit(".", 1)[-1]
    try:
        evidence = ingest(session=session, blobs=blobs,
                          source=IncomingFile(io.BytesIO(content), filename,
                                              MEDIA_TYPES.get(extension), SOURCE),
                          negotiation=negotiation, actor=actor, max_bytes=max_bytes, tz=tz,
                          details=details)
    except DuplicateEvidence as e:
        raise HardshipError(Text("This exact application is already recorded as sent "
                                 "(evidence #%(id)s).", id=e.existing_id),
                            field="sent_on") from None
    session.add(HardshipSending(negotiation_id=negotiation.id, evidence_id=evidence.id,
                                sent_on=sent_on, channel=channel, language=language,
                                created_by=actor.id if actor else None))
    session.commit()
    return evidence


def list_sendings(session: Session, negotiation: Negotiation) -> list[HardshipSending]:
    """The applications marked as sent, newest first."""
    return list(session.exec(select(HardshipSending).where(
        HardshipSending.negotiation_id == negotiation.id).order_by(
        HardshipSending.sent_on.desc(), HardshipSending.id.desc())).all())
