"""The centred time stamps of a chat screenshot, read into times.

Chat apps write a stamp relative to the moment the screenshot was taken: only the clock for
today (`21:47`, `下午9:47`), `昨天 21:47` for yesterday, the weekday within the last week
(`星期一 21:47`, `周一 21:47`), the month and day within this year (`11月20日 21:47`), and the
full date before that (`2026年11月20日 21:47`, `2026/11/20 21:47`). `parse_stamp` resolves a
stamp against the screenshot's own time in the user's time zone (the OCR job passes the time in
its file name or EXIF, or a person's; never the upload time, see transcription.jobs.ocr); WeChat's English forms (`Yesterday 21:47`, `Mon 21:47`,
`9:47 PM`) are read too.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DAYS_BACK = {"今天": 0, "昨天": 1, "前天": 2, "today": 0, "yesterday": 1}
_AFTERNOON = ("下午", "晚上", "傍晚", "pm")
_MORNING = ("上午", "早上", "凌晨", "am")

_STAMP = re.compile(
    r"""^(?:
        (?P<year>\d{4})(?:年|[-/.])(?P<month>\d{1,2})(?:月|[-/.])(?P<day>\d{1,2})日?
      | (?P<month2>\d{1,2})月(?P<day2>\d{1,2})日
      | (?P<relative>今天|昨天|前天|today|yesterday)
      | (?:星期|周|礼拜)(?P<weekday>[一二三四五六日天])
      | (?P<weekday_en>mon|tue|wed|thu|fri|sat|sun)[a-z]*
    )?[ ]?
    (?P<half>上午|下午|中午|晚上|早上|凌晨|傍晚)?[ ]?
    (?P<hour>\d{1,2}):(?P<minute>\d{2})
    (?:[ ]?(?P<half_en>am|pm))?$""", re.VERBOSE)

_CLOCKISH = re.compile(r"(?<!\d)\d{1,2}[:.]\d{2}(?!\d)")


def parse_stamp(text: str, reference: datetime) -> datetime | None:
    """The time a chat stamp names, in `reference`'s time zone, or None when `text` is not a
    time stamp (or names an impossible date or clock time). `reference` must be aware: it is
    the screenshot's own time, expressed in the user's time zone."""
    match = _STAMP.match(_compact(text))
    if match is None:
        return None
    clock = _clock(int(match["hour"]), int(match["minute"]), match["half"] or match["half_en"])
    day = _day(match, reference.date())
    if clock is None or day is None:
        return None
    return datetime.combine(day, clock, tzinfo=reference.tzinfo)


def looks_like_stamp(text: str) -> bool:
    """Whether `text` is probably a time stamp even if `parse_stamp` cannot read it (a clock
    time in a short line: "昨夭 21:47", "21.47"): the time of the messages below it is then
    unknown, not the time of an earlier stamp."""
    compact = _compact(text)
    return len(compact) <= 24 and bool(_CLOCKISH.search(compact))


def _compact(text: str) -> str:
    """Full-width forms made half-width (OCR reads "21：47" as often as "21:47"), single
    spaces, lower case."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _clock(hour: int, minute: int, half: str | None) -> time | None:
    if half in _AFTERNOON and hour < 12:
        hour += 12
    elif half == "中午" and hour < 11:   # 中午1:05 is 13:05, 中午12:10 is 12:10
        hour += 12
    elif half in _MORNING and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _day(match: re.Match, today: date) -> date | None:
    """The calendar day the stamp's date part names, seen from `today`."""
    try:
        if match["year"]:
            return date(int(match["year"]), int(match["month"]), int(match["day"]))
        if match["month2"]:
            return _latest_in_past(int(match["month2"]), int(match["day2"]), today)
    except ValueError:
        return None
    if match["relative"]:
        return today - timedelta(days=_DAYS_BACK[match["relative"]])
    weekday = match["weekday"] or match["weekday_en"]
    if weekday:
        # Apps show a weekday only for the days before yesterday within the last week.
        back = (today.weekday() - _WEEKDAYS[weekday]) % 7 or 7
        return today - timedelta(days=back)
    return today


def _latest_in_past(month: int, day: int, today: date) -> date:
    """This year's month/day, or last year's when this year's has not come yet."""
    candidate = date(today.year, month, day)
    return candidate if candidate <= today else date(today.year - 1, month, day)
