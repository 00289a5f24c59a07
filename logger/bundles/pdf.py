"""The bundle's PDFs (reportlab): the evidence list, the court print version, the letter.

Chinese needs a font that has its glyphs; none is shipped with Liuhen. `cjk_font()` asks
fontconfig (`fc-list`) for an installed TrueType font covering Chinese (Debian:
fonts-wqy-zenhei) and reportlab embeds the subset of glyphs used. A missing font is a
BundleError that says what to install.

The court print version is one PDF: the list (landscape), then every exhibit from a new page
(portrait): its heading, image, transcript, OCR or email text. Every page carries an exhibit
stamp (top right) and a running page number, so the 页码 the list gives are real: the document
is laid out, the page where each exhibit starts is read back, and the layout is repeated with
those numbers in the list until they no longer change.
"""

from __future__ import annotations

import functools
import io
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from PIL import Image as PILImage, ImageOps, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, NextPageTemplate, PageBreak,
                                PageTemplate, Paragraph, Spacer, Table, TableStyle)

from logger.bundles.items import BundleError, Exhibit
from logger.bundles.listing import COLUMNS, ListInfo, rows
from logger.bundles.texts import TextFile
from logger.i18n import translate
from storage.blobs.store import BlobStore

FONT_NAME = "LiuhenCJK"
MARGIN = 1.5 * cm
MAX_IMAGE_PIXELS = 1800  # the long side of an image in the print version
MAX_LAYOUT_PASSES = 4
STAMP_COLOUR = colors.HexColor("#a31515")
INSTALL_HINT = ("install a font that covers Chinese, e.g. the Debian package fonts-wqy-zenhei "
                "(sudo apt-get install fonts-wqy-zenhei), then export again")


@functools.cache
def cjk_font() -> str:
    """Register the first installed TrueType font that covers Chinese; returns its name for
    reportlab. Raises BundleError naming what to install."""
    try:
        listing = subprocess.run(
            ["fc-list", "-f", "%{file}\t%{index}\t%{fontformat}\n", ":lang=zh"],
            capture_output=True, text=True, check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise BundleError(f"cannot list the installed fonts with fc-list ({e}): "
                          f"install fontconfig and {INSTALL_HINT}") from None
    candidates = []
    for line in listing.splitlines():
        path, index, fmt = (line.split("\t") + ["", ""])[:3]
        if fmt == "TrueType" and Path(path).is_file():
            # WenQuanYi Zen Hei first: known to render every glyph reportlab asks of it.
            candidates.append(("wqy-zenhei" not in path, path, int(index or 0)))
    for _, path, index in sorted(candidates):
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
            return FONT_NAME
        except (TTFError, OSError):
            continue  # PostScript outlines or a damaged file: reportlab cannot embed it
    raise BundleError(f"no font that can show Chinese was found for the PDFs: {INSTALL_HINT}")


@functools.cache
def styles(language: str) -> dict[str, ParagraphStyle]:
    font = cjk_font()
    wrap = "CJK" if language == "zh" else None
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13.5, wordWrap=wrap)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10,
                                textColor=colors.HexColor("#444444")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "hash": ParagraphStyle("hash", parent=base, fontSize=6.5, leading=8.5, wordWrap="CJK"),
        "key": ParagraphStyle("key", parent=base, fontSize=8.5, leading=11.5),
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1,
                                spaceAfter=8),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12.5, leading=17,
                                  spaceBefore=4, spaceAfter=4),
        "subheading": ParagraphStyle("subheading", parent=base, fontSize=10.5, leading=15,
                                     spaceBefore=8, spaceAfter=2,
                                     textColor=colors.HexColor("#1f3a5f")),
    }


def para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


# ----------------------------------------------------------------------------- the list

