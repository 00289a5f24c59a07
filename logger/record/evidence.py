"""Reading evidence: one item with its texts and jobs, a negotiation's items, in the shape the
CLI's `--json` output and scripts rely on. The field names here are a public contract."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.errors import NotFound
from logger.record import custody, when
from logger.record.moments import machine_time, parse_stored
from logger.record.trash import live
from storage.models import (Channel, CustodyAction, CustodyEvent, Direction, Evidence,
                            EvidenceKind, ExtractedText, Job, Negotiation, ProofKind, User)
from storage.models.types import TimePrecision

# A recording's segments have start/end (and speaker: the stereo channel); an image's have box,
# and a chat screenshot's its kind ("message", "title", "notice", "stamp": one not read), a
# message's side ("them" / "me" / None: not known) and the time its screenshot shows.
SEGMENT_FIELDS = ("start", "end", "box", "speaker", "kind", "side", "time", "text")


def get_evidence(session: Session, evidence_id: int, *, owner: User | None = None) -> Evidence:
    """The item, if `owner` (when given) owns its negotiation; else NotFound."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is not None and owner is not None:
        negotiation = session.get(Negotiation, evidence.negotiation_id)
        if negotiation is None or negotiation.owner_id != owner.id:
            evidence = None
    if evidence is None:
        raise NotFound(f"no evidence #{evidence_id}")
    return evidence


def list_evidence(session: Session, negotiation_id: int) -> list[Evidence]:
    """A negotiation's items in the order they happened (unknown times last, then by intake);
    not those in the trash."""
    items = session.exec(select(Evidence).where(Evidence.negotiation_id == negotiation_id, live())
                         .order_by(Evidence.id)).all()
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda e: (e.occurred_at or far_future, e.id))


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def evidence_summary(evidence: Evidence, tz: ZoneInfo | None = None) -> dict:
    """`occurred_at` is when it happened (None: unknown), `occurred_at_source` where that was
    read (person, metadata, file_name, content, parent; None: not recorded), and
    `occurred_at_precision` "day" when only its date is known; `created_at` (in
    `evidence_detail`) is when the file was received. With `tz` (the API: the negotiation's
    zone) times are local ISO 8601 with their offset, a day-precision time its bare date;
    without it, UTC."""
    return {
        "id": evidence.id,
        "negotiation_id": evidence.negotiation_id,
        "kind": str(evidence.kind),
        "channel": str(evidence.channel) if evidence.channel else None,
        "direction": str(evidence.direction),
        "occurred_at": machine_time(evidence.occurred_at, tz, evidence.occurred_at_precision)
        if tz else iso(evidence.occurred_at),
        "occurred_at_source": _text(evidence.occurred_at_source),
        "occurred_at_precision": _text(evidence.occurred_at_precision),
        "original_filename": evidence.original_filename,
        "media_type": evidence.media_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "counterpart_name": evidence.counterpart_name,
        "counterpart_number": evidence.counterpart_number,
        "parent_id": evidence.parent_id,
    }


def evidence_detail(session: Session, evidence: Evidence, tz: ZoneInfo | None = None) -> dict:
    """Everything `liuhen show --json` prints: metadata, texts with segments, jobs (`tz`: as
    in `evidence_summary`; a segment's "time" then local too)."""
    texts = session.exec(select(ExtractedText).where(ExtractedText.evidence_id == evidence.id)
                         .order_by(ExtractedText.id)).all()
    jobs = session.exec(select(Job).where(Job.evidence_id == evidence.id).order_by(Job.id)).all()
    return {
        **evidence_summary(evidence, tz),
        "subject": evidence.subject,
        "note": evidence.note,
        "created_at": machine_time(evidence.created_at, tz) if tz else iso(evidence.created_at),
        "extracted_metadata": evidence.extracted_metadata,
        "texts": [{
            "source": str(t.source),
            "language": t.language,
            "text": t.text,
            "engine": t.engine,
            "model": t.model,
            "edited": t.edited,
            "segments": [_segment(s, tz) for s in t.segments],
        } for t in texts],
        "jobs": [{
            "kind": str(j.kind),
            "status": str(j.status),
            "progress": j.progress,
            "error": j.error,
        } for j in jobs],
    }


def _text(value) -> str | None:
    return str(value) if value is not None else None


