"""The text a PDF carries, page by page (pypdf), and the images of the pages that carry none.

A page with no text but with page-sized images is a scanned page: `scan_images` gives its images
(decoded, one page at a time) for OCR, which lives in `transcription` (this package runs none).
Damage is read past: a page that cannot be read is a warning, not a failure.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PdfReader

from logger.errors import PermanentJobError
from logger.i18n import Text
from logger.intake.filemeta.common import describe_error

# Images smaller than this (in either side, pixels) are rules, bullets and logos, not scans.
MIN_SCAN_SIDE = 200


@dataclass
class PageText:
    """One page: its number (from 1), its text, and for a page without text, how many images
    large enough to be a scan it holds."""

    number: int
    text: str
    scan_images: int = 0

    @property
    def scanned(self) -> bool:
        return not self.text.strip() and self.scan_images > 0


@dataclass
class PdfText:
    pages: list[PageText]
    warnings: list[str]

    @property
    def text(self) -> str:
        return "\n\n".join(p.text.strip() for p in self.pages if p.text.strip())


def read_pdf_text(data: bytes, *,
                  progress: Callable[[float], None] | None = None) -> PdfText:
    """Every page's text, and the images of pages without text. Raises PermanentJobError for a
    file pypdf cannot open at all or one locked with a password."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # damage shows as an exception or a missing value
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise PermanentJobError(Text("the PDF is password-protected; its text cannot be "
                                             "read (save an unlocked copy and import that)"))
            count = len(reader.pages)
        except PermanentJobError:
            raise
        except Exception as exc:
            raise PermanentJobError(Text("the PDF cannot be opened: %(detail)s",
                                         detail=describe_error(exc))) from None
        result = PdfText(pages=[], warnings=[])
        for index in range(count):
            result.pages.append(_page(reader, index, result.warnings))
            if progress:
                progress((index + 1) / count)
    return result


def _page(reader: PdfReader, index: int, problems: list[str]) -> PageText:
    page = PageText(number=index + 1, text="")
    try:
        pdf_page = reader.pages[index]
        page.text = pdf_page.extract_text() or ""
    except Exception as exc:
        problems.append(f"page {index + 1}: its text could not be read "
                        f"({describe_error(exc)})")
        return page
    if not page.text.strip():
        try:
            page.scan_images = len(_large_images(pdf_page))
        except Exception as exc:
            problems.append(f"page {index + 1}: its images could not be read "
                            f"({describe_error(exc)})")
    return page


def scan_images(data: bytes, number: int) -> list:
    """The decoded (PIL) images of page `number` (from 1) large enough to be a scan. Raises
    whatever pypdf or Pillow raise for a damaged image."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            reader.decrypt("")
        return _large_images(reader.pages[number - 1])


def _large_images(pdf_page) -> list:
    images = []
    for image in pdf_page.images:
        decoded = image.image
        if decoded is not None and min(decoded.size) >= MIN_SCAN_SIDE:
            images.append(decoded)
    return images
