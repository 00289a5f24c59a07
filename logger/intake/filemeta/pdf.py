"""Page count and creation date of a PDF (pypdf; no page content is parsed).

pypdf reads the cross-reference table and the few objects asked for, but rebuilds a damaged
table by reading the whole file into memory, so PDFs over `MAX_PDF_BYTES` are not opened.
"""

import re
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import BinaryIO
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from logger.intake.filemeta.common import FileMetadata, clean_text, describe_error, is_plausible
from logger.intake.sniff.types import FileType
from logger.record.when import on_day
from storage.models import TimeSource
from storage.models.types import TimePrecision

MAX_PDF_BYTES = 128 * 1024 * 1024
_PDF_DATE = re.compile(
    r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*(?:(Z)|([+-])(\d\d)'?(\d\d)?'?)?")


def read_pdf(meta: "FileMetadata", file_type: FileType, fileobj: BinaryIO,
             filename: str, tz: ZoneInfo) -> None:
    """Fill `meta` with extra["pages"] and the /CreationDate (also as occurred_at)."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    if size > MAX_PDF_BYTES:
        meta.problems.append(f"the PDF is larger than {MAX_PDF_BYTES // 2**20} MB, so its page "
                             "count and date were not read")
        return
    fileobj.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # damage shows as an exception or a missing value
        try:
            reader = PdfReader(fileobj, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                meta.problems.append("the PDF is password-protected, so its page count and "
                                     "date could not be read")
                return
            _read_pages(meta, reader)
            _read_creation_date(meta, reader, tz)
        except Exception as exc:
            meta.problems.append(f"the PDF's page count and date could not be read: "
                                 f"{describe_error(exc)}")


def _read_pages(meta: "FileMetadata", reader: PdfReader) -> None:
    # /Count of the page tree root: cheap, where len(reader.pages) walks every page node.
    count = reader.trailer["/Root"].get_object()["/Pages"].get_object().get("/Count")
    count = count.get_object() if count is not None else None
    if isinstance(count, int) and 0 <= count < 1_000_000:
        meta.extra["pages"] = int(count)
    else:
        meta.problems.append("the PDF's page count could not be read")


def _read_creation_date(meta: "FileMetadata", reader: PdfReader, tz: ZoneInfo) -> None:
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else None
    if not hasattr(info, "get"):
        return
    raw = info.get("/CreationDate")
    raw = clean_text(raw.get_object(), 60) if raw is not None else None
    if not raw:
        return
    meta.extra["pdf_creation_date"] = raw
    created = pdf_date(raw, tz)
    written = _PDF_DATE.fullmatch(raw.strip())
    if created is None:
        meta.problems.append(f"the PDF's creation date “{raw}” is not a valid date")
    elif not written or not written[3]:
        # "D:2024" names a year, not a day: January 1st would be a guess.
        meta.problems.append(f"the PDF's creation date “{raw}” has no day; it was ignored")
    elif not is_plausible(created):
        meta.problems.append(f"the PDF's creation date “{raw}” is implausible; it was ignored")
    elif not written[4]:  # a day without a clock time
        meta.add_time(on_day(created.astimezone(tz).date(), tz, TimeSource.metadata).at,
                      precision=TimePrecision.day)
    else:
        meta.add_time(created)


def pdf_date(text: str, tz: ZoneInfo) -> datetime | None:
    """A PDF date string ("D:20241203153012+08'00'") in UTC; no offset means `tz`."""
    match = _PDF_DATE.fullmatch(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, zulu, sign, off_h, off_m = match.groups()
    zone = tz
    if zulu:
        zone = UTC
    elif sign:
        delta = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        if delta >= timedelta(hours=15):
            return None
        zone = timezone(delta if sign == "+" else -delta)
    try:
        return datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                        int(minute or 0), int(second or 0), tzinfo=zone).astimezone(UTC)
    except ValueError:
        return None
