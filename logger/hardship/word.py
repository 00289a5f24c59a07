"""The hardship application as a Word document (.docx, python-docx): lenders send their own
templates as Word files, so the borrower can open this one, adjust it and send it.

The same `Letter` the PDF lays out; Chinese text is set in a Chinese font (the East Asian font
of each run), so Word shows it the same on any computer that has the font."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from logger.hardship.letter import Letter, Section

CHINESE_FONT = "SimSun"  # 宋体: on every Chinese Windows and Office; WPS maps it too


def letter_docx(letter: Letter) -> bytes:
    """The .docx file's bytes."""
    document = Document()
    style = document.styles["Normal"]
    style.font.size = Pt(11)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CHINESE_FONT)
    document.core_properties.title = letter.title
    document.core_properties.author = ""
    title = document.add_heading(letter.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = document.add_table(rows=0, cols=2)
    for label, value in letter.header:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    document.add_paragraph()
    document.add_paragraph(letter.salutation)
    for section in letter.sections:
        _section(document, section)
    document.add_paragraph()
    for line in letter.closing:
        document.add_paragraph(line)
    for paragraph in _all_paragraphs(document):
        for run in paragraph.runs:
            run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"),
                                                                  CHINESE_FONT)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _section(document, section: Section) -> None:
    document.add_heading(section.heading, level=1)
    for text in section.paragraphs:
        document.add_paragraph(text)
    for number, text in enumerate(section.numbered, start=1):
        # Numbered by hand: Word's automatic numbering restarts badly across sections.
        document.add_paragraph(f"{number}. {text}")
    if section.table:
        table = document.add_table(rows=0, cols=len(section.table[0]))
        table.style = "Table Grid"
        for row in section.table:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = text
    for text in section.after:
        document.add_paragraph(text)


def _all_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs
