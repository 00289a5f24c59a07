"""Recognise recordings, videos, images and PDFs by their leading bytes.

`sniff_media(head, filename)` returns a `FileType`, a `Refusal` (a media file of a kind
Liuhen does not take, e.g. QuickTime or AVIF), or None when the bytes are not media at all.
The filename is consulted only where the content cannot choose between two allowed types:
an MP4/3GP whose track list (`moov`) lies past the head (audio vs video), and an ID3 tag too
large to see the audio after it (mp3 vs aac).
"""

import struct

from logger.i18n import N_, Text
from logger.intake.sniff.types import (
    AAC, AMR, AMR_WB, AUDIO_3G2, AUDIO_3GP, FLAC, GIF, HEIC, JPEG, M4A, MP3, MP4_VIDEO, OGG,
    OPUS, PDF, PNG, VIDEO_3G2, VIDEO_3GP, WAV, WEBP, FileType, Refusal,
)

_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}
_3GP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3gr6", b"3gs6", b"3ge6", b"3gg6"}
_3G2_BRANDS = {b"3g2a", b"3g2b", b"3g2c"}
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9", b"mp41", b"mp42",
    b"avc1", b"M4V ", b"M4VH", b"M4VP", b"mmp4", b"MSNV", b"dash", b"f4v ", b"XAVC", b"nvr1",
}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_AUDIO_NAMES = (".m4a", ".m4b", ".aac", ".3ga", ".amr", ".mp3", ".wav", ".opus", ".3gp", ".3g2")

