"""The `extract_pdf` job: a PDF item -> its text (source "pdf"), and the OCR of its scanned pages
(source "ocr").

The text the PDF carries is read with pypdf (`logger.extract.pdf`); a page that carries none but
holds a page-sized image is a scan, read by the OCR engine (`transcription.ocr`) one page at a
time, each line a segment with its page and box. Everything is decoded in memory from the
encrypted blob. A re-run replaces what an earlier run stored, unless a person edited it.
"""

from __future__ import annotations

from logger.extract.common import load_evidence, read_blob, record_results
from logger.extract.pdf import PageText, read_pdf_text, scan_images
from logger.jobs.worker import JobContext
from storage.models import TextSource
from transcription.ocr.reader import OcrEngine, document_segments

ENGINE = "pypdf"
# Share of the progress bar for reading the embedded text; OCR takes the rest.
_TEXT_SHARE = 0.2


def extract_pdf_handler(ctx: JobContext) -> None:
    """Run one extract_pdf job. Raises PermanentJobError for a PDF that cannot be opened or is
    locked with a password; a damaged page or image is a warning in `parse_warnings`."""
    evidence = load_evidence(ctx.services, ctx.evidence_id)
    data = read_blob(ctx.services, evidence.blob_id)
    pdf = read_pdf_text(data, progress=lambda done: ctx.progress(_TEXT_SHARE * done))
    scanned = [page for page in pdf.pages if page.scanned]
    record_results(ctx.services, evidence.id, source=TextSource.pdf, text=pdf.text or None,
                   segments=[{"page": p.number, "text": p.text} for p in pdf.pages if p.text],
                   engine=ENGINE, metadata={"pages_read": len(pdf.pages),
                                            "scanned_pages": [p.number for p in scanned],
                                            "parse_warnings": pdf.warnings},
                   job="extract_pdf")
    if scanned:
        _read_scans(ctx, evidence.id, data, scanned)


def _read_scans(ctx: JobContext, evidence_id: int, data: bytes, pages: list[PageText]) -> None:
    engine = OcrEngine()
    segments: list[dict] = []
    warnings: list[str] = []
    for done, page in enumerate(pages):
        try:
            images = scan_images(data, page.number)
        except Exception as exc:  # a damaged image: read the other pages
            warnings.append(f"page {page.number}: its image could not be decoded ({exc})")
            continue
        for image in images:
            lines = engine.read(image.convert("RGB"))
            segments += [{"page": page.number, **segment}
                         for segment in document_segments(lines)]
        ctx.progress(_TEXT_SHARE + (1 - _TEXT_SHARE) * (done + 1) / len(pages))
    record_results(ctx.services, evidence_id, source=TextSource.ocr,
                   text="\n".join(segment["text"] for segment in segments),
                   segments=segments, engine=engine.name, model=engine.model,
                   metadata={"ocr_warnings": warnings} if warnings else None, job="extract_pdf")