def _segment(segment: dict, tz: ZoneInfo | None) -> dict:
    shown = {k: segment.get(k) for k in SEGMENT_FIELDS}
    if tz is not None and shown.get("time"):
        moment, precision = parse_stored(shown["time"])
        shown["time"] = machine_time(moment, tz, precision) if moment else shown["time"]
    return shown


# Kinds of item that are a contact between the two sides (what "last contact" and a letter's
# list of contacts count): not a document, a note, a payment receipt or a hardship proof.
CONTACT_KINDS = frozenset({EvidenceKind.call, EvidenceKind.chat, EvidenceKind.email,
                           EvidenceKind.sms, EvidenceKind.letter})

# What a person may correct about an item, and where it is kept. The staff number of the person
# on the other side has no column: it lives in `extracted_metadata["staff_number"]`, beside what
# was read from the file, and is edited (and logged) like the columns; so does which proof a
# hardship proof is (`proof_kind`, a ProofKind value).
EDITABLE_FIELDS = ("occurred_at", "channel", "direction", "counterpart_name",
                   "counterpart_number", "staff_number", "proof_kind", "note")
METADATA_FIELDS = ("staff_number", "proof_kind")


def editable_values(evidence: Evidence) -> dict:
    """The current value of every editable field (what an edit form shows)."""
    return {name: (evidence.extracted_metadata.get(name) if name in METADATA_FIELDS
                   else getattr(evidence, name)) for name in EDITABLE_FIELDS}


def edit_evidence(session: Session, evidence: Evidence, *, actor: User | None,
                  changes: dict) -> dict[str, dict]:
    """Apply a person's corrections and commit, with one `metadata_edit` custody event that
    records each changed field as {"old": ..., "new": ...} (times in UTC ISO form).

    `changes` maps names from EDITABLE_FIELDS to typed values: an aware datetime or None,
    Channel or None, Direction, str or None (blank strings count as None); beside
    `occurred_at`, `occurred_at_precision` may say `day` (only its date is known, the time
    standing at noon: `logger.record.when.on_day`). A time given here becomes the person's
    (`occurred_at_source` "person", logged with it when it changes), which no machine reading
    replaces. Fields whose value is unchanged are left out; when nothing changed, nothing is
    written and {} is returned. Raises ValueError for an unknown field or a naive time.
    """
    changes = dict(changes)
    precision = TimePrecision(changes.pop("occurred_at_precision", TimePrecision.minute))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"these fields cannot be edited: {', '.join(sorted(unknown))}")
    current = editable_values(evidence)
    diff: dict[str, dict] = {}
    for name, value in changes.items():
        if name == "occurred_at":
            diff.update(when.set_by_person(evidence, value, precision))
            continue
        value = _normalised(name, value)
        if value != current[name]:
            diff[name] = {"old": _as_json(current[name]), "new": _as_json(value)}
            _assign(evidence, name, value)
    if not diff:
        return {}
    custody.lock_chain(session)
    session.add(evidence)
    custody.append_event(session, action=CustodyAction.metadata_edit,
                         actor_id=actor.id if actor else None,
                         negotiation_id=evidence.negotiation_id, evidence_id=evidence.id,
                         details={"changes": diff})
    session.commit()
    return diff


def evidence_history(session: Session, evidence: Evidence) -> list[CustodyEvent]:
    """The custody events about this item, oldest first."""
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.evidence_id == evidence.id)
                             .order_by(CustodyEvent.seq)).all())


def child_evidence(session: Session, evidence: Evidence) -> list[Evidence]:
    """Items taken from this one (an email's attachments), in intake order, not those in the
    trash."""
    return list(session.exec(select(Evidence).where(Evidence.parent_id == evidence.id, live())
                             .order_by(Evidence.id)).all())


def _normalised(name: str, value):
    if isinstance(value, str):
        value = " ".join(value.split()) if name != "note" else value.strip()
        value = value or None
    if name == "channel" and value is not None:
        return Channel(value)
    if name == "direction":
        return Direction(value or Direction.unknown)
    if name == "proof_kind" and value is not None:
        return str(ProofKind(value))
    return value


def _assign(evidence: Evidence, name: str, value) -> None:
    if name in METADATA_FIELDS:
        metadata = dict(evidence.extracted_metadata)
        if value is None:
            metadata.pop(name, None)
        else:
            metadata[name] = value
        evidence.extracted_metadata = metadata
    else:
        setattr(evidence, name, value)


def _as_json(value):
    if isinstance(value, datetime):
        return iso(value)
    return str(value) if value is not None and not isinstance(value, str) else value
