"""The `ocr` job: an evidence item's image -> an `ExtractedText` (source "ocr") with segments.

The image is decoded from the encrypted blob in memory (no plaintext on disk). A chat
screenshot (evidence kind "chat") becomes one segment per message, with its side ("them" /
"me"), the time its stamp shows, its text and its box; anything else (a photo or scan of a
letter, a document) becomes one segment per printed line, in reading order, without a side.
Every run adds a new row, so an earlier (perhaps hand-corrected) reading is kept.
"""

from __future__ import annotations

from logger.errors import PermanentJobError
from logger.promises.suggestions import suggest_for_text
from storage.models import Evidence, EvidenceKind, ExtractedText, TextSource
from transcription.ocr.chat_layout import chat_segments
from transcription.ocr.reader import ImageDecodeError, OcrEngine, decode_image, document_segments
from logger.jobs.worker import JobContext


def ocr_handler(ctx: JobContext) -> None:
    """Run one OCR job. Raises PermanentJobError with a plain reason when the evidence is gone
    or its image cannot be decoded (another attempt decodes no better); the evidence itself
    is never touched."""
    services = ctx.services
    with services.session() as session:
        evidence = session.get(Evidence, ctx.evidence_id)
        if evidence is None:
            raise PermanentJobError(f"evidence #{ctx.evidence_id} no longer exists")
        blob_id, is_chat = evidence.blob_id, evidence.kind == EvidenceKind.chat
        taken = evidence.occurred_at or evidence.created_at

    with services.blobs.open(blob_id) as reader:
        data = reader.read()
    try:
        image = decode_image(data)
    except ImageDecodeError as e:
        raise PermanentJobError(f"OCR is not possible: {e}") from e
    engine = OcrEngine()
    ctx.progress(0.05)
    lines = engine.read(image, progress=lambda done: ctx.progress(0.05 + 0.9 * done))
    if is_chat:
        segments = chat_segments(lines, image,
                                 reference=taken.astimezone(services.config.locale.zone))
    else:
        segments = document_segments(lines)

    with services.session() as session:
        text = ExtractedText(
            evidence_id=ctx.evidence_id, source=TextSource.ocr,
            text="\n".join(segment["text"] for segment in segments), segments=segments,
            engine=engine.name, model=engine.model)
        session.add(text)
        # Promise suggestions land with the text, in the same commit.
        suggest_for_text(session, text, default_tz=services.config.locale.zone)
        session.commit()

