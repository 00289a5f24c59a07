"""Intake: the one path every source (browser, API, CLI import, watched folder, a mailbox's
split) takes to turn files into evidence.

For each file, `IntakeBatch.add` sniffs the real type from the content, encrypts and hashes the
bytes into the blob store in one pass and reads the metadata the file carries; `commit` then
refuses exact duplicates and writes every item's `Evidence` row, custody event and jobs (each
in its import's fair place in line) in one transaction: one commit, one read of the custody
chain's head, for the whole batch. `ingest` is a batch of one. A mailbox holding more messages
than one import may split into items (`intake.max_messages_per_import`, counted while it
streams in) is refused whole.

Crash safety follows from the order: every blob of a batch is durable (fsynced and renamed)
before the transaction that refers to it commits. A failure leaves no row and no blob; a crash
before the commit leaves only orphan blobs, which `liuhen verify` reports and `verify --repair`
removes, and an import run again stores what was not committed and finds the rest duplicates.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, insert, select

from logger.config.sections import IntakeConfig
from logger.errors import FileTooLarge, IntakeError, UnsupportedFile
from logger.i18n import Text
from logger.intake.filemeta import extract_metadata
from logger.intake.filemeta.common import FileMetadata
from logger.intake.incoming import (EvidenceDetails, IncomingFile, MessageCounter, Prefixed,
                                    clean_filename, read_head)
from logger.intake.refusals import duplicate, too_many
from logger.intake.sniff import FileType, sniff
from logger.jobs.queue import add_jobs
from logger.record import custody
from logger.record.when import TimeReading, best
from storage.blobs.lock import intake_lock
from storage.blobs.store import BlobStore, BlobTooLarge, StoredBlob
from storage.models import (Channel, CustodyAction, Direction, Evidence, EvidenceKind, JobKind,
                            Negotiation, User)

__all__ = ["Classification", "EvidenceDetails", "IncomingFile", "IntakeBatch", "Outcome",
           "classify", "ingest"]

# A batch commits once it holds this many files or bytes (`IntakeBatch.full`).
BATCH_ITEMS = 100
BATCH_BYTES = 256 << 20


@dataclass(frozen=True)
class Classification:
    kind: EvidenceKind
    channel: Channel | None
    jobs: tuple[JobKind, ...] = field(default_factory=tuple)


def classify(file_type: FileType, metadata: FileMetadata) -> Classification:
    """What an item of this type usually is, and which jobs turn it into text."""
    family = file_type.family
    if family == "audio":
        return Classification(EvidenceKind.call, Channel.call, (JobKind.transcribe,))
    if family == "video":
        return Classification(EvidenceKind.document, None, (JobKind.transcribe,))
    if family == "image":
        # A camera photo is usually of a letter; a screenshot usually of a chat.
        if metadata.extra.get("camera"):
            return Classification(EvidenceKind.letter, Channel.letter, (JobKind.ocr,))
        return Classification(EvidenceKind.chat, None, (JobKind.ocr,))
    if family in ("email", "mailbox", "outlook"):
        return Classification(EvidenceKind.email, Channel.email, (JobKind.parse_email,))
    if family == "pdf":
        return Classification(EvidenceKind.document, None, (JobKind.extract_pdf,))
    if family == "xml":
        return Classification(EvidenceKind.sms, Channel.sms, (JobKind.extract_text,))
    return Classification(EvidenceKind.document, None, (JobKind.extract_text,))


@dataclass
class Outcome:
    """One file of a batch: `evidence` once committed, or `error` (a refusal or a duplicate,
    nothing of it stored). `payload` is what the caller attached to it."""

    filename: str
    evidence: Evidence | None = None
    error: IntakeError | None = None
    payload: Any = None


@dataclass
class _Staged:
    outcome: Outcome
    source: IncomingFile
    blob: StoredBlob
    file_type: FileType
    metadata: FileMetadata
    details: EvidenceDetails
    parent: Evidence | Outcome | None
    jobs: tuple[JobKind, ...] | None
    job_options: dict
    extra: dict


# Called once per commit with each stored item and its outcome, after the rows are flushed
# and before the commit: what the caller stores with its items lands with them.
OnStored = Callable[[Session, list[Outcome]], None]


class IntakeBatch:
    """Files of one negotiation stored a batch to a transaction. Use as a context manager;
    `add` each file, `commit` when `full` and at the end (the intake lock is held from a
    batch's first file to its commit). Leaving the block without committing discards what was
    added (rows rolled back, blobs deleted)."""

    def __init__(self, *, session: Session, blobs: BlobStore, negotiation: Negotiation,
                 actor: User | None, max_bytes: int, tz: ZoneInfo,
                 max_messages: int = IntakeConfig.max_messages_per_import,
                 on_stored: OnStored | None = None) -> None:
        self.session, self.blobs, self.negotiation, self.actor = session, blobs, negotiation, actor
        self.max_bytes, self.tz, self.max_messages = max_bytes, tz, max_messages
        self._on_stored = on_stored
        self._staged: list[_Staged] = []
        self._outcomes: list[Outcome] = []
        self._bytes = 0
        self._pending = blobs.pending()
        self._held: ExitStack | None = None

    def __enter__(self) -> IntakeBatch:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._staged:
                self._discard()
        finally:
            self._release()

    @property
    def full(self) -> bool:
        return len(self._staged) >= BATCH_ITEMS or self._bytes >= BATCH_BYTES

    def add(self, source: IncomingFile, *, details: EvidenceDetails | None = None,
            parent: Evidence | Outcome | None = None,
            jobs: tuple[JobKind, ...] | None = None,
            job_options: dict | None = None, extra: dict | None = None,
            payload: Any = None, email_headers: FileMetadata | None = None) -> Outcome:
        """Write one file's blob and read its metadata (no row yet). A refusal (empty, type
        not accepted, too large, too many messages) is the outcome's `error`, with nothing
        kept; what reading the stream raises (OSError) is raised, with nothing kept and
        nothing added to the batch. `parent` may be another file's outcome in this batch (an
        attachment of a mailbox's message): the file is stored under it, or not at all when
        it is not stored. `jobs` replaces the jobs its type calls for, `extra` is
        merged into its `extracted_metadata`; `email_headers`, what its headers were already
        read as (a mailbox's message), stands for its metadata when it is an email."""
        if isinstance(parent, Outcome) and not _placed(parent) and \
                all(o is not parent for o in self._outcomes):
            raise ValueError("a parent outcome must be of a file added to this batch")
        filename = clean_filename(source.filename)
        outcome = Outcome(filename, payload=payload)
        self._hold()
        try:
            blob, file_type, metadata, counter = self._store(source, filename, email_headers)
        except IntakeError as e:
            outcome.error = e
            self._outcomes.append(outcome)
            return outcome
        self._outcomes.append(outcome)
        extra = dict(extra or {})
        if counter is not None:
            extra["message_count"] = counter.messages
        self._staged.append(_Staged(outcome, source, blob, file_type, metadata,
                                    details or EvidenceDetails(), parent, jobs,
                                    dict(job_options or {}), extra))
        self._bytes += blob.size
        return outcome

    def commit(self) -> list[Outcome]:
        """Refuse duplicates, write the rows of every file added since the last commit and
        commit them together. Returns those files' outcomes (refusals included), in order."""
        staged, outcomes = self._staged, self._outcomes
        try:
            if staged:
                # Every blob durable before the transaction that refers to it, the fsyncs
                # before the database's write lock is taken.
                self._settle()
                self._write_rows(staged)
                self.session.commit()
        except BaseException:
            self._discard()
            raise
        self._staged, self._outcomes, self._bytes = [], [], 0
        for item in staged:
            if item.outcome.error is not None:  # a duplicate: its blob is nobody's
                self.blobs.delete(item.blob.blob_id)
        self._release()
        return outcomes

    def _store(self, source: IncomingFile, filename: str, email_headers: FileMetadata | None):
        head = read_head(source.stream)
        if not head:
            raise UnsupportedFile(Text("“%(name)s” is empty; there is nothing to keep",
                                       name=filename))
        file_type = sniff(head, filename)
        counter = MessageCounter() if file_type.family == "mailbox" else None
        reading = Prefixed(head, source.stream, counter)
        try:
            blob = self.blobs.write(reading, max_size=self.max_bytes, pending=self._pending)
        except BlobTooLarge:
            raise FileTooLarge(Text(
                "“%(name)s” is larger than the limit of %(mb)s MB (config key "
                "`intake.max_file_mb`)", name=filename,
                mb=self.max_bytes // (1024 * 1024))) from None
        try:
            if counter is not None and counter.messages > self.max_messages:
                raise too_many(filename, counter.messages, self.max_messages)
            metadata = email_headers if email_headers is not None and \
                file_type.family == "email" else \
                self._metadata(file_type, blob, reading.kept(), filename)
        except BaseException:
            self._drop(blob.blob_id)
            raise
        return blob, file_type, metadata, counter

    def _metadata(self, file_type: FileType, blob: StoredBlob, kept: bytes | None,
                  filename: str) -> FileMetadata:
        # Parsing a large file can take a while: it is done before the database's write lock.
        if kept is not None:
            return extract_metadata(file_type, io.BytesIO(kept), filename, tz=self.tz)
        self._settle()  # a large file is read back from its blob
        with self.blobs.open(blob.blob_id) as reader:
            return extract_metadata(file_type, reader, filename, tz=self.tz)

    def _write_rows(self, staged: list[_Staged]) -> None:
        session = self.session
        custody.lock_chain(session)
        shas = {item.blob.sha256 for item in staged}
        existing = {e.sha256: e for e in session.exec(select(Evidence).where(
            Evidence.negotiation_id == self.negotiation.id, Evidence.sha256.in_(shas)))}
        kept: dict[str, _Staged] = {}
        waiting, stored = list(staged), []
        while waiting:  # items first, then those found inside them (their parent is in here)
            ready = [item for item in waiting if _placed(item.parent)]
            waiting = [item for item in waiting if not _placed(item.parent)]
            rows = []
            for item in ready:
                if isinstance(item.parent, Outcome) and item.parent.evidence is None:
                    item.outcome.error = IntakeError(Text(
                        "“%(name)s” was not stored: the file it came in, “%(parent)s”, was "
                        "not stored", name=item.outcome.filename,
                        parent=item.parent.filename))
                elif item.blob.sha256 in existing:
                    item.outcome.error = duplicate(item.outcome.filename,
                                                    existing[item.blob.sha256])
                elif item.blob.sha256 not in kept:
                    kept[item.blob.sha256] = item
                    rows.append(item)
            self._insert(rows)
            stored += rows
            for item in ready:
                if item.outcome.evidence is None and item.outcome.error is None:
                    item.outcome.error = duplicate(item.outcome.filename,
                                                    kept[item.blob.sha256].outcome.evidence)
        custody.append_events(session, [self._intake_event(item) for item in stored])
        add_jobs(session, [(item.outcome.evidence, kind, item.job_options) for item in stored
                           for kind in (item.jobs if item.jobs is not None else
                                        classify(item.file_type, item.metadata).jobs)])
        if self._on_stored is not None:
            self._on_stored(session, [item.outcome for item in stored])

    def _insert(self, rows: list[_Staged]) -> None:
        """Each item its own row, all in one INSERT, loaded back (cheaper than objects)."""
        if rows:
            made = self.session.scalars(
                insert(Evidence).returning(Evidence, sort_by_parameter_order=True),
                [self._row(item) for item in rows]).all()
            for item, evidence in zip(rows, made, strict=True):
                item.outcome.evidence = evidence

    def _row(self, item: _Staged) -> dict[str, Any]:
        details, metadata, blob = item.details, item.metadata, item.blob
        guess = classify(item.file_type, metadata)
        given = _time(details)
        time = best([given, *metadata.times] if given else metadata.times)
        extracted = {
            **metadata.extra,
            # Every time the file carried, with its source, whichever won.
            "times": [reading.as_json() for reading in metadata.times],
            "duration_s": metadata.duration_s,
            "problems": metadata.problems,
            "declared_type": item.source.declared_type,
            "source": item.source.source,
            **item.extra,
        }
        return dict(
            negotiation_id=self.negotiation.id,
            kind=details.kind or guess.kind,
            channel=details.channel or guess.channel,
            direction=details.direction or Direction.unknown,
            counterpart_name=details.counterpart_name or metadata.counterpart_name,
            counterpart_number=details.counterpart_number or metadata.counterpart_number,
            occurred_at=time.at if time else None,
            occurred_at_source=time.source if time else None,
            occurred_at_precision=time.precision if time else None,
            original_filename=item.outcome.filename,
            media_type=item.file_type.media_type,
            size=blob.size,
            sha256=blob.sha256,
            blob_id=blob.blob_id,
            parent_id=_parent_id(item.parent),
            note=details.note,
            subject=details.subject or metadata.subject,
            extracted_metadata={k: v for k, v in extracted.items() if v not in (None, [], {})},
            created_by=self.actor.id if self.actor else None,
        )

    def _intake_event(self, item: _Staged) -> custody.EventSpec:
        evidence, blob = item.outcome.evidence, item.blob
        return custody.EventSpec(
            CustodyAction.intake, self.actor.id if self.actor else None, self.negotiation.id,
            evidence.id, {"sha256": blob.sha256, "size": blob.size, "blob_id": blob.blob_id,
                          "original_filename": item.outcome.filename,
                          "media_type": item.file_type.media_type,
                          "source": item.source.source, "parent_id": evidence.parent_id})

    def _hold(self) -> None:
        """Take the intake lock (shared) until the commit: `verify --repair` waits for it, so
        it never takes a blob written for this batch for an orphan."""
        if self._held is None:
            held = ExitStack()
            held.enter_context(intake_lock(self.session.get_bind(), self.blobs.lock_dir))
            self._held = held

    def _release(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            held.close()

    def _settle(self) -> None:
        if self._pending is not None:
            self._pending.settle()

    def _drop(self, blob_id: str) -> None:
        if self._pending is not None and blob_id in self._pending.files:
            self._pending.discard(blob_id)
        else:
            self.blobs.delete(blob_id)

    def _discard(self) -> None:
        self.session.rollback()
        for item in self._staged:
            item.outcome.evidence = None
            self._drop(item.blob.blob_id)
        self._staged, self._outcomes, self._bytes = [], [], 0


def ingest(*, session: Session, blobs: BlobStore, source: IncomingFile,
           negotiation: Negotiation, actor: User | None, max_bytes: int, tz: ZoneInfo,
           details: EvidenceDetails | None = None, parent: Evidence | None = None,
           max_messages: int = IntakeConfig.max_messages_per_import) -> Evidence:
    """Store one file as evidence of `negotiation` and commit.

    Raises UnsupportedFile (type not accepted, or empty), FileTooLarge, TooManyMessages (a
    mailbox of more than `max_messages` messages), DuplicateEvidence (the same bytes are already
    evidence here; `.existing_id` names it). On any error nothing is stored and the session is
    rolled back.
    """
    with IntakeBatch(session=session, blobs=blobs, negotiation=negotiation, actor=actor,
                     max_bytes=max_bytes, tz=tz, max_messages=max_messages) as batch:
        batch.add(source, details=details, parent=parent)
        [outcome] = batch.commit()
    if outcome.error is not None:
        session.rollback()
        raise outcome.error
    return outcome.evidence


def _placed(parent: Evidence | Outcome | None) -> bool:
    """Whether an item of `parent` can be written: its parent has its row, or never will."""
    return not isinstance(parent, Outcome) or parent.evidence is not None or \
        parent.error is not None


def _parent_id(parent: Evidence | Outcome | None) -> int | None:
    if isinstance(parent, Outcome):
        return parent.evidence.id
    return parent.id if parent is not None else None


def _time(details: EvidenceDetails) -> TimeReading | None:
    if details.occurred_at is None:
        return None
    return TimeReading(details.occurred_at, details.occurred_at_source,
                       details.occurred_at_precision)
