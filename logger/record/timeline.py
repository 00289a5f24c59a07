"""A negotiation's timeline: everything on record in time order, one page at a time, with what
the UI shows for each line (a one-line summary, the job in progress or failed, flags).

`read_timeline` gives the whole of a page, for the web page and the JSON API alike: the evidence
(calls, chats, emails, letters, notes ...) as `TimelineItem`s, each with the conduct findings
about it (`logger.record.timeline_flags`), and among them, from the same stretch of time, the
calls of imported call logs as `logger.record.timeline_calls.CallLine`s (one per call, with its
findings; the exported file itself is their source, not a line) and the promises, payments and
sent reminders as `logger.promises.ledger.LedgerItem`s, with their flags ("promise_due_soon",
"promise_missed", "late"). `timeline_page` is its first step: the evidence alone.

Pages use keyset pagination on the evidence's (time, id): a page deep in a 10,000-item
negotiation costs the same as the first. An item whose time is unknown sorts as if it happened at
the end of time (first when the newest come first), so people see what still needs a date. The
ledger lines and imported calls share out among the pages by time (see `read_timeline`); flags
are computed for the lines of the page only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from logger.conduct.report import ConductReport
from logger.promises.ledger import LedgerItem, timeline_items
from logger.record.timeline_calls import CallLine, call_lines, shown_channels
from logger.record.timeline_flags import ConductFlag, line_flags
from logger.record.trash import live
from storage.models import (CallLogEntry, Channel, Direction, Evidence, EvidenceKind,
                            ExtractedText, Job, JobKind, JobStatus, Negotiation, TimeSource)
from storage.models.types import TimePrecision

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SUMMARY_CHARS = 120
# Unknown times sort here; no real event is this late.
UNKNOWN_TIME = datetime(9999, 12, 31, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Which job a line shows when an item has several: one in progress first, then one waiting, then
# one that failed. A finished job shows nothing.
_JOB_PRIORITY = {JobStatus.running: 0, JobStatus.queued: 1, JobStatus.failed: 2}


class ItemKind(StrEnum):
    """What a line is (`LedgerItem.kind` and `CallLine.kind` hold the same values)."""

    evidence = "evidence"
    call_log = "call_log"
    promise = "promise"
    payment = "payment"
    reminder = "reminder"


class Order(StrEnum):
    newest_first = "desc"
    oldest_first = "asc"


@dataclass(frozen=True)
class Cursor:
    """A position between items: (time, id). Serialised as `<unix microseconds>.<id>`."""

    at: datetime
    item_id: int

    def token(self) -> str:
        micros = (self.at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.item_id}"

    @classmethod
    def parse(cls, token: str) -> Cursor:
        """Raises ValueError for anything that is not a token made by `token()`."""
        micros, _, item_id = token.partition(".")
        at = _EPOCH + timedelta(microseconds=int(micros))
        return cls(at, int(item_id))


@dataclass(frozen=True)
class JobState:
    job_id: int
    kind: JobKind
    status: JobStatus
    progress: float
    error: str | None
    error_texts: dict[str, str] | None = None  # the error in each language, when known


@dataclass(frozen=True)
class TimelineItem:
    kind: ItemKind
    id: int
    occurred_at: datetime | None
    evidence_kind: EvidenceKind
    channel: Channel | None
    direction: Direction
    counterpart_name: str | None
    counterpart_number: str | None
    summary: str
    original_filename: str
    media_type: str
    attachments: int = 0
    job: JobState | None = None
    # The item's states, as on the ledger's lines (none is defined for evidence yet).
    flags: tuple[str, ...] = ()
    # The conduct findings about the item, counted or waiting for a direction (`read_timeline`).
    findings: tuple[ConductFlag, ...] = ()
    occurred_at_source: TimeSource | None = None  # where the time was read (record.when)
    occurred_at_precision: TimePrecision | None = None  # day: only the date is known

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.occurred_at or UNKNOWN_TIME, self.id)


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    order: Order
    # Tokens for the pages on either side, None at either end.
    earlier_in_order: str | None = None
    later_in_order: str | None = None


# One line of the timeline: evidence, an imported call, or a promise, payment or sent reminder.
Line = TimelineItem | CallLine | LedgerItem


@dataclass
class Timeline:
    """One page of a negotiation's whole timeline: `lines` in the page's order, and the page of
    evidence they are built around (its cursors lead to the pages on either side)."""

    lines: list[Line]
    page: TimelinePage


@dataclass
class DayGroup:
    day: date | None  # None: the items whose time is unknown
    items: list[Line] = field(default_factory=list)


def read_timeline(session: Session, negotiation: Negotiation, *, default_zone: ZoneInfo,
                  order: Order = Order.newest_first, after: Cursor | None = None,
                  before: Cursor | None = None, channels: Collection[Channel] | None = None,
                  direction: Direction | None = None, limit: int = DEFAULT_PAGE_SIZE,
                  now: datetime | None = None, report: ConductReport | None = None) -> Timeline:
    """One page of the negotiation's whole timeline, the page and the API's.

    The evidence is `timeline_page`'s (same arguments, same errors), each item with the
    conduct findings about it (`default_zone`: config `locale.timezone`, the zone findings are
    judged in when neither the negotiation nor its owner has one). The imported calls of the
    page's stretch of time come among it, with their findings, unless `channels` or
    `direction` leave calls out; unless either narrows the page at all, so do the promises,
    payments and sent reminders, their flags as of `now` (default: the present). A page's
    stretch runs from the cursor it was asked from (else its own outermost item where more
    pages follow, else open) to the same on the other side, undated items standing at
    UNKNOWN_TIME as in the paging, so consecutive pages share out the calls and the ledger
    without gaps or repeats. Flags are computed for this page's lines only, or taken from the
    negotiation's conduct `report` where the caller has it (`line_flags`).
    """
    page = timeline_page(session, negotiation.id, order=order, after=after, before=before,
                         channels=channels, direction=direction, limit=limit)
    start, end = _stretch(page, after, before)
    calls = call_lines(session, negotiation.id, start=start, end=end, direction=direction) \
        if shown_channels(channels) else []
    on_items, on_calls = line_flags(session, negotiation, [item.id for item in page.items],
                                    [call.id for call in calls], default_zone=default_zone,
                                    report=report)
    page.items = [replace(item, findings=on_items[item.id]) if item.id in on_items else item
                  for item in page.items]
    calls = [replace(call, findings=on_calls[call.id]) if call.id in on_calls else call
             for call in calls]
    ledger = [] if channels or direction is not None else timeline_items(
        session, negotiation, start=start, end=end, now=now)
    return Timeline(_merged(page, [*calls, *ledger]), page)


def timeline_page(session: Session, negotiation_id: int, *, order: Order = Order.newest_first,
                  after: Cursor | None = None, before: Cursor | None = None,
                  channels: Collection[Channel] | None = None,
                  direction: Direction | None = None,
                  limit: int = DEFAULT_PAGE_SIZE) -> TimelinePage:
    """One page of the negotiation's evidence in `order` (`read_timeline` adds the rest).

    `after`: the items that follow that position in `order` (the next page); `before`: the items
    that precede it (the previous page); neither: the first page. `channels` / `direction` keep
    only matching items. Email attachments (items with a parent) are counted on their parent,
    not listed. Raises ValueError for a limit outside 1..MAX_PAGE_SIZE or both cursors.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    if after is not None and before is not None:
        raise ValueError("give `after` or `before`, not both")
    order = Order(order)
    backwards = before is not None
    descending = (order == Order.newest_first) != backwards
    cursor = before if backwards else after
    base = _filtered(negotiation_id, channels, direction)
    rows = _fetch(session, base, cursor, descending, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    items = _items(session, rows)
    page = TimelinePage(items=items, order=order)
    if not items:
        return page
    first, last = items[0].cursor.token(), items[-1].cursor.token()
    if backwards:
        page.earlier_in_order = first if more else None
        page.later_in_order = last
    else:
        page.later_in_order = last if more else None
        if cursor is not None and _fetch(session, base, items[0].cursor, not descending, 1):
            page.earlier_in_order = first
    return page


def cursor_for_day(day: date, tz: ZoneInfo, order: Order) -> Cursor:
    """The position from which `timeline_page(after=...)` starts with `day` (a date in `tz`):
    its latest item when the newest come first, its earliest otherwise (or the nearest day that
    has items)."""
    if Order(order) == Order.newest_first:
        return Cursor(_local_midnight(day + timedelta(days=1), tz), 0)
    return Cursor(_local_midnight(day, tz), 0)


def group_by_day(items: Iterable[Line], tz: ZoneInfo) -> list[DayGroup]:
    """Consecutive items of the same local day (in `tz`) together, in the order given."""
    def local_day(item: Line) -> date | None:
        return item.occurred_at.astimezone(tz).date() if item.occurred_at else None
    return [DayGroup(day, list(group)) for day, group in groupby(items, key=local_day)]


def job_states(session: Session, evidence_ids: Sequence[int]) -> dict[int, JobState]:
    """For each item, the job worth showing (in progress, waiting, or failed last time)."""
    if not evidence_ids:
        return {}
    jobs = session.exec(select(Job).where(Job.evidence_id.in_(list(evidence_ids)))
                        .order_by(Job.id)
                        .execution_options(populate_existing=True)).all()
    latest: dict[tuple[int, JobKind], Job] = {}
    for job in jobs:  # the newest job of each kind decides that kind's state
        latest[(job.evidence_id, job.kind)] = job
    shown: dict[int, JobState] = {}
    for (evidence_id, _kind), job in latest.items():
        rank = _JOB_PRIORITY.get(job.status)
        if rank is None:
            continue
        current = shown.get(evidence_id)
        if current is None or rank < _JOB_PRIORITY[current.status]:
            shown[evidence_id] = JobState(job.id, job.kind, job.status, job.progress, job.error,
                                        job.error_texts)
    return shown


def _stretch(page: TimelinePage, after: Cursor | None, before: Cursor | None
             ) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the page's stretch of time (see `read_timeline`), None where open.
    Undated items bound it at UNKNOWN_TIME, so the lines after the last dated item fall to the
    page holding it, or to the first undated page after it."""
    newest_first = page.order == Order.newest_first
    times = sorted(item.cursor.at for item in page.items)
    newer_cursor, older_cursor = (after, before) if newest_first else (before, after)
    more_newer = page.earlier_in_order if newest_first else page.later_in_order
    more_older = page.later_in_order if newest_first else page.earlier_in_order
    end = newer_cursor.at if newer_cursor else (times[-1] if more_newer and times else None)
    start = older_cursor.at if older_cursor else (times[0] if more_older and times else None)
    return start, end


def _merged(page: TimelinePage, ledger: list[Line]) -> list[Line]:
    """The page's evidence with the lines of its stretch (imported calls, the ledger), in the
    page's order."""
    newest_first = page.order == Order.newest_first
    if not ledger:
        return list(page.items)
    dated = [item for item in page.items if item.occurred_at is not None]
    undated = [item for item in page.items if item.occurred_at is None]
    merged = sorted([*dated, *ledger], key=lambda line: (line.occurred_at, line.kind, line.id),
                    reverse=newest_first)
    return undated + merged if newest_first else merged + undated


def _fetch(session: Session, base, cursor: Cursor | None, descending: bool,
           count: int) -> list[Evidence]:
    """Up to `count` items beyond `cursor` in the given direction. Items with a time and items
    without one are read as two index ranges (unknown times count as the latest), so no query
    sorts the whole negotiation."""
    rows: list[Evidence] = []
    for unknown in ((True, False) if descending else (False, True)):
        query = _segment(base, unknown, cursor, descending)
        if query is not None:
            rows += session.exec(query.limit(count - len(rows))).all()
        if len(rows) >= count:
            break
    return rows


def _segment(base, unknown: bool, cursor: Cursor | None, descending: bool):
    """The items of one segment (unknown or known time) beyond `cursor`, in order; None when
    the whole segment lies on the other side of the cursor."""
    in_unknown = cursor is not None and cursor.at >= UNKNOWN_TIME
    if unknown:
        query = base.where(Evidence.occurred_at.is_(None))
        if cursor is not None:
            if in_unknown:
                query = query.where(Evidence.id < cursor.item_id if descending
                                    else Evidence.id > cursor.item_id)
            elif descending:
                return None  # going back in time from a dated item: no unknown ones
        return query.order_by(Evidence.id.desc() if descending else Evidence.id)
    query = base.where(Evidence.occurred_at.is_not(None))
    if in_unknown and not descending:
        return None  # going forward from an undated item: only undated ones follow
    if cursor is not None and not in_unknown:
        at, item_id = cursor.at, cursor.item_id
        if descending:
            query = query.where(Evidence.occurred_at <= at, sa.or_(
                Evidence.occurred_at < at, Evidence.id < item_id))
        else:
            query = query.where(Evidence.occurred_at >= at, sa.or_(
                Evidence.occurred_at > at, Evidence.id > item_id))
    if descending:
        return query.order_by(Evidence.occurred_at.desc(), Evidence.id.desc())
    return query.order_by(Evidence.occurred_at, Evidence.id)


def _filtered(negotiation_id: int, channels: Collection[Channel] | None,
              direction: Direction | None):
    # An exported call log is the source of its calls, which are lines of their own.
    call_log_file = sa.exists().where(CallLogEntry.evidence_id == Evidence.id)
    query = select(Evidence).where(Evidence.negotiation_id == negotiation_id,
                                   Evidence.parent_id.is_(None), ~call_log_file, live())
    if channels:
        query = query.where(Evidence.channel.in_([Channel(c) for c in channels]))
    if direction is not None:
        query = query.where(Evidence.direction == Direction(direction))
    return query


def _items(session: Session, rows: list[Evidence]) -> list[TimelineItem]:
    ids = [e.id for e in rows]
    texts = _text_openings(session, ids)
    jobs = job_states(session, ids)
    attachments = _attachment_counts(session, ids)
    return [TimelineItem(
        kind=ItemKind.evidence, id=e.id, occurred_at=e.occurred_at, evidence_kind=e.kind,
        channel=e.channel, direction=e.direction, counterpart_name=e.counterpart_name,
        counterpart_number=e.counterpart_number, summary=_summary(e, texts.get(e.id)),
        original_filename=e.original_filename, media_type=e.media_type,
        attachments=attachments.get(e.id, 0), job=jobs.get(e.id),
        occurred_at_source=e.occurred_at_source,
        occurred_at_precision=e.occurred_at_precision) for e in rows]


def _text_openings(session: Session, ids: list[int]) -> dict[int, str]:
    """The first characters of each item's newest text (a correction is newer than the machine
    text it corrects)."""
    if not ids:
        return {}
    opening = sa.func.substr(ExtractedText.text, 1, SUMMARY_CHARS * 2)
    rows = session.execute(sa.select(ExtractedText.evidence_id, opening)
                           .where(ExtractedText.evidence_id.in_(ids))
                           .order_by(ExtractedText.id)).all()
    return {evidence_id: text for evidence_id, text in rows if text and text.strip()}


def _attachment_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(sa.select(Evidence.parent_id, sa.func.count())
                           .where(Evidence.parent_id.in_(ids))
                           .group_by(Evidence.parent_id)).all()
    return dict(rows)


def _summary(evidence: Evidence, opening: str | None) -> str:
    """One line: an email's subject, else the opening of its text, else the note, else the
    file name."""
    candidates = [opening, evidence.note, evidence.subject]
    if evidence.kind == EvidenceKind.email:
        candidates.insert(0, evidence.subject)
    for text in candidates:
        line = " ".join((text or "").split())
        if line:
            return line if len(line) <= SUMMARY_CHARS else line[:SUMMARY_CHARS - 1] + "…"
    return evidence.original_filename


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