def list_flowables(exhibits: Sequence[Exhibit], info: ListInfo, width: float) -> list:
    st = styles(info.language)
    story: list = [para(info.title, st["title"])]
    story += [para(line, st["small"]) for line in info.case_lines]
    story += [para(line, st["key"]) for line in info.key_lines()]
    story.append(Spacer(1, 6))
    fractions = (0.05, 0.16, 0.15, 0.16, 0.09, 0.16, 0.09, 0.14)
    data = [[para(c, st["cell"]) for c in COLUMNS[info.language]]]
    for row in rows(list(exhibits), info.language):
        cells = [para(v, st["cell"]) for v in row[:-1]]
        sha = row[-1]
        cells.append(para("\n".join(sha[i:i + 16] for i in range(0, 64, 16)), st["hash"]))
        data.append(cells)
    table = Table(data, colWidths=[f * width for f in fractions], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story.append(table)
    if info.court:
        story.append(Spacer(1, 24))
        story += [para(line, st["base"]) for line in info.signature_lines()]
    return story


class _Doc(BaseDocTemplate):
    """A document that stamps and numbers every page, and records where exhibits start."""

    def __init__(self, target, *, stamp: str, footer: Callable[[int], str],
                 portrait_first: bool = False):
        super().__init__(target, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                         topMargin=MARGIN + 0.6 * cm, bottomMargin=MARGIN, title="",
                         author="Liuhen", creator="Liuhen", invariant=1)
        self.stamp = stamp  # until the first exhibit starts
        self.footer = footer
        self.starts: dict[str, int] = {}
        portrait, wide = A4, landscape(A4)
        templates = [
            PageTemplate("list", [self._frame(wide)], onPageEnd=self._decorate, pagesize=wide),
            PageTemplate("exhibit", [self._frame(portrait)], onPageEnd=self._decorate,
                         pagesize=portrait),
        ]
        self.addPageTemplates(templates[::-1] if portrait_first else templates)

    @staticmethod
    def _frame(size) -> Frame:
        return Frame(MARGIN, MARGIN, size[0] - 2 * MARGIN, size[1] - 2 * MARGIN - 0.6 * cm,
                     id="body", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def afterFlowable(self, flowable) -> None:
        if isinstance(flowable, ExhibitStart):
            self.starts[flowable.number] = self.page
            self.stamp = flowable.label

    def _decorate(self, canvas, doc) -> None:
        width, height = doc.pageTemplate.pagesize
        canvas.saveState()
        canvas.setStrokeColor(STAMP_COLOUR)
        canvas.setFillColor(STAMP_COLOUR)
        canvas.setFont(FONT_NAME, 11)
        text_width = pdfmetrics.stringWidth(self.stamp, FONT_NAME, 11)
        box_x = width - MARGIN - text_width - 0.6 * cm
        canvas.setLineWidth(1.2)
        canvas.roundRect(box_x, height - MARGIN - 0.1 * cm, text_width + 0.6 * cm, 0.75 * cm,
                         3, stroke=1, fill=0)
        canvas.drawString(box_x + 0.3 * cm, height - MARGIN + 0.12 * cm, self.stamp)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.setFont(FONT_NAME, 8.5)
        canvas.drawCentredString(width / 2, MARGIN - 0.7 * cm, self.footer(doc.page))
        canvas.restoreState()


class ExhibitStart(Flowable):
    """Marks where an exhibit begins; takes no room."""

    def __init__(self, number: str, label: str):
        super().__init__()
        self.number, self.label = number, label

    def wrap(self, *_args):
        return 0, 0

    def draw(self) -> None:
        pass


class BlobImage(Flowable):
    """An image evidence item, decoded only when drawn (and then only downscaled to at most
    MAX_IMAGE_PIXELS), so a long print version never holds every image at once."""

    def __init__(self, blobs: BlobStore, blob_id: str, size: tuple[int, int], max_width: float,
                 max_height: float):
        super().__init__()
        self.blobs, self.blob_id = blobs, blob_id
        scale = min(max_width / size[0], max_height / size[1], 1.0)  # 1 px -> 1 pt at most
        self.width, self.height = size[0] * scale, size[1] * scale

    def wrap(self, *_args):
        return self.width, self.height

    def draw(self) -> None:
        with self.blobs.open(self.blob_id) as reader:
            image = ImageOps.exif_transpose(PILImage.open(reader))
            image.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS))
            if image.mode != "RGB":
                background = PILImage.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            jpeg = io.BytesIO()
            image.save(jpeg, "JPEG", quality=90)
        jpeg.seek(0)
        self.canv.drawImage(ImageReader(jpeg), 0, 0, self.width, self.height)


def image_size(blobs: BlobStore, exhibit: Exhibit) -> tuple[int, int] | None:
    """Upright pixel size of an image item, or None when it is not an image Pillow reads."""
    if not exhibit.evidence.media_type.startswith("image/"):
        return None
    if exhibit.evidence.media_type in ("image/heic", "image/heif"):
        import pillow_heif  # native libheif: loaded only for HEIC photos
        pillow_heif.register_heif_opener()
    try:
        with blobs.open(exhibit.evidence.blob_id) as reader:
            image = PILImage.open(reader)
            width, height = image.size
            turned = image.getexif().get(0x0112) in (5, 6, 7, 8)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return (height, width) if turned else (width, height)


# ----------------------------------------------------------------------------- writing

