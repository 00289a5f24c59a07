"""Size and EXIF of a photo or screenshot, read from the header without decoding pixels.

A photo of a letter carries the camera's Make/Model and the time it was taken
(DateTimeOriginal, with OffsetTimeOriginal on newer phones); a screenshot usually carries
neither. `extra["camera"]` is True when Make or Model is present.
"""

import re
import warnings
from datetime import UTC, datetime, timedelta, timezone
from typing import BinaryIO
from zoneinfo import ZoneInfo

from PIL import ExifTags, Image

from logger.intake.filemeta.common import FileMetadata, clean_text, describe_error, is_plausible
from logger.intake.sniff.types import FileType

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP",
                "image/gif": "GIF"}
# libheif reads the whole file into memory; a real HEIC photo is a few MB.
_MAX_HEIC_BYTES = 64 * 1024 * 1024
_EXIF_TIME = re.compile(r"(\d{4}):(\d\d):(\d\d)[ T](\d\d):(\d\d):(\d\d)")
_EXIF_OFFSET = re.compile(r"([+-])(\d\d):(\d\d)")


def read_image(meta: "FileMetadata", file_type: FileType, fileobj: BinaryIO,
               filename: str, tz: ZoneInfo) -> None:
    """Fill `meta` with width/height, EXIF facts and the time the photo was taken."""
    with warnings.catch_warnings(record=True) as caught:
        # Pillow warns about corrupt EXIF and large images; we report the former ourselves
        # and never decode pixels, so the latter does not apply here.
        warnings.simplefilter("always")
        try:
            if file_type.media_type == "image/heic":
                size, exif_bytes = _open_heic(fileobj)
            else:
                size, exif_bytes = _open_with_pillow(fileobj, _PIL_FORMATS[file_type.media_type])
        except Image.DecompressionBombError as exc:
            meta.problems.append(f"the image is too large to read safely: {describe_error(exc)}")
            return
        except Exception as exc:
            meta.problems.append(f"the image size and EXIF could not be read: "
                                 f"{describe_error(exc)}")
            return
        meta.extra["width"], meta.extra["height"] = size
        meta.extra["camera"] = False
        if exif_bytes:
            _read_exif(meta, exif_bytes, tz)
    for warning in caught:
        if not issubclass(warning.category, Image.DecompressionBombWarning):
            meta.problems.append(f"the image's EXIF is damaged: {describe_error(warning.message)}")


def _open_with_pillow(fileobj: BinaryIO, pil_format: str) -> tuple[tuple[int, int], bytes | None]:
    fileobj.seek(0)
    # `formats` keeps Pillow from trying other decoders on content we sniffed as this one.
    with Image.open(fileobj, formats=[pil_format]) as image:
        # info["exif"], not getexif(): for PNG getexif() may decode the whole image.
        return image.size, image.info.get("exif")


def _open_heic(fileobj: BinaryIO) -> tuple[tuple[int, int], bytes | None]:
    import pillow_heif  # native libheif: loaded only when a HEIC photo arrives

    fileobj.seek(0, 2)
    if fileobj.tell() > _MAX_HEIC_BYTES:
        raise ValueError(f"the HEIC file is larger than {_MAX_HEIC_BYTES // 2**20} MB")
    fileobj.seek(0)
    heif = pillow_heif.open_heif(fileobj)
    return heif.size, heif.info.get("exif")


def _read_exif(meta: "FileMetadata", exif_bytes: bytes, tz: ZoneInfo) -> None:
    exif = Image.Exif()
    try:
        exif.load(exif_bytes)
        details = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception as exc:
        meta.problems.append(f"the image's EXIF could not be read: {describe_error(exc)}")
        return
    make = clean_text(exif.get(ExifTags.Base.Make) or "", 100)
    model = clean_text(exif.get(ExifTags.Base.Model) or "", 100)
    if make:
        meta.extra["make"] = make
    if model:
        meta.extra["model"] = model
    meta.extra["camera"] = bool(make or model)
    orientation = exif.get(ExifTags.Base.Orientation)
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        meta.extra["orientation"] = orientation
    software = clean_text(exif.get(ExifTags.Base.Software) or "", 100)
    if software:
        meta.extra["software"] = software
    original = clean_text(details.get(ExifTags.Base.DateTimeOriginal) or "", 40)
    offset = clean_text(details.get(ExifTags.Base.OffsetTimeOriginal) or "", 10)
    if original:
        meta.extra["exif_datetime_original"] = original
        if offset:
            meta.extra["exif_offset_time_original"] = offset
        taken = _exif_time(original, offset, tz)
        if taken is None:
            meta.problems.append(f"the photo's EXIF time “{original}” is not a valid time")
        elif not is_plausible(taken):
            meta.problems.append(f"the photo's EXIF time “{original}” is implausible "
                                 "(the camera clock was probably wrong); it was ignored")
        else:
            meta.add_time(taken)


def _exif_time(text: str, offset: str | None, tz: ZoneInfo) -> datetime | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" in UTC, using the offset tag when present, else `tz`."""
    match = _EXIF_TIME.match(text)
    if not match:
        return None
    zone = tz
    offset_match = _EXIF_OFFSET.fullmatch(offset or "")
    if offset_match:
        sign = -1 if offset_match[1] == "-" else 1
        delta = timedelta(hours=int(offset_match[2]), minutes=int(offset_match[3]))
        if delta < timedelta(hours=15):
            zone = timezone(sign * delta)
    try:
        return datetime(*(int(part) for part in match.groups()), tzinfo=zone).astimezone(UTC)
    except ValueError:
        return None
