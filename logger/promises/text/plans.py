"""Instalment plans in what people say: "分3期，每月15号还1000" -> three dated instalments.

A plan is read from its parts, each optional: the number of instalments (分3期, "3 payments"),
the sum of each (每期1000, "$200 a month") and of all (12000分6期, "a total of 3000"), a down
payment (先还2000), the day (每月15号, 每周五, "on the 15th of each month") and when it starts
(从下个月开始, an explicit day). What is missing is derived where arithmetic allows (count =
total / each; each = total / count, the last instalment taking the rounding) and left None
where it does not: no dates are made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from logger.promises.text.amounts import Amount
from logger.promises.text.dates import DayMention, due_at

_COUNT = re.compile(
    r"分\s*(\d+)\s*(?:期|次|个月)|(?<!第)(\d+)\s*期|(\d+)\s*个月(?:还清|还完)"
    r"|\b(\d+)\s+(?:monthly\s+|weekly\s+|equal\s+)?(?:instal+ments|payments)\b"
    r"|\b(?:over|for)\s+(?:the\s+next\s+)?(\d+)\s+(?:months|weeks)\b", re.IGNORECASE)
_WEEKLY = re.compile(r"每(?:个)?(?:周|星期|礼拜)|\b(?:every|each|per|a)\s+week\b|\bweekly\b"
                     r"|\bevery\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)
_MONTH_PART = re.compile(r"每(?:个)?月(?:的)?月?(初|中|底|末|最后一[日天])")
# 自2025年1月起, 从1月份开始: the month the plan starts in.
_START_MONTH_ZH = re.compile(r"(?:自|从)\s*(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月份?(?:起|开始)")
_MONTH_DAY = re.compile(
    r"每(?:个)?月(?:的)?(\d{1,2})[号日]|\b(\d{1,2})(?:st|nd|rd|th)\s+(?:of\s+)?(?:each|every|the)"
    r"\s+month\b|\bevery\s+month\s+on\s+the\s+(\d{1,2})", re.IGNORECASE)
_STARTS_NEXT_MONTH = re.compile(r"从?下个?月(?:开始|起)|\b(?:starting|from|beginning)\s+next\s+month",
                                re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_START_MONTH = re.compile(r"\b(?:starting|beginning|from|commencing)\s+(?:in\s+)?(?P<mon>jan|feb|mar|apr|may"
                          r"|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b(?!\s+\d)", re.IGNORECASE)
_START_BEFORE = re.compile(r"(?:\bstarting|\bbeginning|\bfrom|\bcommencing|从)\s*(?:on\s+)?$",
                           re.IGNORECASE)
_EACH_BEFORE = re.compile(r"(?:每期|每月|每个月|每次|每周|一期|(?<!\d)1个月|每(?:两|半个|\d+)个?(?:周|月|礼拜|星期)"
                          r"|(?<![第\d])(?:一次|1次)(?!性)|各(?:还|付|转|给)"
                          r"|每(?:个)?月(?:的)?\s*\d{1,2}\s*[号日]\s*(?:之?前)?\s*(?:还|付|转|交|给)?\s*$"
                          r"|\beach|\bper|payments?\s+of"
                          r"|instal+ments?\s+of)[^\d]{0,8}$", re.IGNORECASE)
_EACH_AFTER = re.compile(r"\s*(?:一期|每期|/\s*month|a\s+month|per\s+month|a\s+week|per\s+week"
                         r"|each)", re.IGNORECASE)
_TOTAL_BEFORE = re.compile(r"(?:共|一共|总共|总计|全部|剩下的?|剩余|余下|\btotal(?:\s+of)?|"
                           r"\bbalance(?:\s+of)?|\bremaining|\bthe\s+rest)[^\d]{0,8}$",
                           re.IGNORECASE)
_TOTAL_AFTER = re.compile(r"\s*分\s*\d+\s*(?:[期次]|个月)|\s+over\s+\d+\s+(?:months|weeks)|\s+in\s+\d+\s+(?:instal|payments)", re.IGNORECASE)
# A day said as the first instalment's (首期下个月初, "first payment this Friday").
_FIRST_BEFORE = re.compile(r"(?:首期|第[一1]期|首次|第[一1]次|第[一1]笔)(?:还款日?|付款日?)?(?:为|在|是|从|定在|就)?\s*$"
                           r"|从\s*$"
                           r"|\bfirst\s+(?:payment|instal+ment)\s+(?:is\s+|due\s+|on\s+)*$",
                           re.IGNORECASE)
_DOWN_BEFORE = re.compile(r"(?:先|首付|首期|首次)(?:还|付|给|交|转)?[^\d]{0,3}$"
                          r"|\bdown\s+payment\s+of\s*$|\bfirst\s+pay\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Instalment:
    """One payment of a plan, numbered from 1; `due` and `amount` are None when not said."""

    number: int
    due: datetime | None
    amount: Decimal | None


@dataclass(frozen=True)
class Plan:
    """What a plan sentence says: the regular instalment, the total, and the schedule."""

    each: Decimal | None
    total: Decimal | None
    currency: str | None
    instalments: tuple[Instalment, ...]
    first_due: datetime | None
    # Its days were said relative to a moment that is not known (每月15号 with no date).
    unresolved: bool = False


def read_plan(text: str, amounts: list[Amount], days: list[DayMention], *, today: date | None,
              tz: ZoneInfo) -> Plan:
    """The plan in normalised `text`; `amounts` and `days` were found in that same text,
    counted from `today` (None: the day the words were said is not known, so no day that
    counts from it is dated)."""
    down, each, total = _split_amounts(text, amounts)
    count = _count(text, each, total)
    if count and each is None and total is not None:
        each = (total / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    down_day = _down_day(down, days) if down else None
    first = _first_day(text, [d for d in days if d is not down_day], today)
    weekly = bool(_WEEKLY.search(text))
    schedule = [_step(first, i, weekly) for i in range(count or 0)]
    amounts_due = _instalment_amounts(each, total, count or 0)
    instalments = ([Instalment(0, due_at(down_day.day, None, tz) if down_day else None,
                               down.value)] if down else [])
    instalments += [Instalment(i + 1, due_at(day, None, tz) if day else None, amount)
                    for i, (day, amount) in enumerate(zip(schedule, amounts_due))]
    if down:
        instalments = [Instalment(i + 1, p.due, p.amount) for i, p in enumerate(instalments)]
    known = [p.amount for p in instalments]
    plan_total = sum(known, Decimal(0)) if known and None not in known else total
    currency = next((a.currency for a in amounts), None)
    unresolved = today is None and (bool(_MONTH_DAY.search(text))
                                    or any(d.unresolved for d in days))
    return Plan(each, plan_total, currency, tuple(instalments),
                due_at(first, None, tz) if first else None, unresolved)


def _split_amounts(text: str, amounts: list[Amount]
                   ) -> tuple[Amount | None, Decimal | None, Decimal | None]:
    """(down payment, each instalment, total) among the sums said."""
    down = each = total = None
    unmarked = []
    for amount in amounts:
        before, after = text[max(0, amount.start - 20):amount.start], text[amount.end:]
        each_mark, total_mark = _EACH_BEFORE.search(before), _TOTAL_BEFORE.search(before)
        if down is None and _DOWN_BEFORE.search(before):
            down = amount
        elif each_mark and not (total_mark and total_mark.start() > each_mark.start()):
            # 每月20号还800，分5期: 800 a month, not in all; 剩下的我每个月还1500: the nearer
            # word says which
            each = each or amount.value
        elif _TOTAL_BEFORE.search(before) or _TOTAL_AFTER.match(after):
            total = total or amount.value
        elif _EACH_AFTER.match(after):
            each = each or amount.value
        else:
            unmarked.append(amount.value)
    for value in unmarked:   # a sum said plainly is the instalment, then the total
        if each is None:
            each = value
        elif total is None and value > each:
            total = value
    return down, each, total


def _count(text: str, each: Decimal | None, total: Decimal | None) -> int | None:
    match = _COUNT.search(text)
    if match:
        count = int(next(g for g in match.groups() if g))
        return count if 1 <= count <= 120 else None
    if each and total and total % each == 0:
        return int(total / each)
    return None


def _first_day(text: str, days: list[DayMention], today: date | None) -> date | None:
    """The day of the first regular instalment: the day said as the first's (首期下个月初), else
    the plan's day of the month (next month's when it starts next month), else the first day
    said, else None."""
    match = _MONTH_DAY.search(text)
    month_day = int(next(g for g in match.groups() if g)) if match else None
    part = _MONTH_PART.search(text)
    if month_day is None and part:
        month_day = {"初": 5, "中": 15}.get(part[1][:1], 31)
    starts_next_month = bool(_STARTS_NEXT_MONTH.search(text))
    if today is None:
        return None if month_day else next((d.day for d in days if d.day), None)
    named = next((d.day for d in days if d.day and _FIRST_BEFORE.search(text[:d.start])), None)
    if named:
        return named
    start_zh = _START_MONTH_ZH.search(text)
    if start_zh:   # 自2025年1月起，于每月20日前
        year = int(start_zh["y"]) if start_zh["y"] else today.year
        first = date(year, int(start_zh["m"]), 1) + relativedelta(day=month_day or 1)
        return first if first >= today else first + relativedelta(years=1, day=month_day or 1)
    start = _START_MONTH.search(text)
    if start:   # "on the 10th, starting January"
        month_day = month_day or next((d.day.day for d in days if d.day), None) or 1
        first = date(today.year, _MONTHS[start["mon"][:3].lower()], 1) + relativedelta(
            day=month_day)
        return first if first >= today else first + relativedelta(years=1, day=month_day)
    if month_day:
        first = today + relativedelta(months=1 if starts_next_month else 0, day=month_day)
        if first < today:
            first += relativedelta(months=1, day=month_day)
        return first
    starting = [d for d in days if d.day and _START_BEFORE.search(text[:d.start])]
    return next((d.day for d in starting + days if d.day), None)


def _step(first: date | None, index: int, weekly: bool) -> date | None:
    if first is None:
        return None
    return first + (relativedelta(weeks=index) if weekly else relativedelta(months=index))


def _instalment_amounts(each: Decimal | None, total: Decimal | None,
                        count: int) -> list[Decimal | None]:
    """Each instalment's sum; when the sums come from dividing a total, the last one takes the
    rounding so that they add up to it."""
    amounts: list[Decimal | None] = [each] * count
    if count and each is not None and total is not None and each * count != total:
        amounts[-1] = total - each * (count - 1)
    return amounts


def _down_day(down: Amount, days: list[DayMention]) -> DayMention | None:
    """The day of a down payment: the one said just before it (15号之前，我先还3000) or right
    after it (先还2000，下周五)."""
    before = [d for d in days if d.day and d.end <= down.start]
    after = [d for d in days if d.day and 0 <= d.start - down.end <= 8]
    return before[-1] if before else (after[0] if after else None)
