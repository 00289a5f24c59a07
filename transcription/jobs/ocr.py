"""The `ocr` job: an evidence item's image -> an `ExtractedText` (source "ocr") with segments.

The image is decoded from the encrypted blob in memory (no plaintext on disk). A chat
screenshot (evidence kind "chat") becomes one segment per message, with its side ("them" /
"me"), the time its stamp shows, its text and its box; anything else (a photo or scan of a
letter, a document) becomes one segment per printed line, in reading order, without a side.
Every run adds a new row, so an earlier (perhaps hand-corrected) reading is kept.

A stamp such as "昨天 21:47" or a bare "21:47" counts from when the screenshot was taken: the
time in its file name or EXIF, else a person's time for the item. When none is known, only
stamps that name their own date ("2024年12月3日 21:47") give a time; the others give none,
never one counted from the upload. The time of the last stamp becomes the item's time, as its
content (`logger.record.when`: above the file name, which is the capture, after the messages),
unless a person set it, and is logged in the custody history like a parse job's fields.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from logger.errors import PermanentJobError
from logger.i18n import Text
from logger.extract.common import fill_fields
from logger.intake.filemeta.common import is_plausible
from logger.promises.suggestions import suggest_for_text
from logger.record import custody
from logger.record.when import TimeReading, best
from storage.models import Evidence, EvidenceKind, ExtractedText, TextSource, TimeSource
from storage.models.types import TimePrecision
from transcription.ocr.chat_layout import chat_segments
from transcription.ocr.reader import ImageDecodeError, OcrEngine, decode_image, document_segments
from logger.jobs.worker import JobContext

# Two screenshot times that differ in year, month, day and weekday: a stamp read the same
# against both names its own date.
_PROBES = ((2001, 3, 5), (2013, 9, 19))


def ocr_handler(ctx: JobContext) -> None:
    """Run one OCR job. Raises PermanentJobError with a plain reason when the evidence is gone
    or its image cannot be decoded (another attempt decodes no better); the evidence itself
    is never touched."""
    services = ctx.services
    with services.session() as session:
        evidence = session.get(Evidence, ctx.evidence_id)
        if evidence is None:
            raise PermanentJobError(Text("evidence #%(id)s no longer exists", id=ctx.evidence_id))
        blob_id, is_chat = evidence.blob_id, evidence.kind == EvidenceKind.chat
        taken = capture_time(evidence)

    with services.blobs.open(blob_id) as reader:
        data = reader.read()
    try:
        image = decode_image(data)
    except ImageDecodeError as e:
        raise PermanentJobError(Text("OCR is not possible: %(detail)s", detail=str(e))) from e
    engine = OcrEngine()
    ctx.progress(0.05)
    lines = engine.read(image, progress=lambda done: ctx.progress(0.05 + 0.9 * done))
    zone = services.config.locale.zone
    segments = _chat(lines, image, taken, zone) if is_chat else document_segments(lines)

    with services.session() as session:
        if is_chat:
            custody.lock_chain(session)
        text = ExtractedText(
            evidence_id=ctx.evidence_id, source=TextSource.ocr,
            text="\n".join(segment["text"] for segment in segments), segments=segments,
            engine=engine.name, model=engine.model)
        session.add(text)
        evidence = session.get(Evidence, ctx.evidence_id)
        if is_chat and evidence is not None:
            fill_fields(session, evidence, {"occurred_at": last_stamp(segments, taken)},
                        job="ocr")
        # Promise suggestions land with the text, in the same commit.
        suggest_for_text(session, text, default_tz=zone)
        session.commit()


def capture_time(evidence: Evidence) -> TimeReading | None:
    """When the screenshot was taken: the time its name or EXIF gave at intake, else a
    person's time for the item (or one stored before sources were recorded, as before). Not
    its content's (an earlier reading of these very stamps) nor its email's (sent later)."""
    readings = [TimeReading.from_json(t) for t in evidence.extracted_metadata.get("times", [])]
    taken = best([r for r in readings
                  if r and r.source in (TimeSource.file_name, TimeSource.metadata)])
    if taken is None and evidence.occurred_at is not None \
            and evidence.occurred_at_source in (TimeSource.person, None):
        taken = TimeReading(evidence.occurred_at, TimeSource(evidence.occurred_at_source
                                                             or TimeSource.person),
                            TimePrecision(evidence.occurred_at_precision
                                          or TimePrecision.minute))
    return taken


def _chat(lines, image, taken: TimeReading | None, zone: ZoneInfo) -> list[dict]:
    if taken is not None:
        return chat_segments(lines, image, reference=taken.at.astimezone(zone))
    first, second = (chat_segments(lines, image, reference=datetime(*day, 12, tzinfo=zone))
                     for day in _PROBES)
    for one, other in zip(first, second):
        if one["time"] != other["time"]:
            one["time"] = None  # it depends on the day the screenshot was taken
    return first


def last_stamp(segments: list[dict], taken: TimeReading | None) -> TimeReading | None:
    """The time of the last message (that of the last stamp above it), as the content's
    reading; None when it has none (no stamp, or one that could not be resolved: an earlier
    stamp is not when the conversation ended), or it is implausible or later than the
    screenshot itself (a misread stamp)."""
    stamp = segments[-1].get("time") if segments else None
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if not is_plausible(moment):
        return None
    if taken is not None:
        # A day stands at its noon: the day ends 12 hours later. A stamp shows minutes.
        slack = timedelta(hours=12 if taken.precision == TimePrecision.day else 0, minutes=1)
        if moment > taken.at + slack:
            return None
    return TimeReading(moment, TimeSource.content, TimePrecision.minute)

