"""How a moment of the record is written out: always in local time, in the zone the reader is
given (a negotiation's zone, see logger.conduct.zone.negotiation_zone), never as UTC.

- For people (bundle texts, letters, the list, CLI lines): "2026-11-20 21:47".
- For machines (JSON, CSV, the manifest): ISO 8601 with the zone's offset,
  "2026-11-20T21:47:00+08:00", so the local clock time and the instant are both there.
- A value known only to the day (`TimePrecision.day`) is its date, "2026-11-20", in both:
  the stand-in instant stored for it is never shown.

Stored segment times ("time" in an ExtractedText segment: ISO text, usually UTC with `Z`) are
read with `parse_stored` and written with the same functions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from storage.models.types import TimePrecision

DAY, MINUTE = TimePrecision.day, TimePrecision.minute
HUMAN = "%Y-%m-%d %H:%M"
# The stand-in clock time of a day-precision value typed by a person (a payment, a contact):
# midday, so its date reads the same in any zone within 11 hours of the one it was typed in.
MIDDAY = time(12, 0)


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` (aware) in `zone`."""
    if moment.tzinfo is None:
        raise ValueError(f"naive time {moment.isoformat()} has no defined instant")
    return moment.astimezone(zone)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return local(moment, zone).date()


def human_time(moment: datetime | None, zone: ZoneInfo,
               precision: TimePrecision | str | None = MINUTE, *,
               seconds: bool = False) -> str | None:
    """"2026-11-20 21:47" (with `seconds`, "21:47:05"), or "2026-11-20" for a day-precision
    value; None for None."""
    if moment is None:
        return None
    when = local(moment, zone)
    if precision == DAY:
        return when.date().isoformat()
    return when.strftime(HUMAN + (":%S" if seconds else ""))


def machine_time(moment: datetime | None, zone: ZoneInfo,
                 precision: TimePrecision | str | None = MINUTE) -> str | None:
    """ISO 8601 in `zone` with its offset ("2026-11-20T21:47:00+08:00"; microseconds when
    there are any), or the bare date ("2026-11-20") for a day-precision value; None for None."""
    if moment is None:
        return None
    when = local(moment, zone)
    if precision == DAY:
        return when.date().isoformat()
    return when.isoformat(timespec="microseconds" if when.microsecond else "seconds")


def zone_label(zone: ZoneInfo, moment: datetime | None = None) -> str:
    """"Asia/Shanghai, UTC+08:00": the zone and its offset at `moment` (default: now)."""
    offset = (moment or datetime.now(UTC)).astimezone(zone).strftime("%z")
    return f"{zone.key}, UTC{offset[:3]}:{offset[3:]}" if offset else zone.key


def day_moment(day: date, zone: ZoneInfo, clock: time = MIDDAY) -> datetime:
    """The stand-in instant stored for a value known only to `day` in `zone`."""
    return datetime.combine(day, clock, tzinfo=zone)


def parse_stored(value: object) -> tuple[datetime | None, TimePrecision]:
    """A stored ISO text ("2026-11-20T13:47:00Z", "…+08:00", or a date "2026-11-20") as (aware
    datetime, precision); a bare date is midnight UTC of that date with `day` precision (write it
    with its precision and only the date shows). (None, minute) for anything else: a naive time
    says no instant and is not guessed."""
    if isinstance(value, datetime):
        return (value, MINUTE) if value.tzinfo else (None, MINUTE)
    if not isinstance(value, str) or not value.strip():
        return None, MINUTE
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(12), tzinfo=UTC), DAY
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, MINUTE
    return (moment, MINUTE) if moment.tzinfo else (None, MINUTE)


def human_stored(value: object, zone: ZoneInfo) -> str | None:
    """A stored segment time for people, local in `zone`; a text that is not a readable aware
    time is given back as it was written (it is what the source showed), None for none."""
    moment, precision = parse_stored(value)
    if moment is None:
        return str(value).strip() or None if value not in (None, "") else None
    if precision == DAY:
        return date.fromisoformat(str(value).strip()).isoformat()
    return human_time(moment, zone)
