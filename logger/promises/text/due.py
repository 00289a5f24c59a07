"""The due time a statement names, counted from when it was said (`anchors.Said`), and the
record of how it was found (`anchors.DueBasis`) that every suggestion carries."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from logger.promises.text.anchors import DueBasis, Said
from logger.promises.text.clocks import ClockMention
from logger.promises.text.dates import NOW, DayMention, due_at
from storage.models.types import TimePrecision

_NOW = re.compile(NOW, re.IGNORECASE)


class Clause(Protocol):
    """A piece of a sentence with the days and times of day named in its `text`."""

    text: str
    days: list[DayMention]
    clocks: list[ClockMention]


@dataclass(frozen=True)
class Due:
    """A due time found in the words: `at` (None when it cannot be counted), whether a time
    was said (`precision`), the words that named it, and `unresolved`: a day or time was said,
    but the moment the words were said is not known well enough to count it."""

    at: datetime | None = None
    precision: TimePrecision = TimePrecision.day
    words: str | None = None
    unresolved: bool = False


def due_fields(due: Due | None, when: Said | Any) -> dict[str, Any]:
    """A suggestion's due, its precision and its basis (what it was counted from); `when` is
    a Said, or anything with one as `.when`."""
    due = due or Due()
    when = getattr(when, "when", when)
    return {"due": due.at, "due_precision": due.precision,
            "basis": DueBasis(when.anchor, when.at, when.precision, due.words, due.unresolved)}


def find_due(clauses: list[Clause], when: Said, tz: ZoneInfo) -> Due | None:
    """When the first day said in `clauses` falls due, at the time said with it if any; "now"
    (现在) only when no other day is said (你 这 笔 欠款 现在 一共 是 两万三 …… 必须 月底 之前: the
    end of the month). A time said without a day is the day's it was said on, or the next
    one's once it has passed (so it needs the clock time the words were said at); a day's hour
    may be said in the clause after it."""
    days = [(c, d) for c in clauses for d in c.days if d.day or d.unresolved]
    if any(not _NOW.fullmatch(c.text[d.start:d.end]) for c, d in days):
        clauses = [replace(c, days=[d for d in c.days
                                    if not _NOW.fullmatch(c.text[d.start:d.end])])
                   for c in clauses]
    return _first_due(clauses, when, tz)


def _first_due(clauses: list[Clause], when: Said, tz: ZoneInfo) -> Due | None:
    for n, clause in enumerate(clauses):
        mention = next((d for d in clause.days if d.day or d.unresolved), None)
        clock = clause.clocks[0] if clause.clocks else None
        if clock is not None:   # 今天上午承诺明天下午三点前还款: the day the hour is said with
            mention = next((d for d in reversed(clause.days) if (d.day or d.unresolved)
                            and d.end <= clock.start), mention)
        clock_words = clause.text[clock.start:clock.end] if clock else ""
        if mention is not None and clock is None:
            # 今天下班前，下午五点之前: the hour said in the next clause, which names no day
            after = next((c for c in clauses[n + 1:n + 2] if c.clocks and not c.days), None)
            if after is not None:
                clock = after.clocks[0]
                clock_words = after.text[clock.start:clock.end]
        if mention is not None:
            words = " ".join(w for w in (clause.text[mention.start:mention.end], clock_words)
                             if w)
            if mention.day is None:
                return Due(words=words, unresolved=True)
            return Due(due_at(mention.day, clock.clock if clock else None, tz),
                       TimePrecision.minute if clock else TimePrecision.day, words)
        if clock:
            if not when.clock_known:
                return Due(words=clock_words, unresolved=True)
            moment = when.at
            today = moment.date() if clock.clock >= moment.time() else \
                moment.date() + timedelta(1)
            return Due(due_at(today, clock.clock, tz), TimePrecision.minute, clock_words)
    return None
