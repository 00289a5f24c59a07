"""The `parse_email` job: an .eml, Outlook .msg or .mbox item -> searchable text and child items.

- One email (.eml, .msg): its headers and text body become an `ExtractedText` (source=email)
  that search finds; its HTML body is kept in that row's segments as {"part": "html", "html"}
  (show it only through `logger.extract.emails.sanitize_email_html`); each attachment, inline image
  and attached message becomes a child evidence item through intake (an attached message is
  then parsed by its own job); the direction and counterpart are worked out from
  `intake.my_addresses`; what could not be read is kept in `extracted_metadata.parse_warnings`.
- A mailbox (.mbox): each message becomes a child email item (parsed by its own job); the
  mailbox stays as the original evidence, with a summary of stored / duplicate / refused. One
  job splits at most SPLIT_BATCH messages and queues a job for the rest (option
  `from_message`), so a long mailbox never holds the worker for long at a time.
  Intake refuses a mailbox of more than `intake.max_messages_per_import` messages; one stored
  before that limit (or before it was lowered) is split up to it, and the summary and a warning
  say how many of how many (the rest stay in the original). An email's attachments past the
  limit are listed as refused, for the same reason.

Running the job again changes nothing that was stored: children already there count as stored.
"""

from __future__ import annotations

import logging
import re

from logger.extract.common import (ChildOutcome, load_evidence, read_blob, record_results,
                                   store_child)
from logger.extract.email_msg import parse_msg
from logger.extract.emails import ParsedEmail, parse_email
from logger.extract.mailbox import MboxStats, iter_mbox
from logger.intake.ingest import EvidenceDetails
from logger.intake.sniff.types import MBOX, MSG
from logger.jobs.queue import enqueue
from logger.jobs.worker import JobContext
from logger.record.when import TimeReading
from storage.models import Channel, Direction, Evidence, JobKind, TextSource, TimeSource
from storage.models.types import TimePrecision

log = logging.getLogger(__name__)

ENGINE = "liuhen-email"
# Refused and duplicate messages of a mailbox are listed one by one up to this many.
MAX_LISTED = 200
# Messages of a mailbox one job splits; a job for the next ones is queued after them.
SPLIT_BATCH = 100


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
    outcomes = []
    limit = ctx.services.config.intake.max_messages_per_import
    with ctx.services.session() as session:
        for number, attachment in enumerate(parsed.attachments, 1):
            ctx.progress(number / (len(parsed.attachments) + 1))
            if number > limit:
                outcome = ChildOutcome(attachment.filename, "refused", reason=_past_limit(limit))
            elif not attachment.data:
                outcome = ChildOutcome(attachment.filename, "refused",
                                       reason="the attachment is empty")
            else:
                outcome = store_child(ctx.services, session, parent=parent,
                                      data=attachment.data, filename=attachment.filename,
                                      details=details)
            outcomes.append({**outcome.as_dict(), "content_type": attachment.content_type,
                             "size": len(attachment.data), "inline": attachment.inline,
                             **({"content_id": attachment.content_id}
                                if attachment.content_id else {})})
    return outcomes


def _past_limit(limit: int) -> str:
    return (f"past the {limit:,} items one import may be split into (config key "
            "`intake.max_messages_per_import`); it stays inside the original")


def _split_mailbox(ctx: JobContext, mailbox: Evidence) -> None:
    """Split up to SPLIT_BATCH messages from `from_message` (an option; 1 when not given), then
    queue a job for the rest: the worker takes other imports' jobs in between (the job lands
    after this batch's messages, in the mailbox's fair place in line)."""
    first = int(ctx.options.get("from_message", 1))
    so_far = mailbox.extracted_metadata.get("mailbox", {}) if first > 1 else {}
    counts = {key: int(so_far.get(key, 0)) for key in ("stored", "duplicate", "refused")}
    listed: list[dict] = list(so_far.get("not_stored", []))
    most = ctx.services.config.intake.max_messages_per_import
    not_split, rest = 0, None
    stats = MboxStats()
    stem = mailbox.original_filename.rsplit(".", 1)[0] or "mailbox"
    limit = ctx.services.config.intake.max_file_bytes
    with ctx.services.session() as session, ctx.services.blobs.open(mailbox.blob_id) as reader:
        for message in iter_mbox(reader, max_message_bytes=limit, stats=stats):
            if message.number < first:
                continue
            ctx.progress(stats.bytes_read / max(1, mailbox.size))
            if message.number > most:
                not_split += 1  # only counted: the worker is not held by one import
                continue
            if message.number >= first + SPLIT_BATCH:
                rest = message.number
                break
            name = f"{stem} {message.number:05d}.eml"
            if message.too_large:
                outcome = ChildOutcome(name, "refused", reason=f"the message is larger than "
                                       f"the limit of {limit // 2**20} MB (`intake.max_file_mb`)")
            else:
                outcome = store_child(ctx.services, session, parent=mailbox, data=message.data,
                                      filename=name)
            counts[outcome.status] += 1
            if outcome.status != "stored" and len(listed) < MAX_LISTED:
                listed.append({**outcome.as_dict(), "envelope": message.envelope})
        if rest is not None:
            summary = {**counts, "not_stored": listed, "split_until": rest - 1}
            record_results(ctx.services, mailbox.id, source=TextSource.email, text=None,
                           engine=ENGINE, metadata={"mailbox": summary}, job="parse_email")
            enqueue(session, evidence_id=mailbox.id, kind=JobKind.parse_email,
                    options={**ctx.options, "from_message": rest})
            return
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
