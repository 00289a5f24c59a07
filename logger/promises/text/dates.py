"""Days and times of day in what people say, resolved against the moment it was said.

Every rule is one regular expression and one small function from the match and the local date
of the moment to a calendar day (python-dateutil's relativedelta does the calendar arithmetic).
Rules run in order and a later rule never reads text an earlier one claimed, so 下个月15号 is
one day, not "next month" and "the 15th". A day said in the past (上周五, "last Friday",
yesterday) is claimed and gives no day, so it cannot be mistaken for a future one.

Conventions, where speech is loose: a bare day of the month (十五号, "the 15th") is the next one
on or after the moment; 12月15日 is the next such date, unless it went by less than a quarter
ago (a day gone: `DayMention.gone`); 周五 / "Friday" is the next Friday on
or after the moment (so is "this Friday"), 这周五 this week's (none once it has passed), 下周五 /
"next Friday" the Friday of next week (weeks start on Monday); 月底 / "end of the month" is the
month's last day, and 下个月 / "next month" without a day the last day of next month; "this
week" and 周末 end on Sunday.

When the moment the words were said is not known (`today` None), only a date with its year can
be read; any other day is found but `unresolved`: it has no date, and nothing guesses one.
Times of day are read by `logger.promises.text.clocks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import MO, relativedelta

from logger.promises.text.clocks import END_OF_DAY
# Any day serves to tell a day in the past (上周五, yesterday: no day whatever today is) from one
# that counts from today; a Monday, so that "this Friday" is still to come.
_SOME_MONDAY = date(2001, 1, 1)
# "Now": the moment the words were said, as a day (due.find_due takes it only when no other
# day is said).
NOW = r"现在|\bnow\b"

_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEKDAYS_EN = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
                "saturday": 5, "sunday": 6}
_ABBREVIATED = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}
_MONTHS_EN = {name: number for number, names in enumerate(
    ["jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"],
    start=1) for name in names.split()}
_MONTH_NAME = (r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
               r"|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ORDINAL = r"(?:st|nd|rd|th)"


@dataclass(frozen=True)
class DayMention:
    """A calendar day named at text[start:end]; `day` is None for a day in the past (`gone`),
    for one that does not exist, and for one that counts from a moment not known
    (`unresolved`)."""

    day: date | None
    start: int
    end: int
    unresolved: bool = False
    gone: bool = False   # a real day, gone by (not one that does not exist, 2月30日)


Resolver = Callable[[re.Match, date], date | None]


def _next_day_of_month(today: date, day: int, months_ahead: int = 0) -> date | None:
    """The first `day`-th on or after today, starting `months_ahead` months on; months without
    that day (31 in November) are skipped."""
    for k in range(months_ahead, months_ahead + 13):
        candidate = today + relativedelta(months=k, day=day)
        if candidate.day == day and candidate >= today:
            return candidate
    return None


def _next_date(today: date, month: int, day: int, year: int | None = None) -> date | None:
    """That month and day in `year`, else the next one on or after today; None if impossible."""
    for candidate_year in ([year] if year else [today.year, today.year + 1]):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            return None
        if year or candidate >= today:
            return candidate
    return None


# What makes a day the start of a stretch, not a day to pay by.
_AFTER = re.compile(r"\s*(?:之后|以后|过后|后(?![天日])|\s+onwards?\b)")
# How long ago a month and day said without a year may have gone by and still be that day gone,
# not the next year's (docs/DECISIONS.md).
_JUST_GONE = timedelta(days=92)


def _dated(today: date, month: int, day: int, year: int | None) -> date | None:
    """A date said with its year is in the past (no day) once it has gone; without one it is
    the next such date, unless it went by less than `_JUST_GONE` ago: 11月30日 said on
    December 3 is three days gone (只到11月30日，现在已经失效了), not next November; 6月10日
    said in December is next June."""
    found = _next_date(today, month, day, year)
    if found is None or (year and today != date.min and found < today):
        return None
    if not year and today != date.min and found.year > today.year:
        try:
            last = date(today.year, month, day)
        except ValueError:   # 2月29日 of a leap year
            return found
        if today - last <= _JUST_GONE:
            return None
    return found


def _weekday(today: date, weekday: int, weeks_ahead: int | None) -> date | None:
    """`weekday` (0 = Monday) in the week `weeks_ahead` from this one; with None, the next one
    on or after today. A day of this week already gone is None."""
    if weeks_ahead is None:
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    monday = today + relativedelta(weekday=MO(-1))
    day = monday + timedelta(weeks=weeks_ahead, days=weekday)
    return day if day >= today else None


def _week_shift(prefix: str | None) -> int | None:
    """Weeks ahead that 下/下下/这/本 or next/this put before a weekday; None for none."""
    prefix = (prefix or "").strip().lower()
    return {"下下": 2, "下": 1, "next": 1, "这": 0, "本": 0}.get(prefix)


def _month_shift(prefix: str | None) -> int:
    return 1 if (prefix or "").strip().lower() in ("下", "next") else 0


def _add(today: date, count: str, unit: str) -> date:
    """today + N days, weeks or months ("a"/"an" is one)."""
    n = 1 if count.lower() in ("a", "an", "one") else int(count)
    unit = unit.lower()
    if unit.startswith(("天", "日", "day")):
        return today + timedelta(days=n)
    if unit.startswith(("周", "星期", "礼拜", "week")):
        return today + timedelta(weeks=n)
    return today + relativedelta(months=n)


_PART_DAYS = {"初": 5, "上旬": 10, "中": 15, "中旬": 20, "下旬": 31, "底": 31, "末": 31}
_EN_PARTS = {"early": "初", "mid": "中", "late": "下旬", "of": "底"}
# The first day of the Spring Festival (春节), from the Chinese calendar.
_SPRING_FESTIVAL = [date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6),
                    date(2028, 1, 26), date(2029, 2, 13), date(2030, 2, 3), date(2031, 1, 23),
                    date(2032, 2, 11), date(2033, 1, 31), date(2034, 2, 19), date(2035, 2, 8)]


def _part_of_month(today: date, part: str, prefix: str | None) -> date:
    """月初 / 月中 / 月底 of this month (of next month with 下 or "next"), as the day a promise
    for it is due by: the 5th, the 15th, the last. A part of this month already gone is next
    month's (月初 said on the 20th)."""
    day = _PART_DAYS[part]
    shift = _month_shift(prefix)
    candidate = today + relativedelta(months=shift, day=day)
    if candidate < today and shift == 0 and (prefix or "").lower() not in ("这", "本", "this"):
        candidate = today + relativedelta(months=1, day=day)
    return candidate


