"""The `parse_email` job: an .eml, Outlook .msg or .mbox item -> searchable text and child items.

- One email (.eml, .msg): its headers and text body become an `ExtractedText` (source=email)
  that search finds; its HTML body is kept in that row's segments as {"part": "html", "html"}
  (show it only through `logger.extract.emails.sanitize_email_html`); each attachment, inline image
  and attached message becomes a child evidence item through intake (an attached message is
  then parsed by its own job); the direction and counterpart are worked out from
  `intake.my_addresses`; what could not be read is kept in `extracted_metadata.parse_warnings`.
- A mailbox (.mbox): each message becomes a child email item (parsed by its own job); the
  mailbox stays as the original evidence, with a summary of stored / duplicate / refused.

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
from logger.jobs.worker import JobContext
from logger.record.when import TimeReading
from storage.models import Channel, Direction, Evidence, TextSource, TimeSource
from storage.models.types import TimePrecision

log = logging.getLogger(__name__)

ENGINE = "liuhen-email"
# Refused and duplicate messages of a mailbox are listed one by one up to this many.
MAX_LISTED = 200


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
    with ctx.services.session() as session:
        for number, attachment in enumerate(parsed.attachments, 1):
            ctx.progress(number / (len(parsed.attachments) + 1))
            if not attachment.data:
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


def _split_mailbox(ctx: JobContext, mailbox: Evidence) -> None:
    counts = {"stored": 0, "duplicate": 0, "refused": 0}
    listed: list[dict] = []
    stats = MboxStats()
    stem = mailbox.original_filename.rsplit(".", 1)[0] or "mailbox"
    limit = ctx.services.config.intake.max_file_bytes
    with ctx.services.session() as session, ctx.services.blobs.open(mailbox.blob_id) as reader:
        for message in iter_mbox(reader, max_message_bytes=limit, stats=stats):
            ctx.progress(stats.bytes_read / max(1, mailbox.size))
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
    warnings = []
    if stats.leading_garbage:
        warnings.append(f"{stats.leading_garbage} bytes before the first message (no “From ” "
                        "line) are not part of any message; they are kept only in the original")
    if not sum(counts.values()):
        warnings.append("no message was found: the file has no “From ” separator lines")
    summary = {"messages": sum(counts.values()), **counts, "not_stored": listed}
    log.info("mailbox #%d: %d messages: %d stored, %d duplicate, %d refused", mailbox.id,
             summary["messages"], counts["stored"], counts["duplicate"], counts["refused"])
    record_results(ctx.services, mailbox.id, source=TextSource.email, text=None, engine=ENGINE,
                   metadata={"mailbox": summary, "parse_warnings": warnings}, job="parse_email")
