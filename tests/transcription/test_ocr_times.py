"""Chat time stamps as apps write them, resolved against the moment of the screenshot."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from transcription.ocr.chat_times import parse_stamp

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Friday evening.
TAKEN = datetime(2026, 11, 20, 22, 5, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2026年11月20日 21:47", (2026, 11, 20, 21, 47)),
    ("2025年12月31日 下午11:59", (2025, 12, 31, 23, 59)),
    ("2026/11/3 08:05", (2026, 11, 3, 8, 5)),
    ("2026-11-03 8:05", (2026, 11, 3, 8, 5)),
    ("11月20日 21:47", (2026, 11, 20, 21, 47)),
    ("12月24日 09:00", (2025, 12, 24, 9, 0)),       # not yet this year: last year's
    ("昨天 21:47", (2026, 11, 19, 21, 47)),
    ("昨天21:47", (2026, 11, 19, 21, 47)),          # OCR often loses the space
    ("前天 上午10:30", (2026, 11, 18, 10, 30)),
    ("星期一 21:47", (2026, 11, 16, 21, 47)),
    ("周三 07:00", (2026, 11, 18, 7, 0)),
    ("星期五 10:00", (2026, 11, 13, 10, 0)),        # today's weekday names last week
    ("周日 中午12:15", (2026, 11, 15, 12, 15)),
    ("21:47", (2026, 11, 20, 21, 47)),
    ("21：47", (2026, 11, 20, 21, 47)),             # full-width colon
    ("下午9:47", (2026, 11, 20, 21, 47)),
    ("晚上 9:47", (2026, 11, 20, 21, 47)),
    ("中午1:05", (2026, 11, 20, 13, 5)),
    ("凌晨12:30", (2026, 11, 20, 0, 30)),
    ("上午9:47", (2026, 11, 20, 9, 47)),
    ("Yesterday 21:47", (2026, 11, 19, 21, 47)),
    ("Mon 9:47 PM", (2026, 11, 16, 21, 47)),
])
def test_stamps_resolve_against_the_screenshot_time(stamp, expected):
    assert parse_stamp(stamp, TAKEN) == datetime(*expected, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text", [
    "好的", "请在11月25日前还款2000元", "21:47 我到了", "2026年2月30日 10:00", "25:10",
    "12:75", "信用飞客服", "",
])
def test_other_text_is_not_a_stamp(text):
    assert parse_stamp(text, TAKEN) is None


def test_the_time_zone_is_the_screenshots():
    utc_evening = datetime(2026, 11, 20, 17, 0, tzinfo=ZoneInfo("UTC"))  # 01:00 next day there
    assert parse_stamp("昨天 21:47", utc_evening.astimezone(SHANGHAI)) == \
        datetime(2026, 11, 20, 21, 47, tzinfo=SHANGHAI)
