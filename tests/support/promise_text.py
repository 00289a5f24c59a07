"""The promise-text tests' reading: words said on a Tuesday afternoon in Shanghai, and each
suggestion they give as (who, kind, amount, due date)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from logger.promises.text import suggest_promises

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 12, 3, 15, 30, tzinfo=SHANGHAI)   # a Tuesday
TODAY = AT.date()


def found(text: str, **kw) -> list[tuple]:
    """(who, kind, amount, due date) of each suggestion; said at AT unless `at` is given."""
    return [(s.who, s.kind, s.amount, s.due.date() if s.due else None)
            for s in suggest_promises(text, at=kw.pop("at", AT), **kw)]
