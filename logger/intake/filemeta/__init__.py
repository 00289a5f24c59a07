"""What a file says about itself: when, who, how long, what subject.

`extract_metadata` reads what the file itself carries (email headers, EXIF, audio stream
info, PDF info, a phone recorder's file name) and never raises on hostile or malformed
input: what it cannot read becomes a sentence in `FileMetadata.problems`. It reads only
bounded parts of the file, never the whole of a large one, and never decodes pixels.
"""

from typing import BinaryIO
from zoneinfo import ZoneInfo

from logger.intake.filemeta import audio as filemeta_audio
from logger.intake.filemeta import email as filemeta_email
from logger.intake.filemeta import image as filemeta_image
from logger.intake.filemeta import pdf as filemeta_pdf
from logger.intake.filemeta.common import FileMetadata, describe_error
from logger.intake.filemeta.recorder_names import parse_recorder_filename
from logger.intake.sniff import FileType

__all__ = ["extract_metadata", "parse_recorder_filename"]


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

