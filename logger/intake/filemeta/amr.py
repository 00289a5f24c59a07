"""Duration of an AMR recording (RFC 4867 storage format), which mutagen cannot read.

After the "#!AMR\\n" (narrowband) or "#!AMR-WB\\n" (wideband) magic, the file is a run of
frames, each 20 ms of speech: one header byte whose frame-type field (bits 6..3) fixes
the frame's size, then the payload. Counting frames gives the duration; SID (comfort noise)
and NO_DATA frames count too, because they also stand for 20 ms.
"""

from typing import BinaryIO, NamedTuple

FRAME_SECONDS = 0.02
# Bytes per frame, header included, by frame type (RFC 4867 section 5.3; ffmpeg uses the
# same tables). Unused frame types carry no payload.
_NB_FRAME_BYTES = (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1)
_WB_FRAME_BYTES = (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1)
_MAGIC = {False: b"#!AMR\n", True: b"#!AMR-WB\n"}
_CHUNK = 256 * 1024
# Past 6 hours of frames (well over any call) the rest is estimated from the average frame
# size so far, so a multi-GB file of one-byte frames costs under a second, not minutes.
_MAX_FRAMES = int(6 * 3600 / FRAME_SECONDS)


class AmrDuration(NamedTuple):
    seconds: float
    estimated: bool  # the tail past _MAX_FRAMES was estimated, not counted
    damaged_at: float | None  # where frames stopped making sense, if before the end


def read_amr_duration(fileobj: BinaryIO, *, wideband: bool) -> AmrDuration:
    """The duration of the AMR file; a truncated last frame is ignored.

    Raises ValueError if the magic is missing or the first frame header is malformed.
    """
    sizes = _WB_FRAME_BYTES if wideband else _NB_FRAME_BYTES
    magic = _MAGIC[wideband]
    fileobj.seek(0)
    if fileobj.read(len(magic)) != magic:
        raise ValueError("the AMR header is missing")
    frames, consumed = 0, 0
    buffer, position = b"", 0
    while frames < _MAX_FRAMES:
        if len(buffer) - position < 64:
            more = fileobj.read(_CHUNK)
            buffer = buffer[position:] + more
            consumed += position
            position = 0
            if not more and not buffer:
                break
        header = buffer[position]
        if header & 0x83:  # the padding bits must be zero: this is not a frame header
            if frames == 0:
                raise ValueError("the first AMR frame header is malformed")
            return AmrDuration(frames * FRAME_SECONDS, False, frames * FRAME_SECONDS)
        size = sizes[(header >> 3) & 0x0F]
        if position + size > len(buffer):
            break  # the file ends inside this frame
        position += size
        frames += 1
    else:
        counted_bytes = consumed + position
        fileobj.seek(0, 2)
        remaining = fileobj.tell() - len(magic) - counted_bytes
        estimated_frames = frames + remaining * frames / max(counted_bytes, 1)
        return AmrDuration(estimated_frames * FRAME_SECONDS, True, None)
    return AmrDuration(frames * FRAME_SECONDS, False, None)
