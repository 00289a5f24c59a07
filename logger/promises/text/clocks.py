"""Times of day in what people say: 下午三点 -> 15:00, "by 5pm" -> 17:00, 中午 -> 12:00.

A time of day without 上午/下午 or am/pm from 1 to 6 o'clock is afternoon; a bare 1点 needs a
period word, a day before it, or 前/半/分 (减免一点 is "a little").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

END_OF_DAY = time(23, 59)


@dataclass(frozen=True)
class ClockMention:
    """A time of day named at text[start:end]."""

    clock: time
    start: int
    end: int


_NOON_ZH = re.compile(r"中午(?!\s*\d)")
_CLOCK_ZH = re.compile(
    r"(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|今晚|明晚)?\s*(?P<h>\d{1,2})\s*[点时]"
    r"(?:(?P<half>半)|(?P<m>\d{1,2})分?)?")
_CLOCK_ZH_CONTEXT_AFTER = re.compile(r"\s*(?:前|之前|以前|钟|左右|以内|之内|到|整)")
_CLOCK_ZH_CONTEXT_BEFORE = re.compile(r"(?:[天日号晚早]|(?:周|星期|礼拜)[一二三四五六日天])\s*$")
_CLOCK_EN = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?m\b\.?"
    r"|(?<![\d:])(?P<h24>\d{1,2}):(?P<m24>\d{2})(?![\d:])|\b(?P<word>noon|midday|midnight)\b", re.IGNORECASE)
_AFTERNOON = ("下午", "傍晚", "晚上", "今晚", "明晚")


def find_clocks(text: str) -> list[ClockMention]:
    """The times of day named in normalised `text` (下午三点 -> 15:00, "by 5pm" -> 17:00)."""
    found = [m for m in (_zh_clock(match) for match in _CLOCK_ZH.finditer(text)) if m]
    found += [ClockMention(time(12), *m.span()) for m in _NOON_ZH.finditer(text)]
    found += [m for m in (_en_clock(match) for match in _CLOCK_EN.finditer(text)) if m]
    return sorted(found, key=lambda c: c.start)


def _zh_clock(match: re.Match) -> ClockMention | None:
    """A Chinese time of day; a bare 1点 needs a period word, a day before it, or 前/半/分,
    because 减免一点 means "a little", not one o'clock."""
    period, text = match["period"], match.string
    in_context = (period or match["half"] or match["m"]
                  or _CLOCK_ZH_CONTEXT_AFTER.match(text, match.end())
                  or _CLOCK_ZH_CONTEXT_BEFORE.search(text[:match.start()]))
    if not in_context:
        return None
    hour, minute = int(match["h"]), 30 if match["half"] else int(match["m"] or 0)
    if (period in _AFTERNOON and hour < 12) or (period == "中午" and hour < 11) \
            or (period is None and 1 <= hour <= 6):
        hour += 12
    return _clock(hour, minute, match)


def _en_clock(match: re.Match) -> ClockMention | None:
    if match["word"]:
        word = match["word"].lower()
        return ClockMention(END_OF_DAY if word == "midnight" else time(12), *match.span())
    if match["h24"]:
        return _clock(int(match["h24"]), int(match["m24"]), match)
    hour = int(match["h"]) % 12 + (12 if match["ampm"].lower() == "p" else 0)
    return _clock(hour, int(match["m"] or 0), match)


def _clock(hour: int, minute: int, match: re.Match) -> ClockMention | None:
    if hour == 24 and minute == 0:
        return ClockMention(END_OF_DAY, *match.span())
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return ClockMention(time(hour, minute), *match.span())