# MPEG audio bitrates in kbit/s, by layer (1..3) and bitrate index; index 0 means "free
# format", which we do not accept (its frame length cannot be computed).
_MPEG1_KBPS = {
    1: (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    2: (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
}
_MPEG2_KBPS = {
    1: (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    3: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def sniff_media(head: bytes, filename: str) -> FileType | Refusal | None:
    """Classify `head` as audio, video, image or PDF; None if it is none of those."""
    if head.startswith(b"#!AMR\n"):
        return AMR
    if head.startswith(b"#!AMR-WB\n"):
        return AMR_WB
    if head.startswith(b"#!AMR_MC1.0\n") or head.startswith(b"#!AMR-WB_MC1.0\n"):
        return Refusal(N_("multi-channel AMR audio"), "audio/amr",
                       N_("Convert it to m4a or mp3."))
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"fLaC"):
        return FLAC
    if head[:4] in (b"RIFF", b"RF64") and len(head) >= 12:
        return _riff(head[8:12])
    if head.startswith(b"OggS"):
        return _ogg(head)
    if head[4:8] == b"ftyp":
        return _iso_media(head, filename)
    if head.startswith(b"ID3"):
        return _after_id3(head, filename)
    if _adts_frame_len(head) and _confirmed(head, 0, _adts_frame_len):
        return AAC
    if _mpeg_frame_len(head) and _confirmed(head, 0, _mpeg_frame_len):
        return MP3
    return None


def _riff(form: bytes) -> FileType | Refusal | None:
    if form == b"WAVE":
        return WAV
    if form == b"WEBP":
        return WEBP
    if form == b"AVI ":
        return Refusal(N_("an AVI video"), "video/x-msvideo", N_("Convert it to MP4."))
    return None


def _ogg(head: bytes) -> FileType | Refusal:
    """Tell the codec from the first packet of the first Ogg page."""
    packet = head[27 + head[26]:] if len(head) > 27 else b""
    if packet.startswith(b"OpusHead"):
        return OPUS
    if packet.startswith((b"\x01vorbis", b"Speex   ", b"\x7fFLAC")):
        return OGG
    if packet.startswith(b"\x80theora"):
        return Refusal(N_("an Ogg video"), "video/ogg", N_("Convert it to MP4."))
    return Refusal(N_("an Ogg file of an unknown kind"), "application/ogg")


def _iso_media(head: bytes, filename: str) -> FileType | Refusal:
    """MP4 family (`ftyp` box): M4A, MP4, 3GP/3G2, HEIC; refuse QuickTime, AVIF and others."""
    size = struct.unpack(">I", head[:4])[0]
    major = head[8:12]
    brands = {major} | {head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
    if major in _HEIC_BRANDS or (major in (b"mif1", b"msf1") and brands & _HEIC_BRANDS):
        return HEIC
    if brands & _AVIF_BRANDS:
        return Refusal(N_("an AVIF image"), "image/avif", N_("Save it as JPEG or PNG."))
    if major in (b"mif1", b"msf1"):
        return Refusal(N_("a HEIF image of an unusual kind"), "image/heif",
                       N_("Save it as JPEG."))
    if major == b"qt  ":
        return Refusal(N_("a QuickTime video"), "video/quicktime", N_("Export it as MP4."))
    if major in _M4A_BRANDS:
        return M4A
    if major in _3GP_BRANDS or major in _3G2_BRANDS:
        is_3g2 = major in _3G2_BRANDS
        audio, video = (AUDIO_3G2, VIDEO_3G2) if is_3g2 else (AUDIO_3GP, VIDEO_3GP)
        # Phone call recorders write audio-only 3GP; say audio unless the tracks say video.
        return video if _track_kind(head) == "video" else audio
    if major in _MP4_BRANDS or brands & (_MP4_BRANDS | _M4A_BRANDS):
        kind = _track_kind(head)
        if kind is None:  # moov lies past the head: only the name can tell
            kind = "audio" if filename.lower().endswith(_AUDIO_NAMES) else "video"
        return M4A if kind == "audio" else MP4_VIDEO
    name = major.decode("latin-1").strip()
    return Refusal(Text("an ISO media file of kind “%(kind)s”", kind=name),
                   "application/octet-stream")


def _track_kind(head: bytes) -> str | None:
    """"video" or "audio" from the handler boxes inside `moov`, None if moov is not in head.

    Only `moov` is searched: an `mdat` full of coded audio may contain the bytes "hdlr".
    """
    offset = 0
    while offset + 8 <= len(head):
        size, box = struct.unpack(">I4s", head[offset:offset + 8])
        if size == 1 and offset + 16 <= len(head):
            size = struct.unpack(">Q", head[offset + 8:offset + 16])[0]
        if box == b"moov":
            moov = head[offset:offset + size] if size >= 8 else head[offset:]
            handlers = set()
            at = moov.find(b"hdlr")
            while at != -1 and at + 16 <= len(moov):
                handlers.add(moov[at + 12:at + 16])
                at = moov.find(b"hdlr", at + 4)
            if b"vide" in handlers:
                return "video"
            return "audio" if b"soun" in handlers else None
        if size < 8:
            return None
        offset += size
    return None


def _after_id3(head: bytes, filename: str) -> FileType | None:
    """An ID3v2 tag is followed by MP3 or ADTS AAC frames (or a FLAC stream)."""
    if len(head) < 10:
        return None
    size = _synchsafe(head[6:10])
    start = 10 + size + (10 if head[5] & 0x10 else 0)
    if start >= len(head):
        # The tag (cover art) is bigger than the head; mp3 is by far the usual case.
        return AAC if filename.lower().endswith(".aac") else MP3
    rest = head[start:]
    if rest.startswith(b"fLaC"):
        return FLAC
    # Some taggers leave padding or junk before the first frame; look a little further.
    for skip in range(min(len(rest), 4096)):
        if rest[skip] != 0xFF:
            continue
        if _adts_frame_len(rest[skip:]) and _confirmed(rest, skip, _adts_frame_len):
            return AAC
        if _mpeg_frame_len(rest[skip:]) and _confirmed(rest, skip, _mpeg_frame_len):
            return MP3
    return None


def _synchsafe(four: bytes) -> int:
    return (four[0] & 0x7F) << 21 | (four[1] & 0x7F) << 14 | (four[2] & 0x7F) << 7 | four[3] & 0x7F


def _confirmed(data: bytes, offset: int, frame_len) -> bool:
    """The frame at `offset` is followed by another valid frame, or runs past `data`.

    Two frames in a row make a chance match on two sync bytes in other data unlikely.
    """
    length = frame_len(data[offset:])
    following = offset + length
    if following + 4 > len(data):
        return True
    return frame_len(data[following:]) is not None


def _mpeg_frame_len(h: bytes) -> int | None:
    """Length of the MPEG-1/2/2.5 audio frame starting at `h`, None if it is not one."""
    if len(h) < 4 or h[0] != 0xFF or h[1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (h[1] >> 3) & 3, (h[1] >> 1) & 3
    bitrate_index, rate_index, padding = h[2] >> 4, (h[2] >> 2) & 3, (h[2] >> 1) & 1
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    layer = 4 - layer_bits
    table = _MPEG1_KBPS if version == 3 else _MPEG2_KBPS
    bitrate = table[layer][bitrate_index] * 1000
    rate = _MPEG_RATES[version][rate_index]
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    if layer == 3 and version != 3:
        return 72 * bitrate // rate + padding
    return 144 * bitrate // rate + padding


def _adts_frame_len(h: bytes) -> int | None:
    """Length of the ADTS (raw AAC) frame starting at `h`, None if it is not one."""
    if len(h) < 7 or h[0] != 0xFF or h[1] & 0xF6 != 0xF0:
        return None
    if (h[2] >> 2) & 0xF > 12:  # sampling frequency index
        return None
    length = (h[3] & 0x03) << 11 | h[4] << 3 | h[5] >> 5
    return length if length >= 7 else None
