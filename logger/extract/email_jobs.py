"""The `parse_email` job: an .eml, Outlook .msg or .mbox item -> searchable text and child items.

- One email (.eml, .msg): its headers and text body become an `ExtractedText` (source=email)
  that search finds; its HTML body is kept in that row's segments as {"part": "html", "html"}
  (show it only through `logger.extract.emails.sanitize_email_html`); each attachment, inline image
  and attached message becomes a child evidence item through intake (an attached message is
  then parsed by its own job; an attachment whose job would be `extract_text` is read here
  instead, as in a mailbox's split below); the direction and counterpart are worked out from
  `intake.my_addresses`; what could not be read is kept in `extracted_metadata.parse_warnings`.
- A mailbox (.mbox): each message becomes a child email item with its own hash and custody
  event, parsed as it is split: its text, direction, counterpart and promise suggestions are
  stored with it (read before the write lock is taken), and so are its attachments, as items
  under it, a batch of messages to a transaction (`logger.intake.ingest.IntakeBatch`): no job
  of its own. An attachment whose job would be `extract_text` (plain text, XML, Word/Excel)
  is read in the split and its text, fields and suggestions stored with its row, as that job
  would store them (`logger.extract.document_jobs.read_text`, `common.add_results`); any
  other attachment, or one that cannot be read there, gets the jobs its type calls for. The
  mailbox stays as the original evidence, with a summary of stored / duplicate / refused.
  One job splits at most SPLIT_BATCH messages and queues a job for the rest (options
  `from_message`, `from_byte`: where that message starts), so a long mailbox never holds the
  worker for long at a time. A mailbox of more messages than `intake.confirm_items_over` is
  not split unless the job's option `allow_many` says so: the job fails before splitting
  anything, saying how to allow it.
  Intake refuses a mailbox of more than `intake.max_messages_per_import` messages; one stored
  before that limit (or before it was lowered) is split up to it, and the summary and a warning
  say how many of how many (the rest stay in the original). An email's attachments past the
  limit are listed as refused, for the same reason.

Running the job again changes nothing that was stored: children already there count as stored.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, insert

from logger.errors import PermanentJobError
from logger.extract.common import (ChildOutcome, add_results, child_batch, child_outcome,
                                   load_evidence, read_blob, record_results)
from logger.extract.document_jobs import ENGINE as TEXT_ENGINE, TextReading, read_text, reads
from logger.extract.email_msg import parse_msg
from logger.extract.emails import Attachment, ParsedEmail, parse_email
from logger.extract.mailbox import MboxMessage, MboxStats, iter_mbox
from logger.i18n import Text
from logger.intake.incoming import MessageCounter, clean_filename
from logger.intake.ingest import EvidenceDetails, IncomingFile, IntakeBatch, Outcome
from logger.intake.sniff import HEAD_SIZE, sniff
from logger.intake.sniff.types import MBOX, MSG
from logger.jobs.queue import enqueue
from logger.jobs.worker import JobContext
from logger.promises.suggestions import find_in_text, found_rows, insert_found, owner_zone
from logger.record.when import TimeReading
from storage.models import (Channel, Direction, Evidence, ExtractedText, JobKind, TextSource,
                            TimeSource)
from storage.models.types import TimePrecision

log = logging.getLogger(__name__)

ENGINE = "liuhen-email"
# Refused and duplicate messages of a mailbox are listed one by one up to this many.
MAX_LISTED = 200
# Messages of a mailbox one job splits; a job for the next ones is queued after them.
SPLIT_BATCH = 500


def parse_email_handler(ctx: JobContext) -> None:
    """Run one parse_email job (see the module docstring). Raises PermanentJobError if the item
    is gone; bad mail never fails the job, it is read as far as it goes."""
    evidence = load_evidence(ctx.services, ctx.evidence_id)
    if evidence.media_type == MBOX.media_type:
        _split_mailbox(ctx, evidence)
        return
    data = read_blob(ctx.services, evidence.blob_id)
    if evidence.media_type == MSG.media_type:
        parsed = parse_msg(data)
    else:
        parsed = parse_email(data, tz=ctx.services.config.locale.zone)
    del data
    direction, counterpart = email_direction(parsed, ctx.services.config.intake.my_addresses)
    fill = {"direction": direction, "counterpart_name": counterpart, "subject": parsed.subject,
            "occurred_at": TimeReading(parsed.date, TimeSource.metadata) if parsed.date
            else None}
    record_results(ctx.services, evidence.id, source=TextSource.email,
                   text=parsed.searchable_text(), segments=_html_segment(parsed), engine=ENGINE,
                   metadata=_email_metadata(parsed), fill=fill, job="parse_email")
    if parsed.attachments:
        outcomes = _store_attachments(ctx, load_evidence(ctx.services, evidence.id), parsed)
        record_results(ctx.services, evidence.id, source=TextSource.email, text=None,
                       engine=ENGINE, metadata={"attachments": outcomes}, job="parse_email")


def email_direction(parsed: ParsedEmail, my_addresses: list[str]) -> tuple[Direction, str | None]:
    """From me when the sender is one of `my_addresses` (the counterpart is then the
    recipients), from them when a recipient is; else unknown, with the sender as counterpart."""
    mine = [a.strip().lower() for a in my_addresses if a.strip()]
    sender = (parsed.from_address or "").lower()
    if sender and sender in mine:
        return Direction.from_me, _short(parsed.to)
    recipients = f"{parsed.to or ''}, {parsed.cc or ''}".lower()
    if any(re.search(rf"(?<![\w.+@-]){re.escape(a)}(?![\w.-])", recipients) for a in mine):
        return Direction.from_them, _short(parsed.sender)
    return Direction.unknown, _short(parsed.sender)


def _short(value: str | None) -> str | None:
    return value[:300] if value else None


def _html_segment(parsed: ParsedEmail) -> list[dict]:
    return [{"part": "html", "html": parsed.html}] if parsed.html else []


def _email_metadata(parsed: ParsedEmail) -> dict:
    metadata = {"parse_warnings": parsed.warnings}
    for key in ("to", "cc", "message_id", "from_address"):
        if getattr(parsed, key):
            metadata[key] = getattr(parsed, key)
    if parsed.sender:
        metadata["from"] = parsed.sender
    return metadata


def _store_attachments(ctx: JobContext, parent: Evidence,
                       parsed: ParsedEmail) -> list[dict]:
    """Each attachment as a child item, dated and addressed like the email it came with."""
    details = EvidenceDetails(channel=Channel.email, occurred_at=parent.occurred_at,
                              occurred_at_source=TimeSource.parent,
                              occurred_at_precision=parent.occurred_at_precision
                              or TimePrecision.minute,
                              direction=parent.direction,
                              counterpart_name=parent.counterpart_name)
    limit = ctx.services.config.intake.max_messages_per_import
    tz = ctx.services.config.locale.zone
    found: list[ChildOutcome | Outcome] = []
    with ctx.services.session() as session:
        with child_batch(ctx.services, session, parent, on_stored=lambda s, stored:
                         _store_readings(s, stored, tz)) as batch:
            for number, attachment in enumerate(parsed.attachments, 1):
                ctx.progress(number / (len(parsed.attachments) + 1))
                if number > limit:
                    found.append(ChildOutcome(attachment.filename, "refused",
                                              reason=_past_limit(limit)))
                elif not attachment.data:
                    found.append(ChildOutcome(attachment.filename, "refused",
                                              reason="the attachment is empty"))
                else:
                    reading = _read_attachment(attachment, tz)
                    found.append(batch.add(IncomingFile(io.BytesIO(attachment.data),
                                                        attachment.filename, source="extracted"),
                                           details=details, parent=parent,
                                           jobs=None if reading is None else (), payload=reading))
                if batch.full:
                    batch.commit()
            batch.commit()
        outcomes = [o if isinstance(o, ChildOutcome) else child_outcome(session, o, parent.id)
                    for o in found]
    return [_attachment_entry(outcome, attachment)
            for outcome, attachment in zip(outcomes, parsed.attachments)]


def _attachment_entry(outcome: ChildOutcome, attachment: Attachment) -> dict:
    return {**outcome.as_dict(), "content_type": attachment.content_type,
            "size": len(attachment.data), "inline": attachment.inline,
            **({"content_id": attachment.content_id} if attachment.content_id else {})}


def _past_limit(limit: int) -> str:
    return (f"past the {limit:,} items one import may be split into (config key "
            "`intake.max_messages_per_import`); it stays inside the original")


def _split_mailbox(ctx: JobContext, mailbox: Evidence) -> None:
    """Split up to SPLIT_BATCH messages from `from_message` (an option; 1 when not given, read
    from the byte `from_byte`), then queue a job for the rest: the worker takes other imports'
    jobs in between (the job lands after this batch's messages, in the mailbox's fair place in
    line). A mailbox of more messages than `intake.confirm_items_over` is split only when the
    job's option `allow_many` says so (`liuhen import` sets it once it is confirmed)."""
    first = int(ctx.options.get("from_message", 1))
    offset = int(ctx.options.get("from_byte", 0))
    so_far = mailbox.extracted_metadata.get("mailbox", {}) if first > 1 else {}
    tally = _Tally({key: int(so_far.get(key, 0)) for key in ("stored", "duplicate", "refused")},
                   list(so_far.get("not_stored", [])), mailbox.id)
    intake = ctx.services.config.intake
    if first == 1 and not ctx.options.get("allow_many"):
        _refuse_unconfirmed(ctx.services, mailbox, intake.confirm_items_over)
    most = intake.max_messages_per_import
    not_split, rest = 0, None
    stats = MboxStats()
    stem = mailbox.original_filename.rsplit(".", 1)[0] or "mailbox"
    limit = intake.max_file_bytes
    with ctx.services.session() as session, ctx.services.blobs.open(mailbox.blob_id) as reader:
        reader.seek(offset)
        # The blob reader's readline copies the rest of its chunk for each line; buffered, once.
        lines = io.BufferedReader(reader, 1 << 20)
        reading = _MessageReading(ctx, session, mailbox)
        with reading.batch() as batch:
            for message in iter_mbox(lines, max_message_bytes=limit, stats=stats,
                                     first_number=first):
                ctx.progress((offset + stats.bytes_read) / max(1, mailbox.size))
                if message.number > most:
                    not_split += 1  # only counted: the worker is not held by one import
                    continue
                if message.number >= first + SPLIT_BATCH:
                    rest = message
                    break
                name = f"{stem} {message.number:05d}.eml"
                if message.too_large:
                    tally.count(session, ChildOutcome(name, "refused", reason=(
                        f"the message is larger than the limit of {limit // 2**20} MB "
                        "(`intake.max_file_mb`)")), message.envelope)
                    continue
                reading.add(batch, message, name)
                if batch.full:
                    tally.outcomes(session, batch.commit())
            tally.outcomes(session, batch.commit())
        if rest is not None:
            summary = {**tally.counts, "not_stored": tally.listed,
                       "split_until": rest.number - 1}
            record_results(ctx.services, mailbox.id, source=TextSource.email, text=None,
                           engine=ENGINE, metadata={"mailbox": summary}, job="parse_email")
            enqueue(session, evidence_id=mailbox.id, kind=JobKind.parse_email,
                    options={**ctx.options, "from_message": rest.number,
                             "from_byte": offset + rest.offset})
            return
    counts, listed = tally.counts, tally.listed
    warnings = []
    if stats.leading_garbage:
        warnings.append(f"{stats.leading_garbage} bytes before the first message (no “From ” "
                        "line) are not part of any message; they are kept only in the original")
    if not sum(counts.values()):
        warnings.append("no message was found: the file has no “From ” separator lines")
    if not_split:
        warnings.append(f"only the first {most:,} of {most + not_split:,} messages were split "
                        "into items (config key `intake.max_messages_per_import`); the other "
                        f"{not_split:,} are kept only in the original mailbox, not searched "
                        "and not on the timeline")
    summary = {"messages": sum(counts.values()) + not_split, **counts, "not_split": not_split,
               "not_stored": listed}
    log.info("mailbox #%d: %d messages: %d stored, %d duplicate, %d refused", mailbox.id,
             summary["messages"], counts["stored"], counts["duplicate"], counts["refused"])
    record_results(ctx.services, mailbox.id, source=TextSource.email, text=None, engine=ENGINE,
                   metadata={"mailbox": summary, "parse_warnings": warnings}, job="parse_email")


