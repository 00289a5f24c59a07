"""The text of a Word (.docx) or Excel (.xlsx) file, read from its XML parts with the standard
library: paragraphs of a document, the strings of a workbook's cells. Formatting, images and
formulas are left in the original. Each part is read up to `MAX_PART_BYTES`, so a ZIP bomb
cannot exhaust memory.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
import zlib

from logger.errors import PermanentJobError
from logger.i18n import Text
from logger.intake.sniff.types import DOCX, XLSX

MAX_PART_BYTES = 64 * 1024 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def handles(media_type: str) -> bool:
    return media_type in (DOCX.media_type, XLSX.media_type)


def extract(data: bytes, media_type: str) -> tuple[str, list[str]]:
    """(text, warnings). Raises PermanentJobError for a file that is not a readable ZIP."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise PermanentJobError(Text("the file is damaged (%(detail)s); its text cannot be read",
                                     detail=str(e))) from None
    with archive:
        if media_type == DOCX.media_type:
            return _docx(archive)
        return _xlsx(archive)


def _docx(archive: zipfile.ZipFile) -> tuple[str, list[str]]:
    root, warnings = _part(archive, "word/document.xml")
    if root is None:
        return "", warnings
    paragraphs = ("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p"))
    return "\n".join(p for p in paragraphs if p.strip()), warnings


def _xlsx(archive: zipfile.ZipFile) -> tuple[str, list[str]]:
    strings, warnings = _part(archive, "xl/sharedStrings.xml")
    texts = [] if strings is None else [
        "".join(t.text or "" for t in item.iter(f"{_S}t")) for item in strings.iter(f"{_S}si")]
    for name in sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/")):
        sheet, problems = _part(archive, name)
        warnings += problems
        if sheet is not None:  # strings typed into a cell are kept in the sheet itself
            texts += ["".join(t.text or "" for t in cell.iter(f"{_S}t"))
                      for cell in sheet.iter(f"{_S}is")]
    return "\n".join(t for t in texts if t.strip()), warnings


def _part(archive: zipfile.ZipFile, name: str) -> tuple[ET.Element | None, list[str]]:
    try:
        with archive.open(name) as member:
            data = member.read(MAX_PART_BYTES + 1)
    except KeyError:
        return None, []
    except (zipfile.BadZipFile, OSError, RuntimeError, zlib.error) as e:  # Runtime: encrypted
        return None, [f"the part {name} could not be read ({e})"]
    if len(data) > MAX_PART_BYTES:
        return None, [f"the part {name} is larger than {MAX_PART_BYTES // 2**20} MB unpacked; "
                      "its text was not read"]
    try:
        return ET.fromstring(data), []
    except ET.ParseError as e:
        return None, [f"the part {name} is not well-formed XML ({e})"]