def _part_of_named_month(today: date, month: int, part: str) -> date | None:
    day = _PART_DAYS[part]
    if not 1 <= month <= 12:
        return None
    candidate = date(today.year, month, 1) + relativedelta(day=day)
    return candidate if candidate >= today else candidate + relativedelta(years=1, day=day)


_HOLIDAYS = {"元旦": lambda t: _next_date(t, 1, 1), "圣诞": lambda t: _next_date(t, 12, 25),
             "国庆": lambda t: _next_date(t, 10, 1)}


def _first_weekday_after(day: date | None, weekday: int) -> date | None:
    return day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1) if day else None


def _spring_festival(today: date) -> date | None:
    """By the Spring Festival: the day before it (the New Year's Eve, 除夕)."""
    return next((d - timedelta(1) for d in _SPRING_FESTIVAL if d - timedelta(1) >= today), None)


def _thanksgiving(today: date) -> date:
    for year in (today.year, today.year + 1):
        day = date(year, 11, 1) + relativedelta(weekday=3) + timedelta(weeks=3)
        if day >= today:
            return day
    return day


def _rules() -> list[tuple[re.Pattern, Resolver]]:
    """The day rules, most specific first."""
    zh_past = r"(?P<past>上+个?)"
    rules: list[tuple[str, Resolver]] = [
        # 2024年12月15日, 12月15号
        (r"(?:(?P<y>\d{4})年)?(?<!\d)(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]",
         lambda m, t: _dated(t, int(m["m"]), int(m["d"]), int(m["y"]) if m["y"] else None)),
        (r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)",
         lambda m, t: _dated(t, int(m["m"]), int(m["d"]), int(m["y"]))),
        # 12.8号, 12/8前: month and day with a dot or a slash, then 号/日/前
        (r"(?<![\d.$¥])(?P<m>1[0-2]|0?[1-9])[./](?P<d>3[01]|[12]\d|0?[1-9])(?=\s*(?:号|日|前|之前|以前))[号日]?",
         lambda m, t: _dated(t, int(m["m"]), int(m["d"]), None)),
        # 下个月初, 月初, 月中, 下旬: the 5th, the 15th, the 25th (jionlp reads 月初 as the 1st to
        # the 5th; a promise for it is due by the last of those days)
        (r"(?<!\d)(?P<mo>\d{1,2})月(?P<part>中旬|上旬|下旬|初|中|底|末)",
         lambda m, t: _part_of_named_month(t, int(m["mo"]), m["part"])),
        (rf"(?:{zh_past}|(?P<p>下|这|本))?个?月(?P<part>中旬|上旬|下旬|初|中)",
         lambda m, t: None if m["past"] else _part_of_month(t, m["part"], m["p"])),
        # 元旦后的第一个周五: the first such weekday after the holiday
        (r"(?P<h>元旦|圣诞节?|国庆节?)(?:之?后|过后)的?第[一1]个(?:周|星期|礼拜)(?P<w>[一二三四五六日天])",
         lambda m, t: _first_weekday_after(_HOLIDAYS[m["h"][:2]](t), _WEEKDAYS_ZH[m["w"]])),
        (r"元旦", lambda m, t: _next_date(t, 1, 1)),
        (r"圣诞(?:节)?|平安夜", lambda m, t: _next_date(t, 12, 24 if m[0] == "平安夜" else 25)),
        # 01/10/25, 03/07/2025: a US month/day/year
        (r"(?<![\d/.$¥])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])/(?P<y>\d{4}|\d{2})(?![\d/])",
         lambda m, t: _dated(t, int(m["m"]), int(m["d"]),
                             int(m["y"]) + (2000 if len(m["y"]) == 2 else 0))),
        (r"(?<![\d/.$¥])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])(?![\d/])",
         lambda m, t: _dated(t, int(m["m"]), int(m["d"]), None)),
        (r"国庆(?:节|假期)?", lambda m, t: _next_date(t, 10, 1)),
        (r"(?:春节|过年|大年三十|除夕)", lambda m, t: _spring_festival(t)),
        # 下个月15号, 这个月20号; 上个月15号 is the past
        (rf"(?:{zh_past}|(?P<p>下|这|本))个?月(?:的)?(?P<d>\d{{1,2}})[日号]",
         lambda m, t: None if m["past"] else _next_day_of_month(
             t, int(m["d"]), _month_shift(m["p"]))),
        # 下个月底, 月底, 月末; 年底
        (rf"(?:{zh_past}|(?P<p>下|这|本))?个?月(?:底|末)",
         lambda m, t: None if m["past"] else t + relativedelta(months=_month_shift(m["p"]),
                                                                 day=31)),
        (r"(?:今|这)?年(?:底|末)", lambda m, t: date(t.year, 12, 31)),
        # 下周五, 这个星期三, 周日; 上周五 is the past
        (rf"(?:{zh_past}|(?P<p>下下|下|这|本))?个?(?:周|星期|礼拜)(?P<w>[一二三四五六日天1-7])",
         lambda m, t: None if m["past"] else _weekday(t, _WEEKDAYS_ZH[m["w"]],
                                                       _week_shift(m["p"]))),
        # 这周, 这周内, 本周之内, 周末: by this Sunday
        (r"(?:这|本)(?:个)?(?:周|星期|礼拜)(?:内|之内|以内)?(?![一二三四五六日天1-7])|(?<!下)(?<!下个)(?:这|本)?(?:个)?(?:周末|星期天之前)",
         lambda m, t: _weekday(t, 6, 0)),
        (r"下(?:个)?(?:周末)", lambda m, t: _weekday(t, 6, 1)),
        # 下周, 下个星期 without a day: by the end of next week
        (r"下(?:个)?(?:周|星期|礼拜)(?:内|之内|以内)?(?![一二三四五六日天1-7])",
         lambda m, t: _weekday(t, 6, 1)),
        (r"大后天", lambda m, t: t + timedelta(days=3)),
        (r"后天", lambda m, t: t + timedelta(days=2)),
        (r"明天|明日|明儿|明早|明晚", lambda m, t: t + timedelta(days=1)),
        (r"(?<![然以之最前过随背落])后儿个?", lambda m, t: t + timedelta(days=2)),   # 后天
        (r"今天|今日|今儿|今晚", lambda m, t: t),
        (r"昨天|前天|昨晚", lambda m, t: None),
        # 3天内, 两周后, 一个月之内, 半个月内
        (r"(?P<n>\d+)\s*(?P<u>天|日|个?(?:周|星期|礼拜)|个月)(?:后|以后|之后|内|之内|以内)",
         lambda m, t: _add(t, m["n"], m["u"].lstrip("个"))),
        (r"半个月(?:后|以后|之后|内|之内|以内)", lambda m, t: t + timedelta(days=15)),
        # 15号, 十五号 (already 15号 here)
        (r"(?<![\d.])(?P<d>\d{1,2})[号日](?![码线楼])",
         lambda m, t: _next_day_of_month(t, int(m["d"]))),
        # 宽限三天, 延期两周: the new day
        (r"(?<!最长)(?<!最多)(?:宽限|延期|延长|缓|延)(?:你|您)?(?P<n>\d+)(?P<u>天|日|周|个(?:星期|礼拜|月))",
         lambda m, t: _add(t, m["n"], m["u"].lstrip("个"))),
        # English: Friday, December 13: the date, not the next Friday
        (rf"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+{_MONTH_NAME}\s+(?P<d>\d{{1,2}})"
         rf"{_ORDINAL}?\b(?:,?\s*(?P<y>\d{{4}}))?",
         lambda m, t: _next_date(t, _MONTHS_EN[m["mon"].lower()], int(m["d"]),
                                 int(m["y"]) if m["y"] else None)),
        # English: December 15, Dec 15th, 15 December, the 15th of December
        (rf"\b{_MONTH_NAME}\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORDINAL}?\b(?:,?\s*(?P<y>\d{{4}}))?",
         lambda m, t: _next_date(t, _MONTHS_EN[m["mon"].lower()], int(m["d"]),
                                 int(m["y"]) if m["y"] else None)),
        (rf"\b(?P<d>\d{{1,2}}){_ORDINAL}?\s+(?:of\s+)?{_MONTH_NAME}(?:,?\s*(?P<y>\d{{4}}))?",
         lambda m, t: _next_date(t, _MONTHS_EN[m["mon"].lower()], int(m["d"]),
                                 int(m["y"]) if m["y"] else None)),
        # the 15th of next month, the 15th
        (rf"\b(?:the\s+)?(?P<d>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<p>this|next|last)\s+month",
         lambda m, t: None if m["p"].lower() == "last" else _next_day_of_month(
             t, int(m["d"]), _month_shift(m["p"]))),
        (rf"\b(?:the\s+)?(?P<d>\d{{1,2}}){_ORDINAL}\b",
         lambda m, t: _next_day_of_month(t, int(m["d"]))),
        # Thursday next week, Friday of this week, next week on Friday: before a week alone
        (r"\b(?P<w>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+(?:of\s+)?"
         r"(?P<p>next|this)\s+week\b",
         lambda m, t: _weekday(t, _WEEKDAYS_EN[m["w"].lower()], _week_shift(m["p"]))),
        # the following Friday, a week from Friday, Friday week: the one after the next
        (r"\b(?:the\s+following|a\s+week\s+(?:from|after|on))\s+(?P<w>monday|tuesday|wednesday"
         r"|thursday|friday|saturday|sunday)\b|\b(?P<v>monday|tuesday|wednesday|thursday|friday"
         r"|saturday|sunday)\s+week\b",
         lambda m, t: _weekday(t, _WEEKDAYS_EN[(m["w"] or m["v"]).lower()], None)
         + timedelta(weeks=1)),
        (r"\b(?P<p>next|this)\s+week,?\s+(?:on\s+)?(?P<w>monday|tuesday|wednesday|thursday"
         r"|friday|saturday|sunday)\b",
         lambda m, t: _weekday(t, _WEEKDAYS_EN[m["w"].lower()], _week_shift(m["p"]))),
        # end of the month, end of next month, month end, end of the week, end of the year
        (r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month\b|\bmonth[- ]end\b",
         lambda m, t: t + relativedelta(day=31)),
        (r"\b(?:the\s+)?end\s+of\s+next\s+month\b",
         lambda m, t: t + relativedelta(months=1, day=31)),
        (r"\b(?:the\s+)?end\s+of\s+next\s+week\b|\bnext\s+week\b(?!'s)",
         lambda m, t: _weekday(t, 6, 1)),
        (r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week\b|\bthis\s+(?:week(?:end)?)\b",
         lambda m, t: _weekday(t, 6, 0)),
        (r"\b(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year\b", lambda m, t: date(t.year, 12, 31)),
        # early next month, mid-month, mid-December, the end of December, holidays
        (r"\b(?:early|the\s+(?:beginning|start)\s+of|the\s+first\s+week\s+of)\s+(?P<p>next|this|the)\s+month\b",
         lambda m, t: _part_of_month(t, "初", m["p"])),
        (r"\bmid[- ]?month\b|\b(?:the\s+)?middle\s+of\s+(?:the\s+|this\s+)?month\b",
         lambda m, t: _part_of_month(t, "中", None)),
        (r"\bmid[- ]?next[- ]month\b|\b(?:the\s+)?middle\s+of\s+next\s+month\b",
         lambda m, t: _part_of_month(t, "中", "next")),
        (rf"\b(?P<part>early|mid|late|(?:the\s+)?end\s+of)[- ]{_MONTH_NAME}",
         lambda m, t: _part_of_named_month(t, _MONTHS_EN.get(m["mon"].lower(), 0),
                                           _EN_PARTS[m["part"].split()[-1].lower()])),
        (r"\bchristmas(?:\s+eve)?\b|\bxmas\b", lambda m, t: _next_date(
            t, 12, 24 if "eve" in m[0].lower() else 25)),
        (r"\bnew\s+year'?s?\s+eve\b", lambda m, t: _next_date(t, 12, 31)),
        (r"\bnew\s+year'?s?(?:\s+day)?\b", lambda m, t: _next_date(t, 1, 1)),
        (r"\bthanksgiving\b", lambda m, t: _thanksgiving(t)),
        # next Monday, this Friday, Friday; last Friday is the past
        (r"\b(?:(?P<p>next|this|coming|this\s+coming|last)\s+)?(?P<w>monday|tuesday|wednesday"
         r"|thursday|friday|saturday|sunday)\b",
         lambda m, t: None if (m["p"] or "").lower() == "last" else _weekday(
             t, _WEEKDAYS_EN[m["w"].lower()], _week_shift(m["p"]))),
        (r"\b(?:the\s+)?day\s+after\s+tomorrow\b", lambda m, t: t + timedelta(days=2)),
        (r"\btomorrow\b|\btmrw?\b|\btmw\b", lambda m, t: t + timedelta(days=1)),
        # texting: fri, wed, thurs; sat and sun, which are words, only after by or on
        (r"\b(?:by|on|before|until|till?)\s+(?P<w>sat|sun)\b\.?",
         lambda m, t: _weekday(t, 5 if m["w"].lower() == "sat" else 6, None)),
        (r"\b(?P<w>mon|tues?|wed|thu(?:rs?)?|fri)\b\.?",
         lambda m, t: _weekday(t, _ABBREVIATED[m["w"].lower()[:3]], None)),
        # 3 days from today, a 10-day grace period from today: before "today" alone
        (r"\b(?P<n>\d+|an?)\s+(?P<u>days?|weeks?|months?)\s+from\s+(?:now|today)\b",
         lambda m, t: _add(t, m["n"], m["u"])),
        (r"\b(?P<n>\d+)[- ](?P<u>day|week|month)\s+(?:\w+\s+){0,3}?from\s+(?:now|today)\b",
         lambda m, t: _add(t, m["n"], m["u"])),
        (r"\btoday\b|\btonight\b|\bEOD\b|\bend\s+of\s+(?:the\s+)?day\b"
         r"(?!\s+(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day\b)",
         lambda m, t: t),
        (r"\byesterday\b", lambda m, t: None),
        (NOW, lambda m, t: t),
        # 下个月 / "next month" with no day: by the end of it
        (r"下个?月(?!\d|底|末|初|中|开始|起)", lambda m, t: t + relativedelta(months=1, day=31)),
        (r"(?<!starting )(?<!from )\bnext\s+month\b",
         lambda m, t: t + relativedelta(months=1, day=31)),
        # in two weeks, within 10 days, in a month, 3 days from now
        (r"\b(?:in|within)\s+(?:the\s+next\s+)?(?P<n>\d+|an?)\s+(?P<u>days?|weeks?|months?)\b",
         lambda m, t: _add(t, m["n"], m["u"])),
    ]
    return [(re.compile(pattern, re.IGNORECASE), resolve) for pattern, resolve in rules]


