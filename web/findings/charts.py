"""The geometry of the two charts on the findings page, drawn by the template as inline SVG:
contacts per day (the last 30 to 60 days up to the last day with a contact) and contacts per
hour of day (24 bars, the hours a time-of-day rule forbids shaded). Plain numbers only: the
words, dates and colours are the template's and the stylesheet's (the CSP allows no inline
styles, and SVG presentation attributes carry the sizes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from logger.conduct.report import DayCount, HourCount

WIDTH = 720
HEIGHT = 220
LEFT = 34          # room for the count labels
RIGHT = 24         # room for the last day's label
TOP = 10
BOTTOM = 30        # room for the day or hour labels
MIN_DAYS = 30
MAX_DAYS = 60
GAP = 0.2          # the share of a slot left empty between bars


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    y: float
    height: float
    # The part of a day's bar drawn darker: its contacts outside the allowed hours.
    marked_y: float
    marked_height: float


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class DayBar:
    day: DayCount
    bar: Bar
    label: bool          # whether the axis names this day


@dataclass(frozen=True)
class HourBar:
    hour: HourCount
    bar: Bar
    slot_x: float
    slot_width: float
    label: bool


@dataclass(frozen=True)
class Band:
    """A run of consecutive forbidden hours, shaded and labelled as one."""

    x: float
    width: float
    first_hour: int
    last_hour: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int          # where the plot ends (the axis lines)
    baseline: float
    ticks: tuple[Tick, ...]


@dataclass(frozen=True)
class DayChart(Chart):
    bars: tuple[DayBar, ...]
    first: date
    last: date


@dataclass(frozen=True)
class HourChart(Chart):
    bars: tuple[HourBar, ...]
    bands: tuple[Band, ...]
    top: float


def day_chart(per_day: tuple[DayCount, ...]) -> DayChart | None:
    """Contacts per day, one bar per calendar day with the empty days too (a quiet week is
    part of the record); None when there is nothing to draw."""
    if not any(d.contacts or d.findings for d in per_day):
        return None
    last = per_day[-1].date
    span = (last - per_day[0].date).days + 1
    days = min(MAX_DAYS, max(MIN_DAYS, span))
    first = last - timedelta(days=days - 1)
    known = {d.date: d for d in per_day}
    series = [known.get(first + timedelta(days=n)) or
              DayCount(first + timedelta(days=n), 0, 0, 0, 0) for n in range(days)]
    top = _nice_top(max(d.contacts for d in series))
    step = 7 if days > 35 else 5
    bars = tuple(DayBar(day, _bar(n, days, day.contacts, day.outside_hours, top),
                        label=(days - 1 - n) % step == 0)
                 for n, day in enumerate(series))
    return DayChart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, _baseline(), _ticks(top), bars, first, last)


def hour_chart(per_hour: tuple[HourCount, ...]) -> HourChart:
    """Contacts per local hour of day, with the runs of forbidden hours to shade."""
    top = _nice_top(max((h.contacts for h in per_hour), default=0))
    slot = (WIDTH - LEFT - RIGHT) / len(per_hour)
    bars = tuple(HourBar(h, _bar(n, len(per_hour), h.contacts, 0, top),
                         slot_x=LEFT + n * slot, slot_width=slot, label=h.hour % 3 == 0)
                 for n, h in enumerate(per_hour))
    return HourChart(WIDTH, HEIGHT, LEFT, WIDTH - RIGHT, _baseline(), _ticks(top), bars,
                     _bands(bars), TOP)


def _bands(bars: tuple[HourBar, ...]) -> tuple[Band, ...]:
    runs: list[list[HourBar]] = []
    for bar in bars:
        if not bar.hour.forbidden:
            continue
        if runs and runs[-1][-1].hour.hour == bar.hour.hour - 1:
            runs[-1].append(bar)
        else:
            runs.append([bar])
    return tuple(Band(round(run[0].slot_x, 2), round(sum(b.slot_width for b in run), 2),
                      run[0].hour.hour, run[-1].hour.hour) for run in runs)


def _baseline() -> float:
    return HEIGHT - BOTTOM


def _bar(index: int, count: int, value: int, marked: int, top: int) -> Bar:
    slot = (WIDTH - LEFT - RIGHT) / count
    plot = _baseline() - TOP
    height = plot * value / top
    marked_height = plot * marked / top
    return Bar(x=round(LEFT + index * slot + slot * GAP / 2, 2), width=round(slot * (1 - GAP), 2),
               y=round(_baseline() - height, 2), height=round(height, 2),
               marked_y=round(_baseline() - marked_height, 2),
               marked_height=round(marked_height, 2))


def _nice_top(value: int) -> int:
    """The axis maximum: the value rounded up to 1, 2 or 5 times a power of ten (at least 4,
    so a single contact does not fill the chart)."""
    value = max(value, 4)
    scale = 1
    while True:
        for factor in (1, 2, 5):
            if factor * scale >= value:
                return factor * scale
        scale *= 10


def _ticks(top: int) -> tuple[Tick, ...]:
    plot = _baseline() - TOP
    values = (0, top // 2, top) if top % 2 == 0 else (0, top)
    return tuple(Tick(round(_baseline() - plot * value / top, 2), value) for value in values)
