"""The time in a file's name (logger.intake.filemeta.file_names) and what intake makes of every
time a file carries (issue 13): each reading kept with its source, the strongest one the item's
time, an unknown time left unknown, never the upload time."""

import io
import shutil
from datetime import UTC, datetime

import pytest
from PIL import Image

from logger.intake.filemeta.file_names import read_name_time
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import TimeSource
from storage.models.types import TimePrecision
from tests.support.media import SHANGHAI, START, meta_of, mp4

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DAY, MINUTE = TimePrecision.day, TimePrecision.minute


@pytest.mark.parametrize("name, local, precision", [
    ("Screenshot_20261121-091530_WeChat.png", datetime(2026, 11, 21, 9, 15, 30), MINUTE),
    ("IMG_20241203_153012.jpg", datetime(2024, 12, 3, 15, 30, 12), MINUTE),
    ("Screenshot_2024-12-03-15-30-12-345_com.tencent.mm.jpg",
     datetime(2024, 12, 3, 15, 30, 12), MINUTE),
    ("Screenshot 2024-12-03 at 3.30.12 PM.png", datetime(2024, 12, 3, 15, 30, 12), MINUTE),
    ("微信图片_20241203153012.jpg", datetime(2024, 12, 3, 15, 30, 12), MINUTE),
    ("微信截图_20241204.png", datetime(2024, 12, 4, 12, 0), DAY),
    ("短信 95188 20241205.txt", datetime(2024, 12, 5, 12, 0), DAY),
    ("聊天记录2024年12月5日.txt", datetime(2024, 12, 5, 12, 0), DAY),
    ("C:\\Users\\王\\Pictures\\IMG_20241203_153012.jpg", datetime(2024, 12, 3, 15, 30, 12),
     MINUTE),
])
def test_names_of_screenshots_photos_and_exports(name, local, precision):
    named = read_name_time(name, SHANGHAI, now=NOW)
    assert named.reading is not None and named.problem is None
    assert named.reading.at == local.replace(tzinfo=SHANGHAI)
    assert (named.reading.source, named.reading.precision) == (TimeSource.file_name, precision)


@pytest.mark.parametrize("name, problem", [
    ("IMG_20270101_090000.jpg", "implausible"),        # after tomorrow: a wrong clock
    ("Screenshot_19891231-235959.png", "implausible"),  # before 1990
    ("微信截图_20240230.png", "no single valid date"),   # 30 February
    ("IMG_20241203_256012.jpg", "not a valid time"),
    ("合并_20241203_20241205.png", "no single valid date"),  # two different days: no guess
    ("chat.png", None), ("13800138000.png", None), ("mmexport1733212345678.jpg", None),
])
def test_names_that_give_no_time(name, problem):
    named = read_name_time(name, SHANGHAI, now=NOW)
    assert named.reading is None
    assert (problem in named.problem) if problem else named.problem is None


def test_tomorrow_is_still_plausible_with_the_clock_given():
    assert read_name_time("IMG_20261123_090000.jpg", SHANGHAI, now=NOW).reading is not None
    assert read_name_time("IMG_20261123_090000.jpg", SHANGHAI,
                          now=datetime(2026, 11, 20, tzinfo=UTC)).reading is None


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _jpeg_with_exif(original: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = original
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_screenshots_name_is_read_with_its_source():
    meta = meta_of(_png(), "Screenshot_20241203-153012_WeChat.png")
    assert meta.occurred_at == START
    assert [(t.source, t.precision) for t in meta.times] == [(TimeSource.file_name, MINUTE)]


def test_a_name_with_a_clock_time_outranks_exif_and_a_date_alone_does_not():
    exif = "2024:12:03 14:00:00"
    timed = meta_of(_jpeg_with_exif(exif), "IMG_20241203_153012.jpg")
    assert timed.occurred_at == START and timed.time.source == TimeSource.file_name
    dated = meta_of(_jpeg_with_exif(exif), "微信截图_20241203.jpg")
    assert dated.occurred_at == datetime(2024, 12, 3, 6, 0, tzinfo=UTC)
    assert dated.time.source == TimeSource.metadata
    assert sorted(t.source for t in dated.times) == [TimeSource.file_name, TimeSource.metadata]


def test_a_recorder_name_outranks_the_containers_creation_time():
    meta = meta_of(mp4(created_unix=1_600_000_000), "通话录音 13800138000 20241203_153012.m4a")
    assert meta.occurred_at == START and meta.time.source == TimeSource.file_name
    assert {t.source for t in meta.times} == {TimeSource.file_name, TimeSource.metadata}
    plain = meta_of(mp4(created_unix=int(START.timestamp())), "recording.m4a")
    assert plain.time.source == TimeSource.metadata


def test_a_date_in_the_name_of_a_pdf_or_email_is_not_read():
    assert meta_of(b"%PDF-1.4\n%%EOF\n", "协议_20241203.pdf").times == []
    assert meta_of(b"From: a@b.cn\r\nTo: c@d.cn\r\n\r\nhi\r\n", "20241203.eml").times == []


def _store(services, session, negotiation, owner, data, name, details=None):
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), name, source="test"),
                  negotiation=negotiation, actor=owner,
                  max_bytes=services.config.intake.max_file_bytes,
                  tz=services.config.locale.zone, details=details)


def test_intake_records_the_time_its_source_and_every_reading(services, session, negotiation,
                                                               owner):
    shot = _store(services, session, negotiation, owner, _png(), "微信截图_20241204.png")
    assert shot.occurred_at == datetime(2024, 12, 4, 4, 0, tzinfo=UTC)
    assert (shot.occurred_at_source, shot.occurred_at_precision) == (TimeSource.file_name, DAY)
    assert shot.extracted_metadata["times"] == [
        {"at": "2024-12-04T04:00:00Z", "source": "file_name", "precision": "day"}]


def test_an_undated_upload_stays_undated(services, session, negotiation, owner):
    """The upload time is `created_at` and nothing else: never the time it happened."""
    item = _store(services, session, negotiation, owner, b"%PDF-1.4\n%%EOF\n", "协议.pdf")
    assert item.occurred_at is None and item.occurred_at_source is None
    assert item.occurred_at_precision is None and item.created_at is not None


def test_a_person_given_time_wins_and_says_so(services, session, negotiation, owner, testdata,
                                              tmp_path):
    wav = tmp_path / "通话录音 13800138000 20241203_153012.wav"
    shutil.copy(next((testdata / "audio").glob("*.wav")), wav)
    said = datetime(2024, 12, 3, 16, 0, tzinfo=SHANGHAI)
    item = _store(services, session, negotiation, owner, wav.read_bytes(), wav.name,
                  EvidenceDetails(occurred_at=said))
    assert item.occurred_at == said and item.occurred_at_source == TimeSource.person
    # What the name said is kept beside it.
    assert item.extracted_metadata["times"][0]["source"] == "file_name"
