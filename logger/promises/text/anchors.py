"""What a relative day (下周五, "by Friday", 15号) is counted from: the moment the words were said.

In order: the message's own time (a chat bubble's stamp, an SMS's time, a timestamped line of a
text export), else the call's start plus the second in the recording, else the item's own time.
When none is known the words are not dated: a relative day then gives no due date, and the
suggestion says so and asks a person for it. Nothing here counts from the upload or from today.

`DueBasis` records, on each suggestion, what was counted from and which words named the day, so
a person sees "下周五 → 2024-12-13, counted from the SMS of 2024-12-05 10:31" and can check it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from logger.record.moments import machine_time, parse_stored
from storage.models.types import TimePrecision

DAY, MINUTE = TimePrecision.day, TimePrecision.minute

# A line of a text export that starts with its message's date and time:
# "2024-12-05 10:31", "2024/12/05 10:31:07", "2024年12月5日 10:31", "[2024-12-05 10:31]".
_STAMPED_LINE = re.compile(
    r"^\s*[\[【(（]?\s*(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*"
    r"(?P<d>\d{1,2})\s*日?[\sT]+(?P<h>\d{1,2})[:：](?P<min>\d{2})(?:[:：](?P<s>\d{2}))?"
    r"\s*[\]】)）]?\s*")


class Anchor(StrEnum):
    """What a suggestion's relative days were counted from."""

    message = "message"   # the message's own time (a chat stamp, an SMS, a stamped line)
    call = "call"         # the recording's start plus the second the words were said
    item = "item"         # the item's own time (its occurred_at)
    given = "given"       # a time a person gave (`liuhen promises suggest --at`)
    none = "none"         # nothing dates the words: relative days cannot be counted


@dataclass(frozen=True)
class Said:
    """When some words were said: `at` (aware, local; None when not known), how precisely,
    and what that moment is (`anchor`)."""

    at: datetime | None
    precision: TimePrecision
    anchor: Anchor

    @property
    def today(self) -> date | None:
        """The local day the words were said on, the day relative days count from."""
        return self.at.date() if self.at is not None else None

    @property
    def clock_known(self) -> bool:
        return self.at is not None and self.precision != DAY


@dataclass(frozen=True)
class DueBasis:
    """How a suggestion's due date was found. `words`: the words that named it (下周五);
    `unresolved`: a day was said but nothing dates the words, so there is no due date."""

    anchor: Anchor
    at: datetime | None
    precision: TimePrecision
    words: str | None = None
    unresolved: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: `at` local ISO with its offset, or a bare date for a day."""
        return {"anchor": str(self.anchor),
                "at": machine_time(self.at, self.at.tzinfo, self.precision) if self.at
                else None,
                "precision": str(self.precision), "words": self.words,
                "unresolved": self.unresolved}


def given(at: datetime | None, tz: ZoneInfo, *, anchor: Anchor = Anchor.given,
          precision: TimePrecision = MINUTE) -> Said:
    """Words said at `at` (a naive time is read in `tz`), or at an unknown moment (None)."""
    if at is None:
        return Said(None, MINUTE, Anchor.none)
    moment = (at if at.tzinfo else at.replace(tzinfo=tz)).astimezone(tz)
    return Said(moment, TimePrecision(precision), anchor)


def segment_said(segment: Mapping[str, Any], item: Said, tz: ZoneInfo) -> Said:
    """When a stored segment was said: its own "time" (a message), else the item's time plus
    its "start" (a recording; only when the item's clock time is known), else the item's."""
    own, precision = _segment_time(segment.get("time"), tz)
    if own is not None:
        return Said(own.astimezone(tz), precision, Anchor.message)
    start = segment.get("start")
    if item.at is not None and isinstance(start, (int, float)) and item.clock_known:
        return Said(item.at + timedelta(seconds=float(start)), MINUTE, Anchor.call)
    return item


def _segment_time(value: object, tz: ZoneInfo) -> tuple[datetime | None, TimePrecision]:
    """A segment's stored time; one without an offset is the local time the message showed,
    read in `tz` (an unreadable one is no time: the item's will do)."""
    own, precision = parse_stored(value)
    if own is not None:
        return own, precision
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz), MINUTE
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).replace(tzinfo=tz), MINUTE
        except ValueError:
            return None, MINUTE
    return None, MINUTE


def stamped_messages(text: str, tz: ZoneInfo) -> list[dict[str, Any]] | None:
    """A text export whose lines start with their message's date and time, as segments
    {"text", "time"} (a line without a stamp continues the message above it); None when no
    line has a stamp (the text is one piece, said at the item's time)."""
    messages: list[dict[str, Any]] = []
    lead: list[str] = []
    for line in text.splitlines():
        match = _STAMPED_LINE.match(line)
        stamp = _stamp(match, tz) if match else None
        if stamp is None:
            (messages[-1]["lines"] if messages else lead).append(line)
            continue
        messages.append({"time": stamp, "lines": [line[match.end():]]})
    if not messages:
        return None
    found = [{"text": "\n".join(lead), "time": None}] if "".join(lead).strip() else []
    return found + [{"text": "\n".join(m["lines"]), "time": m["time"]} for m in messages]


def _stamp(match: re.Match, tz: ZoneInfo) -> str | None:
    try:
        moment = datetime(int(match["y"]), int(match["m"]), int(match["d"]), int(match["h"]),
                          int(match["min"]), int(match["s"] or 0), tzinfo=tz)
    except ValueError:
        return None
    return moment.isoformat()
