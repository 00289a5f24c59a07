"""logger.intake.filemeta: what a file says about itself, and never an exception for a bad file."""

import io
import random
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pillow_heif
import pytest
from PIL import Image
from pypdf import PdfWriter

import tests.support.media as mb
from logger.intake.filemeta import amr
from logger.intake.filemeta import extract_metadata
from logger.intake.filemeta.common import FileMetadata
from logger.intake.filemeta.pdf import pdf_date
from logger.intake.sniff import HEAD_SIZE, sniff
from tests.support.media import SHANGHAI, START, CountingReader, meta_of

TESTDATA = Path(__file__).resolve().parents[3] / "shared" / "testdata"


# --- images ----------------------------------------------------------------------------


def test_real_images_give_size_and_orientation():
    rotated = meta_of((TESTDATA / "images/rapidocr_img_exif_orientation.jpg").read_bytes())
    assert (rotated.extra["width"], rotated.extra["height"]) == (752, 306)
    assert rotated.extra["orientation"] == 3
    assert rotated.extra["camera"] is False
    bubble = meta_of((TESTDATA / "images/cnocr_multi-line_cn1_chat_bubble_white.png").read_bytes())
    assert (bubble.extra["width"], bubble.extra["height"]) == (300, 187)
    assert bubble.occurred_at is None and bubble.problems == []


def _exif(make=None, model=None, original=None, offset=None) -> Image.Exif:
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    details = exif.get_ifd(0x8769)
    if original:
        details[0x9003] = original
    if offset:
        details[0x9011] = offset
    return exif


