"""logger.intake.filemeta.recorder_names: the other party and start time in a call recorder's file name."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from logger.intake.filemeta import parse_recorder_filename

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 15:30:12 in Shanghai (UTC+8) is 07:30:12 UTC.
START = datetime(2024, 12, 3, 7, 30, 12, tzinfo=UTC)

NAMES = [
    ("通话录音 13800138000 20241203_153012.m4a", "13800138000", None, START),
    ("13800138000_20241203153012.mp3", "13800138000", None, START),
    ("张三 13800138000_20241203153012.m4a", "13800138000", "张三", START),
    ("张三(13800138000)_20241203153012.mp3", "13800138000", "张三", START),
    ("张三（13800138000）_20241203153012.mp3", "13800138000", "张三", START),
    ("13800138000(13800138000)_20241203153012.amr", "13800138000", None, START),
    ("录音_13800138000_2024-12-03_15-30-12.m4a", "13800138000", None, START),
    ("+8613800138000 2024-12-03 15-30-12.m4a", "13800138000", None, START),
    ("008613800138000_20241203153012.m4a", "13800138000", None, START),
    ("95188_20241203153012.m4a", "95188", None, START),
    ("400-123-4567_20241203153012.m4a", "4001234567", None, START),
    ("010-12345678_20241203153012.wav", "01012345678", None, START),
    ("Call@13800138000(张三)_20241203153012.m4a", "13800138000", "张三", START),
    ("张三_20241203153012.m4a", None, "张三", START),
    ("通话录音 张三_241203_153012.m4a", None, "张三", START),
    ("Call recording John Doe_241203_153012.m4a", None, "John Doe", START),
    ("+14155550123_20241203153012.m4a", "+14155550123", None, START),
    ("138 0013 8000_20241203153012.m4a", "13800138000", None, START),
    ("张三 13800138000_20241203153012(1).m4a", "13800138000", "张三", START),
    ("/sdcard/MIUI/sound_recorder/call_rec/李四 13900139000_20241203153012.mp3",
     "13900139000", "李四", START),
    ("C:\\Users\\me\\Downloads\\13800138000_20241203153012.amr", "13800138000", None, START),
    ("13800138000.m4a", "13800138000", None, None),
    ("13800138000_20241203153012345.m4a", "13800138000", None, START),
    # Impossible dates: the number survives, the time does not, nothing crashes.
    ("13800138000_20241303153012.mp3", "13800138000", None, None),
    ("13800138000_20240230153012.mp3", "13800138000", None, None),
    ("13800138000_20241203256012.mp3", "13800138000", None, None),
    # Not call recordings.
    ("IMG_20241203_153012.jpg", None, None, None),
    ("report 2024.pdf", None, None, None),
    ("Screenshot_20241203-153012_WeChat.png", None, None, None),
    ("meeting notes.m4a", None, None, None),
    ("张三_20241203.m4a", None, None, None),
    ("librispeech-1995-1837-0001.wav", None, None, None),
    ("TEST_MEETING_T0000000001_S00000.wav", None, None, None),
    ("13800138000_20241203153012", None, None, None),
    ("", None, None, None),
]


@pytest.mark.parametrize("filename, number, name, started", NAMES)
def test_recorder_file_names(filename, number, name, started):
    assert parse_recorder_filename(filename, tz=SHANGHAI) == (number, name, started)


def test_the_time_in_the_name_is_local_to_the_given_zone():
    _, _, started = parse_recorder_filename("13800138000_20240701120000.m4a",
                                            tz=ZoneInfo("Europe/London"))
    assert started == datetime(2024, 7, 1, 11, 0, 0, tzinfo=UTC)  # BST is UTC+1
    assert started.tzinfo is UTC
