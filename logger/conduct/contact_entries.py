"""Contacts the user records by hand: a visit, a call to their mother, a message to their
employer. They count for the conduct rules like recorded calls do; one marked `third_party`
is a contact with someone other than the borrower.

Adding and removing an entry are custody events whose details hold the whole entry, so the
history of what the user stated survives a removal. An entry given a date without a time keeps
that precision (`occurred_precision` day): it counts for its day, never for an hour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.conduct.calllog import normalise_number
from logger.errors import LiuhenError, NotFound
from logger.record import custody
from logger.record.moments import machine_time
from storage.models import (Channel, ContactEntry, CustodyAction, Direction, Evidence,
                            Negotiation, ThirdParty, TimePrecision, User)

MAX_DESCRIPTION_CHARS = 4000


class ContactEntryError(LiuhenError):
    """A contact entry was not stored; the message says what to change."""


def add_contact_entry(session: Session, *, negotiation: Negotiation, actor: User | None,
                      occurred_at: datetime, channel: Channel, description: str,
                      direction: Direction = Direction.from_them,
                      counterpart_name: str | None = None, counterpart_number: str | None = None,
                      third_party: ThirdParty | None = None, third_party_name: str | None = None,
                      evidence_id: int | None = None,
                      occurred_precision: TimePrecision = TimePrecision.minute) -> ContactEntry:
    """Record a contact, with its custody event, and commit. `occurred_at` must be aware; with
    `occurred_precision` day only its date counts (logger.record.moments.day_moment).
    Naming `third_party_name` without a relation records it as `other`. Raises
    ContactEntryError, or NotFound for evidence outside the negotiation."""
    description = description.strip()
    if not description:
        raise ContactEntryError("say what happened (for example “two men from the agency came "
                                "to my door” or “they called my mother”)")
    if len(description) > MAX_DESCRIPTION_CHARS:
        raise ContactEntryError(f"the description is longer than {MAX_DESCRIPTION_CHARS} "
                                "characters; keep the details in a note or document")
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise ContactEntryError("the time of the contact needs a time zone")
    if evidence_id is not None:
        item = session.get(Evidence, evidence_id)
        if item is None or item.negotiation_id != negotiation.id:
            raise NotFound(f"no evidence #{evidence_id} in negotiation #{negotiation.id}")
    if third_party_name and third_party is None:
        third_party = ThirdParty.other
    number = normalise_number(counterpart_number) if counterpart_number else None
    if counterpart_number and not number:
        raise ContactEntryError(f"“{counterpart_number}” is not a phone number")
    custody.lock_chain(session)
    entry = ContactEntry(
        negotiation_id=negotiation.id, occurred_at=occurred_at.astimezone(UTC),
        occurred_precision=TimePrecision(occurred_precision),
        channel=Channel(channel), direction=Direction(direction),
        counterpart_name=(counterpart_name or "").strip() or None, counterpart_number=number,
        third_party=ThirdParty(third_party) if third_party else None,
        third_party_name=(third_party_name or "").strip() or None, description=description,
        evidence_id=evidence_id, created_by=actor.id if actor else None)
    session.add(entry)
    session.flush()
    custody.append_event(session, action=CustodyAction.contact_entry,
                         actor_id=actor.id if actor else None, negotiation_id=negotiation.id,
                         evidence_id=evidence_id,
                         details={"contact_entry": entry_dict(entry)})
    session.commit()
    return entry


def list_contact_entries(session: Session, negotiation_id: int) -> list[ContactEntry]:
    """The negotiation's entries in the order they happened."""
    return list(session.exec(select(ContactEntry)
                             .where(ContactEntry.negotiation_id == negotiation_id)
                             .order_by(ContactEntry.occurred_at, ContactEntry.id)))


def remove_contact_entry(session: Session, *, negotiation: Negotiation, entry_id: int,
                         reason: str, actor: User | None) -> ContactEntry:
    """Delete an entry recorded by mistake; a `deletion` custody event keeps it with the reason.
    Commits. Raises NotFound, ContactEntryError without a reason."""
    entry = session.get(ContactEntry, entry_id)
    if entry is None or entry.negotiation_id != negotiation.id:
        raise NotFound(f"no contact entry #{entry_id} in negotiation #{negotiation.id}")
    if not reason.strip():
        raise ContactEntryError("say why the entry is removed; the reason is kept in the "
                                "custody log")
    custody.lock_chain(session)
    custody.append_event(session, action=CustodyAction.deletion,
                         actor_id=actor.id if actor else None, negotiation_id=negotiation.id,
                         evidence_id=entry.evidence_id,
                         details={"contact_entry": entry_dict(entry), "reason": reason.strip()})
    session.delete(entry)
    session.commit()
    return entry


def entry_dict(entry: ContactEntry, zone: ZoneInfo | None = None) -> dict:
    """The entry as JSON: `occurred_at` local in `zone` with its offset (`liuhen contact list
    --json`), or UTC without a zone (custody details); a bare date when only the date is known
    (`occurred_precision` "day")."""
    precision = entry.occurred_precision
    if zone is not None:
        occurred = machine_time(entry.occurred_at, zone, precision)
    elif precision == TimePrecision.day:
        occurred = machine_time(entry.occurred_at, UTC, precision)
    else:
        occurred = entry.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": entry.id,
        "negotiation_id": entry.negotiation_id,
        "occurred_at": occurred,
        "occurred_precision": str(precision),
        "channel": str(entry.channel),
        "direction": str(entry.direction),
        "counterpart_name": entry.counterpart_name,
        "counterpart_number": entry.counterpart_number,
        "third_party": str(entry.third_party) if entry.third_party else None,
        "third_party_name": entry.third_party_name,
        "description": entry.description,
        "evidence_id": entry.evidence_id,
    }