def _jpeg(exif: Image.Exif, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_photo_of_a_letter_gives_camera_and_time_taken_with_offset():
    meta = meta_of(_jpeg(_exif("HUAWEI", "ELS-AN00", "2024:12:03 10:30:12", "+03:00")))
    assert meta.occurred_at == START
    assert meta.extra["camera"] is True
    assert (meta.extra["make"], meta.extra["model"]) == ("HUAWEI", "ELS-AN00")
    assert (meta.extra["width"], meta.extra["height"]) == (40, 30)


def test_exif_time_without_offset_is_read_in_the_given_zone():
    assert meta_of(_jpeg(_exif(original="2024:12:03 15:30:12"))).occurred_at == START
    london = meta_of(_jpeg(_exif(original="2024:12:03 07:30:12")), tz=ZoneInfo("Europe/London"))
    assert london.occurred_at == START


def test_invalid_exif_time_is_a_problem_not_an_error():
    meta = meta_of(_jpeg(_exif("Xiaomi", None, "2024:13:45 99:00:00")))
    assert meta.occurred_at is None
    assert "not a valid time" in meta.problems[0]


def test_heic_photo_gives_size_and_exif():
    buffer = io.BytesIO()
    exif = _exif("Apple", "iPhone 13", "2024:12:03 15:30:12", "+08:00")
    pillow_heif.from_pillow(Image.new("RGB", (64, 48))).save(buffer, format="HEIF",
                                                             exif=exif.tobytes(), quality=30)
    meta = meta_of(buffer.getvalue(), "IMG_0001.HEIC")
    assert (meta.extra["width"], meta.extra["height"]) == (64, 48)
    assert meta.occurred_at == START and meta.extra["model"] == "iPhone 13"


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_decompression_bombs_are_reported_not_decoded():
    bomb = meta_of(_png_header(60_000, 60_000))
    assert "too large" in bomb.problems[0] and "width" not in bomb.extra
    large = meta_of(_png_header(10_000, 10_000))  # over Pillow's warning limit only
    assert (large.extra["width"], large.problems) == (10_000, [])


def test_damaged_images_are_problems():
    assert "could not be read" in meta_of(b"\xff\xd8\xff\xe0garbage" * 3).problems[0]
    data = bytearray(_jpeg(_exif("Make", "Model", "2024:12:03 15:30:12")))
    tiff_start = data.index(b"Exif\x00\x00") + 6
    data[tiff_start + 8:tiff_start + 10] = b"\x7f\xff"  # the first IFD claims 32767 entries
    assert "EXIF is damaged" in meta_of(bytes(data)).problems[0]


# --- audio -----------------------------------------------------------------------------


def test_real_recordings_give_duration_and_stream_details():
    import wave

    for path in sorted((TESTDATA / "audio").glob("*.wav")):
        with wave.open(str(path)) as clip:
            expected = clip.getnframes() / clip.getframerate()
            channels = clip.getnchannels()
        meta = meta_of(path.read_bytes(), path.name)
        assert meta.duration_s == pytest.approx(expected, abs=0.002), path.name
        assert meta.extra == {"codec": "pcm", "sample_rate": 16000, "channels": channels}
    jfk = meta_of((TESTDATA / "audio/jfk.flac").read_bytes(), "jfk.flac")
    assert jfk.duration_s == pytest.approx(11.0)
    assert jfk.extra == {"codec": "flac", "sample_rate": 44100, "channels": 2}


def test_amr_duration_is_counted_from_frames():
    nb = meta_of(mb.amr(150), "录音.amr")
    assert nb.duration_s == 3.0
    assert nb.extra == {"codec": "amr-nb", "sample_rate": 8000, "channels": 1}
    assert meta_of(mb.amr(500, wideband=True)).duration_s == 10.0
    comfort_noise = mb.amr(50) + mb.amr(50, frame_type=8)[6:] + mb.amr(50, frame_type=15)[6:]
    assert meta_of(comfort_noise).duration_s == 3.0
    assert meta_of(mb.amr(150) + b"\x3c\x00\x00").duration_s == 3.0  # truncated last frame


def test_damaged_amr_is_reported():
    tail = meta_of(mb.amr(100) + b"\xff" * 64)
    assert tail.duration_s == 2.0 and "damaged after 2.0 s" in tail.problems[0]
    head = meta_of(b"#!AMR\n\xff\xff\xff")
    assert head.duration_s is None and "could not be read" in head.problems[0]


def test_very_long_amr_is_estimated_past_the_frame_limit(monkeypatch):
    monkeypatch.setattr(amr, "_MAX_FRAMES", 100)
    meta = meta_of(mb.amr(1000))
    assert meta.duration_s == pytest.approx(20.0) and meta.extra["duration_estimated"] is True


def test_m4a_duration_codec_and_creation_time():
    meta = meta_of(mb.mp4(created_unix=int(START.timestamp())), "recording.m4a")
    assert meta.duration_s == 3.0
    assert meta.extra["codec"] == "mp4a.40.2"
    assert (meta.extra["sample_rate"], meta.extra["channels"]) == (8000, 1)
    assert meta.occurred_at == START


def test_zero_mp4_creation_time_is_ignored_and_the_file_name_wins():
    assert meta_of(mb.mp4(), "x.m4a").occurred_at is None
    meta = meta_of(mb.mp4(created_unix=1_600_000_000, moov_first=False),
                   "张三(13800138000)_20241203153012.m4a")
    assert meta.occurred_at == START
    assert (meta.counterpart_number, meta.counterpart_name) == ("13800138000", "张三")
    assert meta.extra["recorder_filename"]["started_at"] == "2024-12-03T07:30:12+00:00"


def test_mp4_reading_is_bounded_and_damage_is_reported():
    data = mb.mp4(mdat_size=20_000_000)
    reader = CountingReader(data)
    extract_metadata(sniff(data[:HEAD_SIZE]), reader, "a.m4a", tz=SHANGHAI)
    assert reader.bytes_read < 100_000
    no_index = meta_of(mb.box(b"ftyp", b"M4A " + bytes(4)) + mb.box(b"mdat", bytes(100)))
    assert "no index" in no_index.problems[0]
    huge_moov = mb.box(b"ftyp", b"M4A " + bytes(4)) + struct.pack(">I4s", 2**31, b"moov")
    assert "larger than" in meta_of(huge_moov).problems[0]


@pytest.mark.parametrize("data, codec, rate, seconds", [
    (mb.mp3_frames(100), "mp3", 44100, 100 * 1152 / 44100),
    (mb.adts_frames(80), "aac", 8000, 80 * 1024 / 8000),
    (mb.ogg_opus(3.0), "opus", 48000, 3.0),
])
def test_compressed_recordings(data, codec, rate, seconds):
    meta = meta_of(data)
    assert meta.duration_s == pytest.approx(seconds, rel=0.02)
    assert (meta.extra["codec"], meta.extra["sample_rate"]) == (codec, rate)


# --- pdf and the rest --------------------------------------------------------------------


def _pdf(pages: int = 3, created: str | None = None, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if created:
        writer.add_metadata({"/CreationDate": created})
    if password:
        writer.encrypt(password)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_page_count_and_creation_date():
    meta = meta_of(_pdf(3, "D:20241203153012+08'00'"))
    assert meta.extra["pages"] == 3 and meta.occurred_at == START
    assert meta_of(_pdf(1, "D:20241203153012")).occurred_at == START  # no offset: tz


def test_damaged_or_locked_pdfs_are_problems():
    assert "password" in meta_of(_pdf(2, password="secret")).problems[0]
    assert meta_of(b"%PDF-1.4\nnot really a pdf\n%%EOF").problems
    assert meta_of(_pdf(1, "D:20241399999999")).problems


@pytest.mark.parametrize("text, expected", [
    ("D:20241203073012Z", START),
    ("D:20241203023012-05'00'", START),
    ("D:20241203153012+08'00'", START),
    ("20241203153012+08", START),
    ("D:2024", datetime(2023, 12, 31, 16, 0, tzinfo=UTC)),
    ("D:20241303", None),
    ("yesterday", None),
])
def test_pdf_dates(text, expected):
    assert pdf_date(text, SHANGHAI) == expected


@pytest.mark.parametrize("data, filename", [
    ("聊天记录".encode(), "chat.txt"),
    (b"<?xml version='1.0'?><smses/>", "sms.xml"),
    (mb.ole(("__substg1.0_0037001F",)), "a.msg"),
    (b"From x Mon Dec  2 00:00:00 2024\nFrom: a@b.cn\n\nhi\n", "box.mbox"),
])
def test_other_families_carry_nothing(data, filename):
    assert meta_of(data, filename) == FileMetadata()


def _samples() -> list[tuple[str, bytes]]:
    return [("m4a", mb.mp4()), ("mp3", mb.id3_tag() + mb.mp3_frames(20)),
            ("aac", mb.adts_frames(20)), ("amr", mb.amr(20)), ("opus", mb.ogg_opus()),
            ("jpeg", _jpeg(_exif("A", "B", "2024:12:03 15:30:12"))), ("pdf", _pdf(1, "D:2024")),
            ("eml", mb.email_bytes(b"Subject: " + mb.encoded_word("gbk", "你好".encode("gbk"))))]


@pytest.mark.parametrize("label, data", _samples(), ids=[s[0] for s in _samples()])
def test_mangled_files_never_raise(label, data):
    randomness = random.Random(label)
    file_type = sniff(data[:HEAD_SIZE])
    for attempt in range(40):
        mangled = bytearray(data[:randomness.randrange(len(data) // 4, len(data) + 1)])
        for _ in range(attempt % 8):
            mangled[randomness.randrange(len(mangled))] = randomness.randrange(256)
        meta = extract_metadata(file_type, CountingReader(bytes(mangled)), "13800138000.m4a",
                                tz=SHANGHAI)
        mb.assert_storable(meta)
        assert all(isinstance(problem, str) for problem in meta.problems)


def test_a_reader_that_fails_is_a_problem_not_an_error():
    class Broken(io.BytesIO):
        def read(self, size=-1):
            raise OSError("decryption failed: the blob is corrupt")

    for data in (mb.mp4(), mb.amr(), _pdf(1), _jpeg(_exif()), mb.email_bytes(b"Subject: x")):
        meta = extract_metadata(sniff(data[:HEAD_SIZE]), Broken(data), "x", tz=SHANGHAI)
        assert meta.problems
