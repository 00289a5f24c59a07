"""The time stamps of a text export of messages (a phone's SMS export, a chat app's "export
chat", a copied conversation): the lines that say when a message was sent.

A message's time is written on a line of its own or before the message, with its year:
`2024-12-05 10:23:11 95188: 【某某银行】…`, `[2024/12/05 10:23] 张三：…`,
`2024年12月5日 下午3:05`, or after the sender's name on a header line:
`张三(13800138000) 2024-12-05 10:23:11`. A time in the middle of a message
("请于2024年12月12日 18:00前还款") or after a label ("还款截止时间：2024-12-12 18:00") is what a
message says, not when it was sent, and is not read. A stamp without a year, an impossible date
or an implausible one (before 1990, later than tomorrow) is skipped: nothing is guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from logger.intake.filemeta.common import is_plausible

_STAMP = (r"(?P<y>(?:19|20)\d\d)(?:[-/.]|年)(?P<mo>\d{1,2})(?:[-/.]|月)(?P<d>\d{1,2})日?"
          r"(?:\s*T|\s+|(?=[上下中晚凌早]))(?P<half>上午|下午|中午|晚上|凌晨|早上)?\s*"
          r"(?P<h>\d{1,2})[:：](?P<mi>\d\d)(?:[:：](?P<s>\d\d))?(?!\d)")
_OPEN, _CLOSE = r"[\[【(（<]?", r"[\]】)）>]?"
# The stamp opens the line (a message may follow it) ...
_LEADING = re.compile(rf"^\s*{_OPEN}\s*{_STAMP}\s*{_CLOSE}")
# ... or closes a short header line that names the sender (no label colon before it).
_SENDER = r"[^:：\d\n]{0,40}(?:[(（]?\+?[\d -]{3,20}[)）]?)?"
_TRAILING = re.compile(rf"^{_SENDER}\s*{_OPEN}\s*{_STAMP}\s*{_CLOSE}\s*$")
_AFTERNOON = ("下午", "晚上")


def message_times(text: str, tz: ZoneInfo, *, now: datetime | None = None) -> list[datetime]:
    """The times the lines of `text` were sent, in the order written, as aware UTC datetimes
    (a stamp without an offset is local time in `tz`)."""
    times = []
    for line in text.splitlines():
        match = _LEADING.match(line) or _TRAILING.match(line)
        moment = _moment(match, tz) if match else None
        if moment is not None and is_plausible(moment, now):
            times.append(moment)
    return times


def _moment(match: re.Match, tz: ZoneInfo) -> datetime | None:
    hour, half = int(match["h"]), match["half"]
    if half in _AFTERNOON and hour < 12 or half == "中午" and hour < 11:
        hour += 12
    elif half == "凌晨" and hour == 12:
        hour = 0
    try:
        local = datetime(int(match["y"]), int(match["mo"]), int(match["d"]), hour,
                         int(match["mi"]), int(match["s"] or 0), tzinfo=tz)
    except ValueError:
        return None
    return local.astimezone(UTC)
