"""The hardship application as a PDF (reportlab, A4 portrait), made in memory.

Chinese needs an installed font with its glyphs: the bundles' `cjk_font()` finds and embeds it
(a missing font is a BundleError that says what to install)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer,
                                Table, TableStyle)

from logger.bundles.pdf import cjk_font
from logger.hardship.letter import Letter, Section
from logger.i18n import translate

MARGIN = 2.2 * cm


def letter_pdf(letter: Letter) -> bytes:
    """The PDF's bytes."""
    font = cjk_font()
    st = _styles(font, letter.language)
    out = io.BytesIO()

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, 8.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawCentredString(A4[0] / 2, 1.2 * cm,
                                 translate(letter.language, "Page %(page)s", page=doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title=letter.title,
                            author="", creator="Liuhen", invariant=1)
    story = [_para(letter.title, st["title"]), _header(letter, st), Spacer(1, 10),
             _para(letter.salutation, st["base"])]
    for section in letter.sections:
        story += _section(section, st, font)
    story.append(Spacer(1, 14))
    story += [_para(line, st["closing"]) for line in letter.closing]
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _styles(font: str, language: str) -> dict[str, ParagraphStyle]:
    wrap = "CJK" if language == "zh" else None
    base = ParagraphStyle("base", fontName=font, fontSize=10.5, leading=16, wordWrap=wrap,
                          spaceAfter=4)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=1,
                                spaceAfter=12),
        "heading": ParagraphStyle("heading", parent=base, fontSize=12, leading=18,
                                  spaceBefore=10, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13, spaceAfter=0),
        "closing": ParagraphStyle("closing", parent=base, spaceAfter=2),
    }


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _header(letter: Letter, st: dict[str, ParagraphStyle]) -> Table:
    rows = [[_para(label, st["cell"]), _para(value, st["cell"])] for label, value in letter.header]
    table = Table(rows, colWidths=[4.2 * cm, A4[0] - 2 * MARGIN - 4.2 * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#444444"))]))
    return table


def _section(section: Section, st: dict[str, ParagraphStyle], font: str) -> list:
    flowables = [_para(section.heading, st["heading"])]
    flowables += [_para(text, st["base"]) for text in section.paragraphs]
    if section.numbered:
        flowables.append(ListFlowable(
            [ListItem(_para(text, st["base"]), leftIndent=18) for text in section.numbered],
            bulletType="1", bulletFontName=font, bulletFontSize=10.5, leftIndent=18))
    if section.table:
        flowables += [_table(section.table, st), Spacer(1, 6)]
    flowables += [_para(text, st["base"]) for text in section.after]
    return flowables


def _table(rows: list[tuple[str, ...]], st: dict[str, ParagraphStyle]) -> Table:
    cells = [[_para(text, st["cell"]) for text in row] for row in rows]
    table = Table(cells, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table
