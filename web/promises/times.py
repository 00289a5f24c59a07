"""Times on the promise pages: in the zone of the page (its negotiation's, web.zone), and a value known only to the day (a due
date or a payment given without a clock time) as its date alone, never with its stand-in time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import format_date, format_datetime

from storage.models.promises import Promise
from storage.models.types import TimePrecision
from web.zone import page_zone


def local_parts(moment: datetime, precision: str | None = None,
                zone: str | None = None) -> tuple[str, str]:
    """A stored time as the date and time inputs show it, in the page's zone; a value known
    only to the day (`precision` "day") has an empty time, and is read in its own `zone`."""
    if precision == TimePrecision.day:
        return moment.astimezone(_zone(zone)).date().isoformat(), ""
    local = moment.astimezone(page_zone())
    return local.date().isoformat(), local.strftime("%H:%M")


def when(moment: datetime | None, precision: str | None = None, fmt: str = "medium",
         zone: str | None = None) -> str:
    """A stored time as the page shows it: date and time in the page's zone, or the date
    alone for a value known only to the day (read in its own `zone` when it has one)."""
    if moment is None:
        return ""
    if precision == TimePrecision.day:
        return format_date(moment.astimezone(_zone(zone)).date(), fmt)
    return format_datetime(moment, fmt)


def due_when(promise: Promise, fmt: str = "medium") -> str:
    """When a promise falls due, as the page shows it."""
    return when(promise.due_at, promise.due_precision, fmt, promise.timezone)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else page_zone()
    except (ZoneInfoNotFoundError, ValueError):
        return page_zone()
