"""The `extract_text` job: a text file, an XML export or a Word/Excel file -> searchable text.

- Plain text (UTF-8, UTF-16 with a byte-order mark, GB18030): the text as it is; an export of
  messages whose lines carry their times (`logger.extract.text_times`) gets the first one's.
- An "SMS Backup & Restore" XML (`logger.extract.sms_backup`): one segment per message or call,
  with its time, side ("them"/"me") and the other party; the item gets the first message's time
  and, when every message is with one party, that party as counterpart.
An export is dated by where its conversation starts, as the messages are listed; the time is
the content's (`TimeSource.content`), which outranks the file's name and data.
- Any other XML: the text its elements hold.
- .docx / .xlsx (`logger.extract.office`): the paragraphs / the cell strings.
The original is never changed; a re-run replaces the text an earlier run left.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from logger.errors import PermanentJobError
from logger.i18n import Text
from logger.extract import office as office_text
from logger.extract import sms_backup
from logger.extract.common import load_evidence, read_blob, record_results
from logger.extract.text_times import message_times
from logger.intake.filemeta.common import is_plausible
from logger.intake.sniff.types import TEXT, XML
from logger.jobs.worker import JobContext
from logger.record.when import TimeReading
from storage.models import Direction, TextSource, TimeSource

ENGINE = "liuhen-text"


@dataclass(frozen=True)
class TextReading:
    """What the job reads from a file: the text, its segments, what goes into the item's
    `extracted_metadata`, and the fields it may fill in (`logger.extract.common.FILLABLE`)."""

    text: str
    segments: list[dict]
    metadata: dict[str, Any]
    fill: dict[str, Any]


def extract_text_handler(ctx: JobContext) -> None:
    """Run one extract_text job. Raises PermanentJobError for content that cannot be read
    (another attempt reads it no better)."""
    evidence = load_evidence(ctx.services, ctx.evidence_id)
    if not reads(evidence.media_type):
        raise PermanentJobError(Text("evidence #%(id)s is %(type)s; there is no text to extract "
                                     "from that kind of file", id=evidence.id,
                                     type=evidence.media_type))
    reading = read_text(read_blob(ctx.services, evidence.blob_id), evidence.media_type,
                        tz=ctx.services.config.locale.zone)
    record_results(ctx.services, evidence.id, source=TextSource.text, text=reading.text,
                   segments=reading.segments, engine=ENGINE, metadata=reading.metadata,
                   fill=reading.fill, job="extract_text")


def reads(media_type: str) -> bool:
    """Whether the job reads text from a file of this type."""
    return media_type in (XML.media_type, TEXT.media_type) or office_text.handles(media_type)


def read_text(data: bytes, media_type: str, *, tz: ZoneInfo) -> TextReading:
    """What the job reads from `data`, a file of a type it `reads`, in memory and without the
    database (a mailbox's split reads its attachments with it). Raises PermanentJobError for
    content that cannot be read."""
    if media_type == XML.media_type and sms_backup.root_name(data[:4096]) in sms_backup.ROOTS:
        return _read_backup(data, tz)
    fill: dict[str, Any] = {}
    if media_type == XML.media_type:
        text, warnings = _xml_text(data), []
    elif media_type == TEXT.media_type:
        text, warnings = decode_text_file(data), []
        fill["occurred_at"] = _first(message_times(text, tz))
    else:
        text, warnings = office_text.extract(data, media_type)
    return TextReading(text, [], {"parse_warnings": warnings}, fill)


def decode_text_file(data: bytes) -> str:
    """A text file's content: a byte-order mark decides; else UTF-8, else GB18030 (what Chinese
    Windows writes), else Latin-1 (which reads anything)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _xml_text(data: bytes) -> str:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise PermanentJobError(Text("the XML is not well formed (%(detail)s); the original is "
                                     "kept as it is", detail=str(e))) from None
    pieces = (" ".join(piece.split()) for piece in root.itertext())
    return "\n".join(piece for piece in pieces if piece)


def _read_backup(data: bytes, tz: ZoneInfo) -> TextReading:
    messages: list[sms_backup.Message] = []
    warnings: list[str] = []
    try:
        messages.extend(sms_backup.iter_backup(io.BytesIO(data)))
    except ET.ParseError as e:
        warnings.append(f"the backup's XML breaks off ({e}); the {len(messages)} messages "
                        "before that point were read")
    lines = [_line(m, tz) for m in messages]
    return TextReading("\n".join(lines), [m.segment() for m in messages],
                       {"parse_warnings": warnings, "messages": len(messages)},
                       _backup_fill(messages))


def _line(message: sms_backup.Message, tz) -> str:
    when = message.time.astimezone(tz).strftime("%Y-%m-%d %H:%M") if message.time else "?"
    side = "me" if message.direction == Direction.from_me else "them"
    party = message.contact_name or message.address or "?"
    return f"{when} [{side} {party}] {message.text}"


def _backup_fill(messages: list[sms_backup.Message]) -> dict[str, Any]:
    """The first message's time; the other party when there is only one."""
    times = [m.time for m in messages if m.time and is_plausible(m.time)]
    numbers = {m.number or m.address for m in messages}
    names = {m.contact_name for m in messages}
    fill: dict[str, Any] = {"occurred_at": _first(times)}
    if len(numbers) == 1:
        fill["counterpart_number"] = numbers.pop()
    if len(names) == 1:
        fill["counterpart_name"] = names.pop()
    return fill


def _first(times: list[datetime]) -> TimeReading | None:
    """The earliest message time, as the content's reading."""
    return TimeReading(min(times), TimeSource.content) if times else None
