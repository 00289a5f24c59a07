"""The calls of imported call logs as lines of a negotiation's timeline: one line per call (time,
number, name, type, duration), each naming the exported file it was read from and its line
there. `logger.record.timeline` places them among the evidence, page by page, as it places the
ledger; the exported file itself is not a line of its own (it is the calls' source).

A call the borrower made (outgoing) is from them; every other type is a call from the other
side, as `logger.conduct` reads it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from logger.record.timeline_flags import ConductFlag
from logger.record.trash import live
from storage.models import CallLogEntry, CallType, Channel, Direction, Evidence

KIND = "call_log"


@dataclass(frozen=True)
class CallLine:
    """One imported call. `source_evidence_id` / `source_filename` / `source_line`: the
    exported file (an evidence item) and where in it the call is; `findings`: the conduct
    findings about this call (filled by `read_timeline`)."""

    id: int
    occurred_at: datetime
    number: str
    name: str | None
    call_type: CallType
    duration_s: int
    source_evidence_id: int
    source_filename: str
    source_line: int
    findings: tuple[ConductFlag, ...] = ()
    kind: str = KIND
    channel: Channel = Channel.call

    @property
    def direction(self) -> Direction:
        return Direction.from_me if self.call_type == CallType.outgoing else Direction.from_them


def call_lines(session: Session, negotiation_id: int, *, start: datetime | None = None,
               end: datetime | None = None,
               direction: Direction | None = None) -> list[CallLine]:
    """The imported calls from `start` (inclusive) to `end` (exclusive), either may be None,
    oldest first; only the borrower's own calls (`from_me`) or only the other side's
    (`from_them`) when `direction` says so (`unknown`: none, every call's direction is in
    its log)."""
    query = (select(CallLogEntry, Evidence.original_filename)
             .join(Evidence, Evidence.id == CallLogEntry.evidence_id)
             .where(CallLogEntry.negotiation_id == negotiation_id, live()))
    if start is not None:
        query = query.where(CallLogEntry.started_at >= start)
    if end is not None:
        query = query.where(CallLogEntry.started_at < end)
    if direction == Direction.from_me:
        query = query.where(CallLogEntry.call_type == CallType.outgoing)
    elif direction == Direction.from_them:
        query = query.where(CallLogEntry.call_type != CallType.outgoing)
    elif direction is not None:
        return []
    rows = session.exec(query.order_by(CallLogEntry.started_at, CallLogEntry.id)).all()
    return [_line(row, filename) for row, filename in rows]


def calls_in_file(session: Session, evidence_id: int) -> list[CallLine]:
    """The calls read from one exported call log (an evidence item), oldest first; [] for any
    other item."""
    rows = session.exec(select(CallLogEntry, Evidence.original_filename)
                        .join(Evidence, Evidence.id == CallLogEntry.evidence_id)
                        .where(CallLogEntry.evidence_id == evidence_id)
                        .order_by(CallLogEntry.started_at, CallLogEntry.id)).all()
    return [_line(row, filename) for row, filename in rows]


def shown_channels(channels: Collection[Channel] | None) -> bool:
    """Whether a timeline narrowed to `channels` shows calls."""
    return not channels or Channel.call in {Channel(c) for c in channels}


def _line(row: CallLogEntry, filename: str) -> CallLine:
    return CallLine(id=row.id, occurred_at=row.started_at, number=row.number, name=row.name,
                    call_type=CallType(row.call_type), duration_s=row.duration_s,
                    source_evidence_id=row.evidence_id, source_filename=filename,
                    source_line=row.line)
