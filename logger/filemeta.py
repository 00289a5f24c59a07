"""What a file says about itself: when, who, how long, what subject.

`extract_metadata` reads what the file itself carries (email headers, EXIF, audio stream
info, PDF info, a phone recorder's file name) and never raises on hostile or malformed
input: what it cannot read becomes a sentence in `FileMetadata.problems`. It reads only
bounded parts of the file, never the whole of a large one, and never decodes pixels.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from logger import filemeta_audio, filemeta_email, filemeta_image, filemeta_pdf
from logger.filemeta_common import describe_error
from logger.recorder_names import parse_recorder_filename
from logger.sniff import FileType

__all__ = ["FileMetadata", "extract_metadata", "parse_recorder_filename"]


@dataclass
class FileMetadata:
    """Facts read from one file. Every field may be missing.

    `occurred_at` is timezone-aware UTC; `counterpart_number` is digits (a leading "+" only
    for a non-Chinese international number); `extra` holds JSON-serialisable facts worth
    keeping (email addresses and raw headers, image size and EXIF, audio codec...);
    `problems` says, in words a person understands, what could not be read.
    """

    occurred_at: datetime | None = None
    counterpart_number: str | None = None
    counterpart_name: str | None = None
    subject: str | None = None
    duration_s: float | None = None
    extra: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def extract_metadata(
    file_type: FileType, fileobj: BinaryIO, filename: str, *, tz: ZoneInfo
) -> FileMetadata:
    """Read the metadata of a file already sniffed as `file_type`.

    `fileobj` must be seekable and is only read from; `filename` is the name the file was
    uploaded with (phone recorders put the number and time in it); `tz` is the zone local
    times without an offset are taken to be in. Never raises for anything in the file.
    """
    meta = FileMetadata()
    readers = {
        "audio": filemeta_audio.read_recording,
        "video": filemeta_audio.read_recording,
        "image": filemeta_image.read_image,
        "email": filemeta_email.read_email,
        "pdf": filemeta_pdf.read_pdf,
    }
    reader = readers.get(file_type.family)
    if reader is None:
        return meta
    try:
        reader(meta, file_type, fileobj, filename, tz)
    except Exception as exc:  # the promise: hostile input never makes intake fail
        meta.problems.append(f"the file's details could not be read: {describe_error(exc)}")
    return meta

