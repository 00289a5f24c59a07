"""What a file says about itself: when, who, how long, what subject.

`extract_metadata` reads what the file itself carries (email headers, EXIF, audio stream
info, PDF info, a phone recorder's file name, the time in a screenshot's or an export's name)
and never raises on hostile or malformed input: what it cannot read becomes a sentence in
`FileMetadata.problems`. It reads only bounded parts of the file, never the whole of a large
one, and never decodes pixels. Every time it finds is kept with its source (`times`).
"""

import importlib
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from logger.intake.filemeta.common import FileMetadata, describe_error
from logger.intake.filemeta.file_names import read_name_time
from logger.intake.filemeta.recorder_names import parse_recorder_filename
from logger.intake.sniff import FileType
from storage.models import TimeSource

__all__ = ["extract_metadata", "parse_recorder_filename"]

# The kinds of file whose names carry the time a phone or app made them (screenshots, photos,
# screen and call recordings, exports). A date in the name of a PDF, an email or an office
# file is as often a reference or a due date as the day it was made, so it is not read.
NAMED_BY_TIME = frozenset({"image", "audio", "video", "text", "xml"})

# family -> (module of logger.intake.filemeta, its reader). A module is imported for the first
# file of its family: pypdf, mutagen and Pillow are a third of `liuhen import`'s start-up, and
# an import of notes or screenshots needs one of them or none.
READERS = {
    "audio": ("audio", "read_recording"),
    "video": ("audio", "read_recording"),
    "image": ("image", "read_image"),
    "email": ("email", "read_email"),
    "pdf": ("pdf", "read_pdf"),
}


def extract_metadata(
    file_type: FileType, fileobj: BinaryIO, filename: str, *, tz: ZoneInfo,
    now: datetime | None = None
) -> FileMetadata:
    """Read the metadata of a file already sniffed as `file_type`.

    `fileobj` must be seekable and is only read from; `filename` is the name the file was
    uploaded with (phone recorders and screenshots put the time in it); `tz` is the zone local
    times without an offset are taken to be in; `now` (default: the present) bounds the
    plausible times of a name. Never raises for anything in the file.
    """
    meta = FileMetadata()
    _read(meta, file_type, fileobj, filename, tz)
    # A recording's name was read with its number by `recorder_names`.
    if file_type.family in NAMED_BY_TIME and \
            not any(t.source == TimeSource.file_name for t in meta.times):
        _read_name(meta, filename, tz, now)
    return meta


def _read_name(meta: FileMetadata, filename: str, tz: ZoneInfo, now: datetime | None) -> None:
    named = read_name_time(filename, tz, now=now)
    if named.reading is not None:
        meta.times.append(named.reading)
    elif named.problem:
        meta.problems.append(named.problem)


def _read(meta: FileMetadata, file_type: FileType, fileobj: BinaryIO, filename: str,
          tz: ZoneInfo) -> None:
    if file_type.family not in READERS:
        return
    module, name = READERS[file_type.family]
    reader = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    try:
        reader(meta, file_type, fileobj, filename, tz)
    except Exception as exc:  # the promise: hostile input never makes intake fail
        meta.problems.append(f"the file's details could not be read: {describe_error(exc)}")