_DAY_RULES = _rules()



def find_days(text: str, today: date | None) -> list[DayMention]:
    """The days named in normalised `text`, in the order they appear, counted from `today`
    (the local day the words were said; None: not known)."""
    taken: list[DayMention] = []
    for pattern, resolve in _DAY_RULES:
        for match in pattern.finditer(text):
            if any(match.start() < d.end and d.start < match.end() for d in taken):
                continue
            if _AFTER.match(text, match.end()):
                continue   # 元旦以后, 春节后: after a day is no day to pay by
            if today is not None:
                day = resolve(match, today)
                # a day that is one on some other day has gone by; 2月30日 never is one
                gone = day is None and resolve(match, _SOME_MONDAY) is not None
                taken.append(DayMention(day, match.start(), match.end(), gone=gone))
            elif "y" in pattern.groupindex and match["y"]:   # a date with its year
                taken.append(DayMention(resolve(match, date.min), match.start(), match.end()))
            else:   # a day in the past stays one; any other cannot be counted
                past = resolve(match, _SOME_MONDAY) is None
                taken.append(DayMention(None, match.start(), match.end(), unresolved=not past))
    return sorted(taken, key=lambda d: d.start)


def due_at(day: date, clock: time | None, tz: ZoneInfo) -> datetime:
    """The moment a promise for `day` falls due: the time said, else the end of that day."""
    return datetime.combine(day, clock or END_OF_DAY, tzinfo=tz)