def _target(target: Path | BinaryIO) -> str | BinaryIO:
    """A path as reportlab takes it, or a file object (such as io.BytesIO: the bundle never puts
    a PDF on disk) emptied first, since every layout pass writes the whole document again."""
    if hasattr(target, "write"):
        target.seek(0)
        target.truncate()
        return target
    return str(target)


def write_list_pdf(path: Path | BinaryIO, exhibits: Sequence[Exhibit], info: ListInfo) -> None:
    """The evidence list alone (landscape), numbered 'page n of N'."""
    language = info.language
    total = [0]

    def footer(page: int) -> str:
        return translate(language, "Page %(page)s of %(pages)s", page=page, pages=total[0])

    for _ in range(2):  # the first pass counts the pages
        doc = _Doc(_target(path), stamp=info.title, footer=footer)
        doc.build(list_flowables(exhibits, info, landscape(A4)[0] - 2 * MARGIN))
        total[0] = doc.page


def write_print_pdf(path: Path | BinaryIO, exhibits: Sequence[Exhibit], info: ListInfo,
                    texts: dict[str, list[TextFile]], blobs: BlobStore) -> None:
    """The court print version; sets each exhibit's `pages` to its real page range."""
    language = info.language
    sizes = {e.number: image_size(blobs, e) for e in exhibits}
    total = [0]

    def footer(page: int) -> str:
        return translate(language, "— Page %(page)s of %(pages)s —", page=page,
                         pages=total[0])

    previous: dict[str, tuple[int, int]] | None = None
    for _ in range(MAX_LAYOUT_PASSES):
        doc = _Doc(_target(path), stamp=info.title, footer=footer)
        story = list_flowables(exhibits, info, landscape(A4)[0] - 2 * MARGIN)
        story += [NextPageTemplate("exhibit")]
        for exhibit in exhibits:
            story += [PageBreak(), *exhibit_flowables(exhibit, texts.get(exhibit.number, []),
                                                      sizes[exhibit.number], blobs, language)]
        doc.build(story)
        total[0] = doc.page
        pages = _page_ranges(exhibits, doc.starts, doc.page)
        for exhibit in exhibits:
            exhibit.pages = pages[exhibit.number]
        if pages == previous:
            return
        previous = pages
    raise BundleError("the print version's page numbers did not settle; export again without "
                      "--purpose court, or report this as a bug")


def _page_ranges(exhibits: Sequence[Exhibit], starts: dict[str, int], last_page: int
                 ) -> dict[str, tuple[int, int]]:
    ordered = [starts[e.number] for e in exhibits]
    ends = [s - 1 for s in ordered[1:]] + [last_page]
    return {e.number: (start, end) for e, start, end in zip(exhibits, ordered, ends)}


def exhibit_flowables(exhibit: Exhibit, texts: list[TextFile], size: tuple[int, int] | None,
                      blobs: BlobStore, language: str) -> list:
    st = styles(language)
    label = translate(language, "Exhibit %(number)s", number=exhibit.number)
    story: list = [ExhibitStart(exhibit.number, label),
                   para(f"{label}　{exhibit.name}", st["heading"]),
                   para(translate(language, "What it proves: %(purpose)s",
                                  purpose=exhibit.purpose), st["base"]),
                   para(translate(language, "Original: %(path)s (%(kind)s)",
                                  path=exhibit.original_path, kind=exhibit.original_or_copy),
                        st["small"]),
                   para(f"SHA-256: {exhibit.evidence.sha256}", st["small"]),
                   Spacer(1, 8)]
    frame_width = A4[0] - 2 * MARGIN
    if size is not None:
        story.append(BlobImage(blobs, exhibit.evidence.blob_id, size, frame_width,
                               A4[1] - 2 * MARGIN - 5 * cm))
    printable = [t for t in texts if t.printable]
    for text in printable:
        story.append(para(text.title, st["subheading"]))
        story += [para(note, st["small"]) for note in text.notes]
        story += [para(line, st["base"]) if line.strip() else Spacer(1, 6) for line in text.body]
    if size is None and not printable:
        story.append(para(translate(
            language, "This item is a %(type)s file with nothing to print; see the original, "
                      "%(path)s.", type=exhibit.evidence.media_type, path=exhibit.original_path),
            st["base"]))
    return story


def write_letter_pdf(path: Path | BinaryIO, title: str, letter: str, language: str) -> None:
    st = styles(language)

    def footer(page: int) -> str:
        return translate(language, "Page %(page)s", page=page)

    doc = _Doc(_target(path), stamp=title, footer=footer, portrait_first=True)
    doc.build([para(title, st["title"]),
               *[para(line, st["base"]) if line.strip() else Spacer(1, 8)
                 for line in letter.splitlines()]])
