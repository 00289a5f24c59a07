"""The time a phone or app wrote into a file's name, for screenshots, photos and exports.

Phones name a screenshot or photo after the moment it was taken, and some export tools name a
file after its day: `Screenshot_20261121-091530_WeChat.png`, `IMG_20241203_153012.jpg`,
`Screenshot_2024-12-03-15-30-12-345_com.tencent.mm.jpg`,
`Screenshot 2024-12-03 at 15.30.12.png`, `微信图片_20241203153012.jpg` (a date and a clock
time), `微信截图_20241204.png`, `短信 95188 20241205.txt`, `聊天记录2024年12月5日.txt` (a date
only). The time is the phone's
local time; the caller says which zone that is. Call recordings have their own reader
(`recorder_names`), which also finds the other party.

Nothing is guessed: a name with two different times, an impossible date (30 February), or an
implausible one (before 1990, or later than tomorrow) gives no time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath, PureWindowsPath
from zoneinfo import ZoneInfo

from logger.intake.filemeta.common import is_plausible
from logger.record.when import TimeReading, on_day
from storage.models import TimeSource

_YEAR = r"(?P<y>(?:19|20)\d\d)"
# 20241203_153012, 20241203-153012, 2024-12-03-15-30-12(-345), 20241203153012
_DATE_TIME = re.compile(
    rf"(?<!\d){_YEAR}[-_.]?(?P<mo>\d\d)[-_.]?(?P<d>\d\d)[-_.\sT]?"
    r"(?P<h>\d\d)[-_.:]?(?P<mi>\d\d)[-_.:]?(?P<s>\d\d)(?:[-_.]?\d{3})?(?!\d)")
# "2024-12-03 at 15.30.12", "2024-12-03 at 3.30.12 PM", "2024-12-03 下午3.30.12"
_DATE_AT_CLOCK = re.compile(
    rf"(?<!\d){_YEAR}-(?P<mo>\d\d)-(?P<d>\d\d)\s*(?:at\s*)?(?P<half>上午|下午)?\s*"
    r"(?P<h>\d{1,2})[.:](?P<mi>\d\d)[.:](?P<s>\d\d)(?:\s*(?P<ampm>[AaPp][Mm]))?(?!\d)")
_DATE = re.compile(rf"(?<!\d){_YEAR}(?P<sep>[-_.]?)(?P<mo>\d\d)(?P=sep)(?P<d>\d\d)(?!\d)")
_CHINESE_DATE = re.compile(rf"(?<!\d){_YEAR}年(?P<mo>\d{{1,2}})月(?P<d>\d{{1,2}})日")


@dataclass(frozen=True)
class NameTime:
    """What a file name says about when: a reading, or why there is none (`problem`, for a
    name that held a date that could not be used), or neither."""

    reading: TimeReading | None = None
    problem: str | None = None


def read_name_time(filename: str, tz: ZoneInfo, *, now: datetime | None = None) -> NameTime:
    """The date and time in `filename` (local time in `tz`), read as a `file_name` reading:
    `minute` precision with a clock time, `day` without. `now` (default: the present) bounds
    what is plausible."""
    stem = _basename(filename).rpartition(".")[0] or _basename(filename)
    found: set[tuple[date, tuple[int, int, int] | None]] = set()
    rest = stem
    for pattern in (_DATE_AT_CLOCK, _DATE_TIME):
        for match in pattern.finditer(rest):
            found.add(_parts(match))
        rest = pattern.sub(" ", rest)
    if not found:
        for pattern in (_CHINESE_DATE, _DATE):
            found |= {(_parts(match)[0], None) for match in pattern.finditer(rest)}
    if not found:
        return NameTime()
    if len(found) > 1 or any(day is None for day, _ in found):
        return NameTime(problem=f"the file name “{stem}” has no single valid date; "
                                "no time was taken from it")
    day, clock = found.pop()
    if clock is None:
        reading = on_day(day, tz, TimeSource.file_name)
    else:
        try:
            local = datetime(day.year, day.month, day.day, *clock, tzinfo=tz)
        except ValueError:
            return NameTime(problem=f"the time in the file name “{stem}” is not a valid time")
        reading = TimeReading(local.astimezone(UTC), TimeSource.file_name)
    if not is_plausible(reading.at, now):
        return NameTime(problem=f"the date in the file name “{stem}” is implausible; "
                                "it was ignored")
    return NameTime(reading)


def _parts(match: re.Match) -> tuple[date | None, tuple[int, int, int] | None]:
    """(the day, or None when it is impossible; (hour, minute, second), or None)."""
    try:
        day = date(int(match["y"]), int(match["mo"]), int(match["d"]))
    except ValueError:
        day = None
    if "h" not in match.re.groupindex:
        return day, None
    hour = int(match["h"])
    half = (match.groupdict().get("half") or "") + (match.groupdict().get("ampm") or "").upper()
    if half in ("下午", "PM") and hour < 12:
        hour += 12
    elif half in ("上午", "AM") and hour == 12:
        hour = 0
    return day, (hour, int(match["mi"]), int(match["s"]))


def _basename(filename: str) -> str:
    return PurePosixPath(PureWindowsPath(filename).name).name
