"""Transcripts as people correct them: the machine's text is kept, a correction is a new version.

A person's corrections never overwrite what the engine produced: each saved correction is a new
`ExtractedText` row (`edited=True`) with the same segment timings, and a `transcript_edit`
custody event names the version it corrected and every line that changed. Asking for a new
transcription queues a job; its result is again a new row, so every version stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from logger.record import custody
from logger.errors import LiuhenError, NotFound
from logger.jobs.queue import JobStateError, enqueue
from storage.models import (CustodyAction, Evidence, ExtractedText, Job, JobKind, JobStatus,
                            TextSource, User)
from storage.models.types import utcnow

MAX_SEGMENT_CHARS = 5000


class TranscriptEditError(LiuhenError):
    """A correction that does not fit the transcript it claims to correct."""


def transcript_versions(session: Session, evidence: Evidence) -> list[ExtractedText]:
    """Every transcript of the item, oldest first (machine runs and corrections alike)."""
    return list(session.exec(select(ExtractedText).where(
        ExtractedText.evidence_id == evidence.id,
        ExtractedText.source == TextSource.transcript).order_by(ExtractedText.id)).all())


def save_edited_transcript(session: Session, evidence: Evidence, *, base_id: int,
                           lines: Sequence[str], actor: User | None) -> ExtractedText:
    """Store `lines` (one per segment of version `base_id`, in order) as a corrected version and
    commit, with a `transcript_edit` custody event listing the changed segments.

    The base version is never changed. Raises NotFound when `base_id` is not a transcript of this
    item, TranscriptEditError when the number of lines differs from its segments or nothing
    changed.
    """
    base = session.get(ExtractedText, base_id)
    if (base is None or base.evidence_id != evidence.id
            or base.source != TextSource.transcript):
        raise NotFound(f"evidence #{evidence.id} has no transcript #{base_id}")
    segments = base.segments or [{"text": base.text}]
    if len(lines) != len(segments):
        raise TranscriptEditError(
            f"the correction has {len(lines)} lines but transcript #{base_id} has "
            f"{len(segments)} segments; reload the page and edit again")
    cleaned = [" ".join(line.split())[:MAX_SEGMENT_CHARS] for line in lines]
    changes = [{"segment": i, "old": s.get("text", ""), "new": new}
               for i, (s, new) in enumerate(zip(segments, cleaned, strict=True))
               if new != " ".join((s.get("text") or "").split())]
    if not changes:
        raise TranscriptEditError("nothing was changed, so no new version was saved")
    edited_segments = [{**_timing(s), "text": new} for s, new in zip(segments, cleaned,
                                                                     strict=True)]
    custody.lock_chain(session)
    version = ExtractedText(
        evidence_id=evidence.id, source=TextSource.transcript, language=base.language,
        text=_joined(edited_segments), segments=edited_segments, engine=base.engine,
        model=base.model, edited=True, edited_at=utcnow())
    session.add(version)
    session.flush()
    custody.append_event(
        session, action=CustodyAction.transcript_edit, actor_id=actor.id if actor else None,
        negotiation_id=evidence.negotiation_id, evidence_id=evidence.id,
        details={"base_text_id": base.id, "text_id": version.id, "changes": changes})
    session.commit()
    return version


def request_transcription(session: Session, evidence: Evidence, *,
                          options: dict | None = None) -> Job:
    """Queue a new transcription of a recording (the earlier transcripts stay) and commit.
    Raises JobStateError while one is already queued or running, TranscriptEditError for an
    item that is not audio or video."""
    family = evidence.media_type.split("/", 1)[0]
    if family not in ("audio", "video"):
        raise TranscriptEditError(f"evidence #{evidence.id} is {evidence.media_type}, not a "
                                  "recording; there is nothing to transcribe")
    pending = session.exec(select(Job).where(
        Job.evidence_id == evidence.id, Job.kind == JobKind.transcribe,
        Job.status.in_([JobStatus.queued, JobStatus.running]))).first()
    if pending is not None:
        raise JobStateError(f"a transcription of evidence #{evidence.id} is already "
                            f"{pending.status} (job #{pending.id}); wait for it to finish")
    return enqueue(session, evidence_id=evidence.id, kind=JobKind.transcribe, options=options)


def _timing(segment: dict) -> dict:
    """What a corrected segment keeps from the machine's: where it is, and who spoke."""
    return {k: segment[k] for k in ("start", "end", "speaker", "side", "time", "box")
            if k in segment}


def _joined(segments: list[dict]) -> str:
    return "\n".join(s["text"] for s in segments if s["text"])
