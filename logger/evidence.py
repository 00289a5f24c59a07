"""Reading evidence: one item with its texts and jobs, a negotiation's items, in the shape the
CLI's `--json` output and scripts rely on. The field names here are a public contract."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from logger.errors import NotFound
from storage.models import Evidence, ExtractedText, Job, Negotiation, User

# A recording's segments have start/end (and speaker: the stereo channel); an image's have box,
# and a chat message's side ("them" / "me") and the time its screenshot shows.
SEGMENT_FIELDS = ("start", "end", "box", "speaker", "side", "time", "text")


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
    """A negotiation's items in the order they happened (unknown times last, then by intake)."""
    items = session.exec(select(Evidence).where(Evidence.negotiation_id == negotiation_id)
                         .order_by(Evidence.id)).all()
    far_future = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda e: (e.occurred_at or far_future, e.id))


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def evidence_summary(evidence: Evidence) -> dict:
    return {
        "id": evidence.id,
        "negotiation_id": evidence.negotiation_id,
        "kind": str(evidence.kind),
        "channel": str(evidence.channel) if evidence.channel else None,
        "direction": str(evidence.direction),
        "occurred_at": iso(evidence.occurred_at),
        "original_filename": evidence.original_filename,
        "media_type": evidence.media_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "counterpart_name": evidence.counterpart_name,
        "counterpart_number": evidence.counterpart_number,
        "parent_id": evidence.parent_id,
    }


def evidence_detail(session: Session, evidence: Evidence) -> dict:
    """Everything `liuhen show --json` prints: metadata, texts with segments, jobs."""
    texts = session.exec(select(ExtractedText).where(ExtractedText.evidence_id == evidence.id)
                         .order_by(ExtractedText.id)).all()
    jobs = session.exec(select(Job).where(Job.evidence_id == evidence.id).order_by(Job.id)).all()
    return {
        **evidence_summary(evidence),
        "subject": evidence.subject,
        "note": evidence.note,
        "created_at": iso(evidence.created_at),
        "extracted_metadata": evidence.extracted_metadata,
        "texts": [{
            "source": str(t.source),
            "language": t.language,
            "text": t.text,
            "engine": t.engine,
            "model": t.model,
            "edited": t.edited,
            "segments": [{k: s.get(k) for k in SEGMENT_FIELDS} for s in t.segments],
        } for t in texts],
        "jobs": [{
            "kind": str(j.kind),
            "status": str(j.status),
            "progress": j.progress,
            "error": j.error,
        } for j in jobs],
    }
