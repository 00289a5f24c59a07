"""Transcripts as people correct them: the machine's text is kept, a correction is a new version.

A person's corrections never overwrite what the engine produced: each saved correction is a new
`ExtractedText` row (`edited=True`) with the same segment timings, and a `transcript_edit`
custody event names the version it corrected and every line that changed (the same as for OCR
and document text: `logger.record.text_edits`). Asking for a new transcription queues a job;
its result is again a new row, so every version stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from logger.jobs.queue import JobStateError, enqueue
from logger.record.text_edits import TextEditError, save_edited_text, text_versions
from storage.models import Evidence, ExtractedText, Job, JobKind, JobStatus, TextSource, User

# A correction that does not fit the transcript it claims to correct (the same error as for
# any text a person corrects).
TranscriptEditError = TextEditError


def transcript_versions(session: Session, evidence: Evidence) -> list[ExtractedText]:
    """Every transcript of the item, oldest first (machine runs and corrections alike)."""
    return text_versions(session, evidence, TextSource.transcript)


def save_edited_transcript(session: Session, evidence: Evidence, *, base_id: int,
                           lines: Sequence[str], actor: User | None) -> ExtractedText:
    """Store `lines` (one per segment of version `base_id`, in order) as a corrected version and
    commit, with a `transcript_edit` custody event listing the changed segments
    (`logger.record.text_edits.save_edited_text`).

    The base version is never changed. Raises NotFound when `base_id` is not a transcript of this
    item, TranscriptEditError when the number of lines differs from its segments or nothing
    changed.
    """
    return save_edited_text(session, evidence, base_id=base_id, lines=lines, actor=actor,
                            sources=(TextSource.transcript,))


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