def _refuse_unconfirmed(services, mailbox: Evidence, limit: int) -> None:
    """Raise PermanentJobError, before anything is split, when the mailbox holds more messages
    than `limit` (counted at intake; an older item's are counted now)."""
    count = mailbox.extracted_metadata.get("message_count")
    if count is None:
        counter = MessageCounter()
        for piece in services.blobs.iter_plaintext(mailbox.blob_id):
            counter.feed(piece)
        count = counter.messages
    if count > limit:
        raise PermanentJobError(Text(
            "This mailbox holds %(count)s messages: split, they would add more items than the "
            "%(limit)s one import adds without being confirmed (setting "
            "intake.confirm_items_over). Nothing was split; the mailbox is kept whole. To "
            "split it, raise the setting to at least %(count)s and retry this job, or import "
            "the file with `liuhen import --allow-many`.",
            count=f"{count:,}", limit=f"{limit:,}"))


@dataclass
class _Tally:
    """What became of a mailbox's messages: counts by status, and those not stored listed
    (up to MAX_LISTED) with their envelope lines."""

    counts: dict[str, int]
    listed: list[dict]
    mailbox_id: int

    def outcomes(self, session: Session, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            if isinstance(outcome.payload, _Read):  # a message (not one of its attachments)
                self.count(session, child_outcome(session, outcome, self.mailbox_id),
                           outcome.payload.envelope)

    def count(self, session: Session, outcome: ChildOutcome, envelope: str) -> None:
        self.counts[outcome.status] += 1
        if outcome.status != "stored" and len(self.listed) < MAX_LISTED:
            self.listed.append({**outcome.as_dict(), "envelope": envelope})


@dataclass
class _Read:
    """A message parsed before the batch's transaction, the promises found in it, and its
    attachments' outcomes in the same batch."""

    envelope: str
    parsed: ParsedEmail
    found: list
    attachments: list = field(default_factory=list)


class _MessageReading:
    """Each message of a mailbox as an item of its own, with its text and promise
    suggestions, and each of its attachments as an item under it: parsed and read as it is
    added to the batch, stored with it in one commit."""

    def __init__(self, ctx: JobContext, session: Session, mailbox: Evidence) -> None:
        self.ctx, self.session, self.mailbox = ctx, session, mailbox
        config = ctx.services.config
        self.tz = config.locale.zone
        self.owner_tz = owner_zone(session, mailbox, self.tz)
        self.my_addresses = config.intake.my_addresses
        self.most = config.intake.max_messages_per_import

    def batch(self) -> IntakeBatch:
        return child_batch(self.ctx.services, self.session, self.mailbox,
                           on_stored=self._store_texts)

    def add(self, batch: IntakeBatch, message: MboxMessage, name: str) -> None:
        parsed = parse_email(message.data, tz=self.tz)
        direction, counterpart = email_direction(parsed, self.my_addresses)
        found = find_in_text(parsed.searchable_text(), at=parsed.date, tz=self.owner_tz)
        read = _Read(message.envelope, parsed, found)
        stored = batch.add(
            IncomingFile(io.BytesIO(message.data), name, source="extracted"),
            parent=self.mailbox,
            details=EvidenceDetails(direction=direction, counterpart_name=counterpart),
            jobs=(), extra=_email_metadata(parsed), payload=read, email_headers=parsed.headers)
        if stored.error is not None:
            return
        # Dated and addressed like the message they came with.
        details = EvidenceDetails(channel=Channel.email, occurred_at=parsed.date,
                                  occurred_at_source=TimeSource.parent,
                                  direction=direction, counterpart_name=counterpart)
        for number, attachment in enumerate(parsed.attachments, 1):
            if number > self.most:
                read.attachments.append(ChildOutcome(attachment.filename, "refused",
                                                     reason=_past_limit(self.most)))
            elif not attachment.data:
                read.attachments.append(ChildOutcome(attachment.filename, "refused",
                                                     reason="the attachment is empty"))
            else:
                reading = _read_attachment(attachment, self.tz)
                read.attachments.append(batch.add(
                    IncomingFile(io.BytesIO(attachment.data), attachment.filename,
                                 source="extracted"), details=details, parent=stored,
                    jobs=None if reading is None else (), payload=reading))

    def _store_texts(self, session: Session, stored: list[Outcome]) -> None:
        _store_readings(session, stored, self.tz)
        messages = [o for o in stored if isinstance(o.payload, _Read)]
        if not messages:
            return
        texts = session.scalars(
            insert(ExtractedText).returning(ExtractedText, sort_by_parameter_order=True),
            [dict(evidence_id=outcome.evidence.id, source=TextSource.email,
                  text=outcome.payload.parsed.searchable_text(),
                  segments=_html_segment(outcome.payload.parsed), engine=ENGINE)
             for outcome in messages]).all()
        insert_found(session, [row for text, outcome in zip(texts, messages, strict=True)
                               for row in found_rows(text, outcome.payload.found,
                                                     tz=self.owner_tz)])
        for outcome in messages:
            if outcome.payload.attachments:
                item = outcome.evidence
                item.extracted_metadata = {**item.extracted_metadata, "attachments": _listed(
                    session, outcome.payload, item.id)}
                session.add(item)
        session.flush()


def _listed(session: Session, read: _Read, message_id: int) -> list[dict]:
    """What became of a message's attachments, as the parse job lists an email's."""
    outcomes = [o if isinstance(o, ChildOutcome) else child_outcome(session, o, message_id)
                for o in read.attachments]
    return [_attachment_entry(outcome, attachment)
            for outcome, attachment in zip(outcomes, read.parsed.attachments)]


def _read_attachment(attachment: Attachment, tz: ZoneInfo) -> TextReading | None:
    """The attachment's text as its extract_text job would read it, when that is its job;
    None (it gets the jobs of its type) otherwise or when it cannot be read here."""
    file_type = sniff(attachment.data[:HEAD_SIZE], clean_filename(attachment.filename))
    if not reads(file_type.media_type):
        return None
    try:
        return read_text(attachment.data, file_type.media_type, tz=tz)
    except Exception:  # noqa: BLE001 - its job reads it again and says what failed
        log.debug("attachment %r left to its job", attachment.filename, exc_info=True)
        return None


def _store_readings(session: Session, stored: list[Outcome], tz: ZoneInfo) -> None:
    """The texts of the attachments read before their commit, as their job would store them."""
    for outcome in stored:
        if isinstance(outcome.payload, TextReading):
            reading = outcome.payload
            add_results(session, outcome.evidence, source=TextSource.text, text=reading.text,
                        segments=reading.segments, engine=TEXT_ENGINE, metadata=reading.metadata,
                        fill=reading.fill, job="extract_text", default_tz=tz)
