"""Archiving a negotiation that is over (settled, paid off, in court) and reopening it.

An archived negotiation keeps everything; it leaves the active list, and no reminder is sent
and no conduct check runs for it (`logger.reminders`, `logger.conduct` ask `is_archived`).
Both steps are custody events with the person's reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from logger.errors import LiuhenError
from logger.record import custody
from storage.models import CustodyAction, Negotiation, User

MAX_REASON_CHARS = 200


class ArchiveError(LiuhenError):
    """Already archived, not archived, or a reason that is too long."""


def is_archived(negotiation: Negotiation | None) -> bool:
    return negotiation is not None and negotiation.archived_at is not None


def archive(session: Session, negotiation: Negotiation, *, actor: User | None, reason: str = "",
            now: datetime | None = None) -> None:
    """Archive and commit, with an `archive` custody event. Raises ArchiveError."""
    if is_archived(negotiation):
        raise ArchiveError(f"Negotiation #{negotiation.id} is already archived.")
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON_CHARS:
        raise ArchiveError(f"The reason is {len(reason)} characters; at most "
                           f"{MAX_REASON_CHARS}.")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    custody.lock_chain(session)
    negotiation.archived_at, negotiation.archive_reason = now, reason or None
    session.add(negotiation)
    custody.append_event(session, action=CustodyAction.archive,
                         actor_id=actor.id if actor else None, negotiation_id=negotiation.id,
                         details={"reason": reason or None}, at=now)
    session.commit()


def reopen(session: Session, negotiation: Negotiation, *, actor: User | None,
           now: datetime | None = None) -> None:
    """Put an archived negotiation back on the active list and commit, logged."""
    if not is_archived(negotiation):
        raise ArchiveError(f"Negotiation #{negotiation.id} is not archived.")
    custody.lock_chain(session)
    custody.append_event(session, action=CustodyAction.reopen,
                         actor_id=actor.id if actor else None, negotiation_id=negotiation.id,
                         details={"archived_reason": negotiation.archive_reason}, at=now)
    negotiation.archived_at = negotiation.archive_reason = None
    session.add(negotiation)
    session.commit()
