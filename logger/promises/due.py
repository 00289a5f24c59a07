"""When a promise falls due. A due date given without a clock time (`due_precision` day) is
kept as that day at 23:59 in the promise's zone, a stand-in that keeps the day wherever it is
read; the promise is due by the end of that local day (`deadline`), and the date alone is
shown (`due_text`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logger.record.moments import human_time, machine_time
from storage.models.promises import Promise
from storage.models.types import TimePrecision

DATE_ONLY_DUE = time(23, 59)


def date_only_due(day: date, tz: ZoneInfo) -> datetime:
    """The `due_at` stored for a promise due on `day` (a date) with no clock time said."""
    return datetime.combine(day, DATE_ONLY_DUE, tzinfo=tz)


def deadline(promise: Promise) -> datetime | None:
    """The last moment the promise can still be kept: its due time; for one due on a date
    (`due_precision` day), the end of that day in the promise's zone. None: no due date."""
    if promise.due_at is None:
        return None
    if promise.due_precision != TimePrecision.day:
        return promise.due_at
    tz = zone_of(promise)
    day = promise.due_at.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=tz) - timedelta(microseconds=1)


def zone_of(promise: Promise) -> ZoneInfo:
    """The zone the promise was given in (UTC if this machine does not know it)."""
    try:
        return ZoneInfo(promise.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def due_text(promise: Promise, tz: ZoneInfo | None = None) -> str | None:
    """The due time for people, local in `tz` (default: the promise's zone): "2024-12-13
    18:00"; a date given without a clock time is that date ("2024-12-13"), as given."""
    return human_time(promise.due_at, due_zone(promise, tz), promise.due_precision)


def due_iso(promise: Promise, tz: ZoneInfo | None = None) -> str | None:
    """The due time for machines: ISO 8601 local in `tz` with its offset, or the bare date."""
    return machine_time(promise.due_at, due_zone(promise, tz), promise.due_precision)


def due_zone(promise: Promise, tz: ZoneInfo | None) -> ZoneInfo:
    """The zone to read the due time in: a date is read in the promise's own zone (it is that
    day there), a time in `tz` when given."""
    if tz is None or promise.due_precision == TimePrecision.day:
        return zone_of(promise)
    return tz

