"""Tiny, valid-enough media files built in Python for the sniff and metadata tests, and
the helpers that run the metadata reader over them.

Each builder returns bytes that follow the real container layout closely enough for
mutagen / Pillow / the sniffer, with silent or zero payloads. Nothing large is committed.
"""

import base64
import io
import json
import struct
import uuid
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from mutagen.ogg import OggPage

from logger.intake.filemeta import extract_metadata
from logger.intake.filemeta.common import FileMetadata
from logger.intake.sniff import HEAD_SIZE, FileType, sniff

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 12, 3, 7, 30, 12, tzinfo=UTC)  # 15:30:12 in Shanghai


class CountingReader(io.BytesIO):
    """A seekable read-only file that counts the bytes read from it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def write(self, data):
        raise io.UnsupportedOperation("read-only")


def meta_of(data: bytes, filename: str = "upload", tz: ZoneInfo = SHANGHAI,
            file_type: FileType | None = None) -> FileMetadata:
    """Sniff (unless `file_type` is given) and extract, checking the result is storable."""
    file_type = file_type or sniff(data[:HEAD_SIZE], filename)
    meta = extract_metadata(file_type, CountingReader(data), filename, tz=tz)
    assert_storable(meta)
    return meta


def assert_storable(meta: FileMetadata) -> None:
    """`extra` is JSON and no text holds lone surrogates (which UTF-8 storage rejects)."""
    json.dumps([meta.extra, meta.problems, meta.subject, meta.counterpart_name],
               ensure_ascii=False).encode("utf-8")


def email_bytes(*headers: bytes, body: bytes = b"body\r\n") -> bytes:
    """An email with From and To plus `headers`."""
    lines = (b"From: a@example.cn", b"To: b@example.cn", *headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def encoded_word(charset: str, data: bytes) -> bytes:
    """An RFC 2047 B-encoded word declaring `charset` around `data` (whatever it really is)."""
    return b"=?" + charset.encode() + b"?B?" + base64.b64encode(data) + b"?="

MP4_EPOCH_TO_UNIX = 2_082_844_800  # seconds from 1904-01-01 to 1970-01-01


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, payload: bytes, version: int = 0) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def mp4(*, major: bytes = b"M4A ", compat: tuple[bytes, ...] = (b"isom",),
        handler: bytes = b"soun", seconds: float = 3.0, created_unix: int | None = None,
        moov_first: bool = True, mdat_size: int = 1000) -> bytes:
    """An MP4/M4A/3GP with one track of `handler` type (b"soun" or b"vide")."""
    created = created_unix + MP4_EPOCH_TO_UNIX if created_unix is not None else 0
    timescale = 8000
    duration = int(seconds * timescale)
    mvhd = full_box(b"mvhd", struct.pack(">IIII", created, created, timescale, duration)
                    + struct.pack(">IH", 0x00010000, 0x0100) + bytes(10) + bytes(36)
                    + bytes(24) + struct.pack(">I", 2))
    mdhd = full_box(b"mdhd", struct.pack(">IIIIHH", created, created, timescale, duration,
                                         0x55C4, 0))
    hdlr = full_box(b"hdlr", bytes(4) + handler + bytes(12) + b"\x00")
    # esds: AAC-LC, 8 kHz, mono (AudioSpecificConfig 0x1588).
    esds = full_box(b"esds", bytes.fromhex("0319000100" "0411401500000000007d0000007d00"
                                           "05021588" "060102"))
    mp4a = box(b"mp4a", bytes(6) + struct.pack(">H", 1) + bytes(8)
               + struct.pack(">HHHHI", 1, 16, 0, 0, timescale << 16) + esds)
    stsd = full_box(b"stsd", struct.pack(">I", 1) + mp4a)
    stbl = box(b"stbl", stsd)
    trak = box(b"trak", box(b"mdia", mdhd + hdlr + box(b"minf", stbl)))
    moov = box(b"moov", mvhd + trak)
    ftyp = box(b"ftyp", major + bytes(4) + b"".join(compat))
    mdat = box(b"mdat", bytes(mdat_size))
    return ftyp + (moov + mdat if moov_first else mdat + moov)


def mp3_frames(count: int = 100) -> bytes:
    """MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames of 1152 samples."""
    return (b"\xff\xfb\x90\x00" + bytes(413)) * count


def id3_tag(payload_size: int = 100) -> bytes:
    size = bytes((payload_size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + size + bytes(payload_size)


def adts_frames(count: int = 50, frame_length: int = 100) -> bytes:
    """AAC-LC ADTS frames, 8 kHz mono (1024 samples each)."""
    profile, rate_index, channels = 1, 11, 1
    header = bytes([
        0xFF, 0xF1,
        (profile << 6) | (rate_index << 2) | (channels >> 2),
        ((channels & 3) << 6) | (frame_length >> 11),
        (frame_length >> 3) & 0xFF,
        ((frame_length & 7) << 5) | 0x1F,
        0xFC,
    ])
    return (header + bytes(frame_length - 7)) * count


def amr(frames: int = 150, *, wideband: bool = False, frame_type: int | None = None) -> bytes:
    """AMR-NB 12.2 kbit/s (32-byte frames) or AMR-WB 23.85 kbit/s (61-byte frames)."""
    if wideband:
        frame_type = 8 if frame_type is None else frame_type
        sizes = (18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1)
        magic = b"#!AMR-WB\n"
    else:
        frame_type = 7 if frame_type is None else frame_type
        sizes = (13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1)
        magic = b"#!AMR\n"
    frame = bytes([(frame_type << 3) | 0x04]) + bytes(sizes[frame_type] - 1)
    return magic + frame * frames


def ogg_opus(seconds: float = 3.0) -> bytes:
    pre_skip = 312
    pages = []
    for sequence, packet in enumerate([
        b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, 48000, 0, 0),
        b"OpusTags" + struct.pack("<I", 6) + b"liuhen" + struct.pack("<I", 0),
        bytes(20),
    ]):
        page = OggPage()
        page.serial, page.sequence, page.packets = 7, sequence, [packet]
        page.first = sequence == 0
        page.last = sequence == 2
        page.position = int(seconds * 48000) + pre_skip if sequence == 2 else 0
        pages.append(page.write())
    return b"".join(pages)


def office_zip(content_types: str, names: tuple[str, ...]) -> bytes:
    """A ZIP laid out like Office writes it: [Content_Types].xml first, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Override PartName="/main.xml" '
                         f'ContentType="{content_types}"/></Types>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


