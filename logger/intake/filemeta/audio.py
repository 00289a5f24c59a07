"""Duration, codec and start time of a recording (or a phone's screen recording).

Stream facts come from mutagen's stream-info readers, which read headers and seek; tags
(cover art and the like) are not loaded. For MP4/M4A/3GP only the `moov` box is read, at
most `_MAX_MOOV` bytes, so a hostile box tree cannot make the work unbounded. AMR has no
mutagen reader: its duration is counted from the frame headers (`logger.intake.filemeta.amr`).
"""

import io
import math
import struct
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, NamedTuple
from zoneinfo import ZoneInfo

from mutagen.aac import AACInfo
from mutagen.flac import FLAC
from mutagen.mp3 import MPEGInfo
from mutagen.mp4 import Atoms, MP4Info
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WaveStreamInfo

from logger.intake.filemeta.amr import read_amr_duration
from logger.intake.filemeta.common import FileMetadata, clean_text, describe_error, is_plausible
from logger.intake.filemeta.recorder_names import parse_recorder_filename
from logger.intake.sniff.types import FileType
from storage.models import TimeSource

_MAX_MOOV = 32 * 1024 * 1024
_MAX_TOP_LEVEL_BOXES = 10_000
_MAX_DURATION_S = 7 * 24 * 3600.0
_MP4_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)
_WAVE_FORMATS = {1: "pcm", 2: "adpcm", 3: "pcm-float", 6: "alaw", 7: "mulaw", 0x11: "ima-adpcm",
                 0x31: "gsm", 0x55: "mp3", 0xFFFE: "pcm-extensible"}
_MP4_FAMILY = {"audio/mp4", "audio/3gpp", "audio/3gpp2", "video/mp4", "video/3gpp",
               "video/3gpp2"}


def read_recording(meta: "FileMetadata", file_type: FileType, fileobj: BinaryIO,
                   filename: str, tz: ZoneInfo) -> None:
    """Fill `meta` from the recorder's file name and the audio stream."""
    number, name, started = parse_recorder_filename(filename, tz=tz)
    if number or name or started:
        meta.counterpart_number, meta.counterpart_name = number, name
        if started is not None and is_plausible(started):
            meta.add_time(started, TimeSource.file_name)
        elif started is not None:
            meta.problems.append("the call time in the file name is implausible; it was ignored")
        meta.extra["recorder_filename"] = {
            "number": number, "name": name,
            "started_at": started.isoformat() if started else None,
        }
    try:
        if file_type.media_type in _MP4_FAMILY:
            _read_mp4(meta, fileobj)
        elif file_type.media_type in ("audio/amr", "audio/amr-wb"):
            _read_amr(meta, fileobj, wideband=file_type.media_type == "audio/amr-wb")
        else:
            _read_stream_info(meta, file_type, fileobj)
    except Exception as exc:  # mutagen raises many kinds on damaged files
        meta.problems.append(f"the audio duration could not be read: {describe_error(exc)}")


def _set_duration(meta: "FileMetadata", seconds: float) -> None:
    if not math.isfinite(seconds) or not 0 <= seconds <= _MAX_DURATION_S:
        meta.problems.append(
            f"the audio duration in the file ({seconds:.0f} s) is impossible; it was ignored")
        return
    meta.duration_s = round(seconds, 3)


def _set_stream(meta: "FileMetadata", codec: str | None, sample_rate: int | None,
                channels: int | None) -> None:
    if codec:
        meta.extra["codec"] = clean_text(codec, 40)
    if sample_rate:
        meta.extra["sample_rate"] = int(sample_rate)
    if channels:
        meta.extra["channels"] = int(channels)


def _read_stream_info(meta: "FileMetadata", file_type: FileType, fileobj: BinaryIO) -> None:
    fileobj.seek(0)
    if file_type.media_type == "audio/mpeg":
        info = MPEGInfo(fileobj)
        codec = f"mp{info.layer}"
    elif file_type.media_type == "audio/aac":
        info, codec = AACInfo(fileobj), "aac"
    elif file_type.media_type == "audio/wav":
        info = WaveStreamInfo(fileobj)
        codec = _WAVE_FORMATS.get(info.audio_format, f"wave format {info.audio_format:#x}")
    elif file_type.media_type == "audio/flac":
        info, codec = FLAC(fileobj).info, "flac"
    elif file_type.media_type == "audio/ogg":
        info, codec = _read_ogg(fileobj)
    else:
        return
    _set_duration(meta, float(info.length))
    # Opus has no sample rate of its own: it always decodes at 48 kHz.
    sample_rate = 48000 if codec == "opus" else getattr(info, "sample_rate", None)
    _set_stream(meta, codec, sample_rate, info.channels)


