"""The calls of an exported call log in a bundle: the file is one exhibit (its original, byte for
byte, is the source), and each call it holds is listed under it, one row per call (time, number,
name, type, duration, and the line of the file it was read from), in the evidence list and in
its text file (`texts/<stem>.calls.txt`) instead of the file's raw text.

`attach_calls(session, exhibits, ...)` fills `Exhibit.calls` and names such an exhibit for what
it is; `logger.bundles.listing` and `logger.bundles.texts` print the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.bundles.items import Exhibit, local_time
from logger.conduct.inputs import CALL_TYPE_WORDS
from logger.i18n import NC_, translate
from storage.models import CallLogEntry, CallType


@dataclass(frozen=True)
class CallRow:
    """One call under its exhibit: `number` "1-3.2" (the second call of exhibit 1-3), `when`
    its local time as people read it, `at` the moment itself, `description` what it was,
    `source` where in the exhibit it is."""

    number: str
    when: str
    description: str
    source: str
    at: datetime | None = None  # the call's start (the CSV writes it with its offset)


def attach_calls(session: Session, exhibits: Sequence[Exhibit], *, language: str,
                 tz: ZoneInfo) -> None:
    """For each exhibit that is an exported call log: its calls as rows (oldest first), and
    its name, source, time and file name saying what it is."""
    by_file = _calls_by_file(session, [e.evidence.id for e in exhibits])
    for exhibit in exhibits:
        rows = by_file.get(exhibit.evidence.id)
        if not rows:
            continue
        first, last = local_time(rows[0].started_at, tz), local_time(rows[-1].started_at, tz)
        exhibit.calls = [_row(exhibit, n, row, language, tz) for n, row in enumerate(rows, 1)]
        exhibit.name = translate(
            language, "Call log exported from my phone: %(count)s calls, %(first)s to "
                      "%(last)s", count=len(rows), first=first, last=last)
        exhibit.source = translate(
            language, "Call log exported from my phone; original file name: %(name)s",
            name=exhibit.evidence.original_filename)
        exhibit.formed_at = first if first == last else f"{first} – {last}"
        day = local_time(rows[0].started_at, tz, with_time=False)
        suffix = exhibit.original_path.rpartition(exhibit.stem)[2]
        exhibit.stem = "_".join([exhibit.number, day, translate(
            language, NC_("file name", "call-log"))])
        exhibit.original_path = f"evidence/{exhibit.stem}{suffix}"


def call_description(row: CallLogEntry, language: str) -> str:
    """"Missed call, 13800138000 (Wang), 0 min 00 s"."""
    who = row.number or translate(language, "hidden number")
    if row.name:
        who = translate(language, "%(number)s (%(name)s)", number=who, name=row.name)
    minutes, seconds = divmod(row.duration_s, 60)
    return translate(language, "%(call)s, %(who)s, %(duration)s",
                     call=translate(language, CALL_TYPE_WORDS[CallType(row.call_type)]),
                     who=who, duration=translate(
                         language, "%(minutes)d min %(seconds)02d s", minutes=minutes,
                         seconds=seconds))


def _row(exhibit: Exhibit, n: int, row: CallLogEntry, language: str, tz: ZoneInfo) -> CallRow:
    return CallRow(
        number=f"{exhibit.number}.{n}", when=local_time(row.started_at, tz), at=row.started_at,
        description=call_description(row, language),
        source=translate(language, "Exhibit %(number)s (call log), line %(line)s",
                         number=exhibit.number, line=row.line))


def _calls_by_file(session: Session, evidence_ids: list[int]) -> dict[int, list[CallLogEntry]]:
    if not evidence_ids:
        return {}
    out: dict[int, list[CallLogEntry]] = {}
    for row in session.exec(select(CallLogEntry)
                            .where(CallLogEntry.evidence_id.in_(evidence_ids))
                            .order_by(CallLogEntry.started_at, CallLogEntry.id)):
        out.setdefault(row.evidence_id, []).append(row)
    return out