OUTLOOK_CLSID = uuid.UUID("00020D0B-0000-0000-C000-000000000046").bytes_le


def ole(stream_names: tuple[str, ...], *, root_clsid: bytes = bytes(16),
        directory_sector: int = 1, padding_sectors: int = 0) -> bytes:
    """A compound file: header, one FAT sector (sector 0), then the directory.

    `padding_sectors` puts that many empty sectors before the directory, to push it past
    the sniffer's head.
    """
    sector = 512
    names = ("Root Entry", *stream_names)
    directory = b""
    for index, name in enumerate(names):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry = encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded),
                                                         5 if index == 0 else 2, 1)
        entry += struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        entry += (root_clsid if index == 0 else bytes(16)) + bytes(4 + 16)
        entry += struct.pack("<IQ", 0xFFFFFFFE, 0)  # starting sector, stream size
        directory += entry
    directory_sectors = max(1, -(-len(directory) // sector))
    directory = directory.ljust(directory_sectors * sector, b"\x00")
    first_directory = directory_sector + padding_sectors
    fat = [0xFFFFFFFD] + [0xFFFFFFFF] * (first_directory - 1)
    fat += [first_directory + i + 1 for i in range(directory_sectors - 1)] + [0xFFFFFFFE]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, first_directory, 0, 4096, 0xFFFFFFFE, 0,
                            0xFFFFFFFE, 0)
              + struct.pack("<I", 0) + b"\xff" * (4 * 108))  # DIFAT: the FAT is sector 0
    padding = bytes(sector * (first_directory - 1))
    return header + fat_sector + padding + directory