_OGG_CODECS = ((b"OpusHead", OggOpus, "opus"), (b"\x01vorbis", OggVorbis, "vorbis"),
               (b"Speex", OggSpeex, "speex"), (b"\x7fFLAC", OggFLAC, "flac"))


def _read_ogg(fileobj: BinaryIO):
    head = fileobj.read(64)
    fileobj.seek(0)
    packet = head[27 + head[26]:] if len(head) > 27 else b""
    for marker, reader, codec in _OGG_CODECS:
        if packet.startswith(marker):
            return reader(fileobj).info, codec
    raise ValueError("no Opus, Vorbis, Speex or FLAC stream at the start of the Ogg file")


def _read_amr(meta: "FileMetadata", fileobj: BinaryIO, *, wideband: bool) -> None:
    duration = read_amr_duration(fileobj, wideband=wideband)
    _set_duration(meta, duration.seconds)
    _set_stream(meta, "amr-wb" if wideband else "amr-nb", 16000 if wideband else 8000, 1)
    if duration.estimated:
        meta.extra["duration_estimated"] = True
    if duration.damaged_at is not None:
        meta.problems.append(f"the recording is damaged after {duration.damaged_at:.1f} s; "
                             "the duration counts only the part before that")


def _read_mp4(meta: "FileMetadata", fileobj: BinaryIO) -> None:
    moov = _moov_bytes(fileobj)
    if moov is None:
        meta.problems.append("the audio duration could not be read: the file has no index "
                             "(moov box); the recording may be incomplete")
        return
    header = _movie_header(moov)
    view = io.BytesIO(moov)
    try:
        info = MP4Info(Atoms(view), view)
    except Exception as exc:
        if header is None or header.seconds is None:
            raise
        # The movie header alone still gives the duration.
        _set_duration(meta, header.seconds)
        meta.problems.append(f"the audio codec could not be read: {describe_error(exc)}")
    else:
        _set_duration(meta, float(info.length))
        _set_stream(meta, info.codec, info.sample_rate, info.channels)
    if header is not None and header.created is not None:
        meta.extra["mp4_creation_time"] = header.created.isoformat()
        meta.add_time(header.created)  # below the recorder's name (logger.record.when)


def _moov_bytes(fileobj: BinaryIO) -> bytes | None:
    """The `moov` box, found by walking the top-level boxes with seeks (not reads)."""
    fileobj.seek(0, io.SEEK_END)
    end = fileobj.tell()
    offset = 0
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        if offset + 8 > end:
            return None
        fileobj.seek(offset)
        header = fileobj.read(16)
        size, kind = struct.unpack(">I4s", header[:8])
        if size == 1 and len(header) == 16:
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:
            size = end - offset  # the box runs to the end of the file
        if size < 8:
            raise ValueError(f"a box at byte {offset} has an impossible size ({size})")
        if kind == b"moov":
            if size > _MAX_MOOV:
                raise ValueError(f"its index (moov box) is {size} bytes, larger than the "
                                 f"{_MAX_MOOV} bytes Liuhen reads")
            fileobj.seek(offset)
            return fileobj.read(size)
        offset += size
    raise ValueError(f"it has more than {_MAX_TOP_LEVEL_BOXES} top-level boxes")


class _MovieHeader(NamedTuple):
    seconds: float | None
    created: datetime | None  # only when plausible: phones often write 0, i.e. 1904


def _movie_header(moov: bytes) -> _MovieHeader | None:
    """Duration and creation time from `mvhd`, the first thing a player reads."""
    offset = 8
    while offset + 8 <= len(moov):
        size, kind = struct.unpack(">I4s", moov[offset:offset + 8])
        if kind == b"mvhd":
            body = moov[offset + 12:offset + size]
            layout = ">QQIQ" if moov[offset + 8] == 1 else ">IIII"
            if len(body) < struct.calcsize(layout):
                return None
            created_s, _, timescale, duration = struct.unpack_from(layout, body)
            seconds = duration / timescale if timescale else None
            try:
                created = _MP4_EPOCH + timedelta(seconds=created_s)
            except OverflowError:
                created = None
            return _MovieHeader(seconds, created if created and is_plausible(created) else None)
        if size < 8:
            return None
        offset += size
    return None
