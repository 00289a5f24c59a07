"""Intake: the one function every source (browser, API, CLI import, watched folder) uses to turn
a file into evidence.

`ingest` sniffs the real type from the content, encrypts and hashes the bytes into the blob store
in one pass, refuses exact duplicates, reads the metadata the file carries, writes the `Evidence`
row, its custody event and its jobs (each in its import's fair place in line), and commits once.
A mailbox holding more messages than one import may split into items
(`intake.max_messages_per_import`, counted while it streams in) is refused whole. A failure at
any step leaves no row and no blob; a crash between the blob's rename and the commit leaves at
most an orphan blob, which `liuhen verify` reports and `verify --repair` removes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.config.sections import IntakeConfig
from logger.errors import DuplicateEvidence, FileTooLarge, TooManyMessages, UnsupportedFile
from logger.i18n import Text
from logger.intake.filemeta import extract_metadata
from logger.intake.filemeta.common import FileMetadata
from logger.intake.sniff import HEAD_SIZE, FileType, sniff
from logger.jobs.queue import add_job
from logger.record import custody
from logger.record.when import TimeReading, best
from storage.blobs.lock import intake_lock
from storage.blobs.store import BlobStore, BlobTooLarge, StoredBlob
from storage.models import (Channel, CustodyAction, Direction, Evidence, EvidenceKind, JobKind,
                            Negotiation, TimeSource, User)
from storage.models.types import TimePrecision

MAX_FILENAME_CHARS = 255
# A message of a mailbox starts at a line beginning with "From " (`logger.extract.mailbox`).
_MESSAGE_START = b"\nFrom "


@dataclass
class IncomingFile:
    """A file arriving from any source. `declared_type` (a browser's Content-Type, say) is
    recorded but never trusted."""

    stream: BinaryIO
    filename: str
    declared_type: str | None = None
    source: str = "cli"


@dataclass
class EvidenceDetails:
    """What a person says about the file that the file cannot tell. Each given field wins over
    what is extracted from the file. A given `occurred_at` is a person's unless
    `occurred_at_source` says otherwise (an email's attachment: `parent`); `day` precision
    means only its date is known (`logger.record.when.on_day`)."""

    kind: EvidenceKind | None = None
    channel: Channel | None = None
    direction: Direction | None = None
    occurred_at: datetime | None = None
    occurred_at_source: TimeSource = TimeSource.person
    occurred_at_precision: TimePrecision = TimePrecision.minute
    counterpart_name: str | None = None
    counterpart_number: str | None = None
    subject: str | None = None
    note: str | None = None


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
    details = details or EvidenceDetails()
    filename = _clean_filename(source.filename)
    head = _read_head(source.stream)
    if not head:
        raise UnsupportedFile(Text("“%(name)s” is empty; there is nothing to keep",
                                   name=filename))
    file_type = sniff(head, filename)
    counter = _MessageCounter() if file_type.family == "mailbox" else None

    with intake_lock(session.get_bind(), blobs.lock_dir):
        try:
            blob = blobs.write(_Prefixed(head, source.stream, counter), max_size=max_bytes)
        except BlobTooLarge:
            raise FileTooLarge(Text(
                "“%(name)s” is larger than the limit of %(mb)s MB (config key "
                "`intake.max_file_mb`)", name=filename, mb=max_bytes // (1024 * 1024))) from None
        try:
            if counter is not None and counter.messages > max_messages:
                raise _too_many(filename, counter.messages, max_messages)
            evidence = _record(session=session, blobs=blobs, blob=blob, file_type=file_type,
                               filename=filename, source=source, negotiation=negotiation,
                               actor=actor, tz=tz, details=details, parent=parent)
            session.commit()
        except BaseException:
            session.rollback()
            blobs.delete(blob.blob_id)
            raise
    return evidence


def _record(*, session: Session, blobs: BlobStore, blob: StoredBlob, file_type: FileType,
            filename: str, source: IncomingFile, negotiation: Negotiation, actor: User | None,
            tz: ZoneInfo, details: EvidenceDetails, parent: Evidence | None) -> Evidence:
    # Parsing a large file can take a while: do it before taking the database's write lock.
    with blobs.open(blob.blob_id) as reader:
        metadata = extract_metadata(file_type, reader, filename, tz=tz)

    custody.lock_chain(session)
    existing = session.exec(select(Evidence).where(
        Evidence.negotiation_id == negotiation.id, Evidence.sha256 == blob.sha256)).first()
    if existing is not None and existing.purged_at is not None:
        raise DuplicateEvidence(Text(
            "“%(name)s” was evidence #%(id)s of this negotiation until the trash was emptied; "
            "the record of it stays, so the same file cannot be added here again",
            name=filename, id=existing.id), existing_id=existing.id)
    if existing is not None and existing.trashed_at is not None:
        raise DuplicateEvidence(Text(
            "“%(name)s” is evidence #%(id)s of this negotiation, in the trash: restore it "
            "from the trash instead of adding it again", name=filename, id=existing.id),
            existing_id=existing.id)
    if existing is not None:
        raise DuplicateEvidence(Text(
            "“%(name)s” is already evidence #%(id)s in this negotiation (stored as "
            "“%(stored)s”)", name=filename, id=existing.id, stored=existing.original_filename),
            existing_id=existing.id)
    guess = classify(file_type, metadata)
    given = _time(details)
    time = best([given, *metadata.times] if given else metadata.times)
    extracted = {
        **metadata.extra,
        # Every time the file carried, with its source, whichever won.
        "times": [reading.as_json() for reading in metadata.times],
        "duration_s": metadata.duration_s,
        "problems": metadata.problems,
        "declared_type": source.declared_type,
        "source": source.source,
    }
    evidence = Evidence(
        negotiation_id=negotiation.id,
        kind=details.kind or guess.kind,
        channel=details.channel or guess.channel,
        direction=details.direction or Direction.unknown,
        counterpart_name=details.counterpart_name or metadata.counterpart_name,
        counterpart_number=details.counterpart_number or metadata.counterpart_number,
        occurred_at=time.at if time else None,
        occurred_at_source=time.source if time else None,
        occurred_at_precision=time.precision if time else None,
        original_filename=filename,
        media_type=file_type.media_type,
        size=blob.size,
        sha256=blob.sha256,
        blob_id=blob.blob_id,
        parent_id=parent.id if parent else None,
        note=details.note,
        subject=details.subject or metadata.subject,
        extracted_metadata={k: v for k, v in extracted.items() if v not in (None, [], {})},
        created_by=actor.id if actor else None,
    )
    session.add(evidence)
    session.flush()
    custody.append_event(
        session, action=CustodyAction.intake, actor_id=actor.id if actor else None,
        negotiation_id=negotiation.id, evidence_id=evidence.id,
        details={"sha256": blob.sha256, "size": blob.size, "blob_id": blob.blob_id,
                 "original_filename": filename, "media_type": file_type.media_type,
                 "source": source.source, "parent_id": evidence.parent_id})
    for kind in guess.jobs:
        add_job(session, evidence, kind)
    return evidence


def _too_many(filename: str, count: int, limit: int) -> TooManyMessages:
    return TooManyMessages(Text(
        "“%(name)s” holds %(count)s messages, more than the %(limit)s one import may split "
        "into items (config key `intake.max_messages_per_import`, or "
        "LIUHEN_INTAKE_MAX_MESSAGES_PER_IMPORT). Nothing was stored: split the mailbox into "
        "smaller files (by year, say, in your mail program) or raise the limit, then import it "
        "again.", name=filename, count=f"{count:,}", limit=f"{limit:,}"),
        count=count, limit=limit)


def _time(details: EvidenceDetails) -> TimeReading | None:
    if details.occurred_at is None:
        return None
    return TimeReading(details.occurred_at, details.occurred_at_source,
                       details.occurred_at_precision)


def _clean_filename(name: str) -> str:
    """Keep the user's name for display only (it never names a file on disk): drop any path,
    control characters and absurd length."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_FILENAME_CHARS] or "unnamed"


def _read_head(stream: BinaryIO) -> bytes:
    parts, got = [], 0
    while got < HEAD_SIZE:
        piece = stream.read(HEAD_SIZE - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


class _MessageCounter:
    """Counts the messages of a mailbox in the bytes fed to it, as `logger.extract.mailbox`
    splits them: one per line that begins with "From ", the first line included."""

    def __init__(self) -> None:
        self.messages = 0
        self._tail = b"\n"  # the file's first line counts as if a line ended before it

    def feed(self, data: bytes) -> None:
        if data:
            # The tail is shorter than the separator, so no match lies wholly inside it.
            seen = self._tail + data
            self.messages += seen.count(_MESSAGE_START)
            self._tail = seen[-(len(_MESSAGE_START) - 1):]


class _Prefixed(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the stream (fed to `counter` as
    they pass)."""

    def __init__(self, head: bytes, rest: BinaryIO, counter: _MessageCounter | None = None):
        self._head = memoryview(head)
        self._rest = rest
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            data = self._head[:n].tobytes()
            self._head = self._head[n:]
        else:
            data = self._rest.read(len(buffer))
            n = len(data)
        buffer[:n] = data
        if self._counter is not None:
            self._counter.feed(data)
        return n
