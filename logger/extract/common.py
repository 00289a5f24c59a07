"""What the text-extraction job handlers share (these in `logger.extract` and transcription's):
reading the item's blob into memory (never as plaintext on disk), storing derived files as
child items through intake (`child_batch`, `child_outcome`), and recording the text, the
warnings and any filled-in fields of the item. The handlers themselves take the worker's
`logger.jobs.worker.JobContext`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, delete

from logger.errors import DuplicateEvidence, PermanentJobError
from logger.i18n import Text
from logger.intake.ingest import IntakeBatch, OnStored, Outcome
from logger.promises.suggestions import suggest_for_text
from logger.record import custody, when
from logger.record.when import TimeReading
from logger.services import Services
from storage.models import (CustodyAction, Evidence, ExtractedText, Negotiation, TextSource,
                            User)

log = logging.getLogger(__name__)

# Fields a parse may fill in on the item, and only while they are empty (a person's word wins);
# the time is a `TimeReading`, taken when it outranks the item's (`logger.record.when`).
FILLABLE = ("occurred_at", "direction", "counterpart_name", "counterpart_number", "subject")


@dataclass(frozen=True)
class ChildOutcome:
    """What became of one file found inside an item: stored (as `evidence_id`), a duplicate
    (of `evidence_id`), or refused (`reason`)."""

    filename: str
    status: str
    evidence_id: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not None}


def load_evidence(services: Services, evidence_id: int) -> Evidence:
    """The job's item (detached, readable). Raises PermanentJobError if it was deleted."""
    with services.session() as session:
        evidence = session.get(Evidence, evidence_id)
        if evidence is None:
            raise PermanentJobError(Text("evidence #%(id)s no longer exists", id=evidence_id))
        return evidence


def read_blob(services: Services, blob_id: str) -> bytes:
    """The whole original, decrypted in memory."""
    with services.blobs.open(blob_id) as reader:
        return reader.read()


def child_batch(services: Services, session: Session, parent: Evidence, *,
                on_stored: OnStored | None = None) -> IntakeBatch:
    """An intake batch for files found inside `parent`: its negotiation, by whoever stored it
    (`add` each with `parent=parent`)."""
    return IntakeBatch(session=session, blobs=services.blobs, on_stored=on_stored,
                       negotiation=session.get(Negotiation, parent.negotiation_id),
                       actor=session.get(User, parent.created_by) if parent.created_by else None,
                       max_bytes=services.config.intake.max_file_bytes,
                       tz=services.config.locale.zone,
                       max_messages=services.config.intake.max_messages_per_import)


def child_outcome(session: Session, outcome: Outcome, parent_id: int) -> ChildOutcome:
    """What became of a file found inside item `parent_id` and put through intake. A duplicate
    is not an error: it is reported as such, pointing at the item already there (the same
    child of the same parent under the same name, stored by an earlier run, counts as stored).
    A refusal (type not accepted, too large) is reported with intake's reason."""
    if outcome.evidence is not None:
        return ChildOutcome(outcome.filename, "stored", outcome.evidence.id)
    error = outcome.error
    if isinstance(error, DuplicateEvidence):
        existing = session.get(Evidence, error.existing_id)
        again = existing is not None and existing.parent_id == parent_id and \
            existing.original_filename == outcome.filename
        return ChildOutcome(outcome.filename, "stored" if again else "duplicate",
                            error.existing_id, None if again else str(error))
    return ChildOutcome(outcome.filename, "refused", reason=str(error))


def record_results(services: Services, evidence_id: int, *, source: TextSource,
                   text: str | None, segments: list[dict] | None = None,
                   engine: str, model: str | None = None, metadata: dict[str, Any] | None = None,
                   fill: dict[str, Any] | None = None, job: str) -> None:
    """Record in one transaction what a job read from an item: its text (replacing the text an
    earlier run of the same engine left, unless a person edited it), `metadata` merged into
    `extracted_metadata`, and the `fill` fields that are still empty on the item (the time when
    it outranks the item's), with a custody event naming each change. Raises
    PermanentJobError if the item was deleted."""
    with services.session() as session:
        custody.lock_chain(session)
        evidence = session.get(Evidence, evidence_id)
        if evidence is None:
            raise PermanentJobError(Text("evidence #%(id)s was deleted while it was read",
                                         id=evidence_id))
        if text is not None:
            session.execute(delete(ExtractedText).where(
                ExtractedText.evidence_id == evidence_id, ExtractedText.source == source,
                ExtractedText.engine == engine, ExtractedText.edited.is_(False)))
        add_results(session, evidence, source=source, text=text, segments=segments,
                    engine=engine, model=model, metadata=metadata, fill=fill, job=job,
                    default_tz=services.config.locale.zone)
        session.commit()


def add_results(session: Session, evidence: Evidence, *, source: TextSource, text: str | None,
                segments: list[dict] | None = None, engine: str, model: str | None = None,
                metadata: dict[str, Any] | None = None, fill: dict[str, Any] | None = None,
                job: str, default_tz: ZoneInfo) -> None:
    """What `record_results` stores, in the caller's transaction (which has taken
    `custody.lock_chain`), flushed: the text added beside any the item has."""
    stored = None
    if text is not None:
        stored = ExtractedText(evidence_id=evidence.id, source=source, text=text,
                               segments=segments or [], engine=engine, model=model)
        session.add(stored)
    if metadata:
        evidence.extracted_metadata = {**evidence.extracted_metadata, **metadata}
        session.add(evidence)
    fill_fields(session, evidence, fill or {}, job=job)
    if stored is not None:
        # Promise suggestions land with the text, in the same commit, read from the item's
        # time as just filled in (an email's Date).
        suggest_for_text(session, stored, default_tz=default_tz)
    else:
        session.flush()


def fill_fields(session: Session, evidence: Evidence, fill: dict[str, Any], *,
                job: str) -> dict[str, dict]:
    """Fill in what a `job` read (see FILLABLE), in the caller's transaction (which has taken
    `custody.lock_chain`), with one custody event naming each change as {old, new}; the
    changes."""
    changes = _fill_empty(evidence, fill)
    if changes:
        session.add(evidence)
        custody.append_event(
            session, action=CustodyAction.metadata_edit, actor_id=None,
            negotiation_id=evidence.negotiation_id, evidence_id=evidence.id,
            details={"by": f"{job} job", "changes": changes})
    return changes


def _fill_empty(evidence: Evidence, fill: dict[str, Any]) -> dict[str, dict]:
    changes: dict[str, dict] = {}
    for name, value in fill.items():
        if name not in FILLABLE:
            raise ValueError(f"{name} is not a field a job may fill in")
        if name == "occurred_at":
            if value is not None and not isinstance(value, TimeReading):
                raise TypeError("a job fills in occurred_at as a TimeReading (with its source)")
            changes.update(when.offer(evidence, value))
            continue
        current = getattr(evidence, name)
        if value is None or (current is not None and str(current) != "unknown"):
            continue
        if current == value:
            continue
        setattr(evidence, name, value)
        changes[name] = {"old": _jsonable(current), "new": _jsonable(value)}
    return changes


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
