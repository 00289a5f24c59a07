"""Dates and amounts as a letter writes them, in the reader's language: Chinese letters write
2024年12月3日 and 人民币 2,000.00 元, English ones December 3, 2024 and CNY 2,000.00 ($2,000.00
for dollars). For every letter Liuhen drafts (complaints, hardship applications); lists and
machine-readable files write moments as logger.record.moments does."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from storage.models.types import TimePrecision

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def written_day(day: date, language: str) -> str:
    """2024年12月3日 / December 3, 2024."""
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def written_when(moment: datetime | None, tz: ZoneInfo, precision: object = None,
                 language: str = "zh", *, twelve_hour: bool = False) -> str:
    """2024年12月3日 22:30 / December 3, 2024, 22:30 (December 3, 2024, 10:30 p.m. with
    `twelve_hour`); the date alone when only the date is known; "" for None."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    day = written_day(local.date(), language)
    if str(precision) == TimePrecision.day:
        return day
    if language == "zh":
        return f"{day} {local:%H:%M}"
    if twelve_hour:
        hour = local.hour % 12 or 12
        return f"{day}, {hour}:{local:%M} {'a.m.' if local.hour < 12 else 'p.m.'}"
    return f"{day}, {local:%H:%M}"


def written_money(amount: Decimal | None, currency: str, language: str) -> str:
    """人民币 2,000.00 元 / CNY 2,000.00 / $2,000.00; "" for None."""
    if amount is None:
        return ""
    figure = f"{amount:,.2f}"
    if language == "zh":
        return f"人民币 {figure} 元" if currency == "CNY" else f"{figure} {currency}"
    return f"${figure}" if currency == "USD" else f"{currency} {figure}"
