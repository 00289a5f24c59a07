"""The conduct report's inputs kept in memory between the reports of one process (the web server),
per negotiation, so the report after a change reads again only the items the change touched
instead of every item, text and kept contribution of the negotiation (a second or more at
10,000 items), and runs the checks that read only contacts again only when the contacts
changed.

What a change touched is read from what every change leaves (the same signals the web's report
cache is keyed by): custody events after the head the inputs were read at, and texts newer
than the newest text then. An event about an item's fields or texts (`ITEM_ACTIONS`) or a new
text has that item read again; an event that the report reads afresh anyway or never reads
(`READ_AFRESH`) or that is about another negotiation changes nothing; any other event of the
negotiation (an intake, the trash, a deletion, a call log or a contact entry) and any move of
an item between negotiations read everything again, as does a head that is not the one the
inputs were read at (a restored data dir). The call log is read again when its calls were
counted differently (`_calls_seen`), and everything when its files differ. The contacts are
put together again only when a touched item's contacts or the call log changed; else only
the touched items' passages are replaced, and the checks that read the contacts alone are not
run again. Texts are written under the custody chain's lock
(`logger.extract.common`, `logger.record.text_edits`), so their ids grow in the order they are
committed and none can appear below the newest one read. The report equals a rebuild from
every text (tests/conduct/test_kept.py).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from logger.conduct.checks import CHECKS, Contact, Finding, Passage
from logger.conduct.contributions import (Inputs, assemble, call_log, keys_of, read_inputs,
                                          update)
from logger.conduct.inputs import log_contact
from logger.conduct.ruleset import Rule
from logger.record.trash import live
from storage.models import (CallLogEntry, CustodyAction, CustodyEvent, Direction, Evidence,
                            ExtractedText)

ITEM_ACTIONS = frozenset({CustodyAction.metadata_edit, CustodyAction.transcript_edit,
                          CustodyAction.text_edit})
READ_AFRESH = frozenset({CustodyAction.finding_dismissal, CustodyAction.finding_confirmation,
                         CustodyAction.conduct_settings,
                         CustodyAction.export, CustodyAction.promise, CustodyAction.payment})
MOVES = frozenset({CustodyAction.move, CustodyAction.transfer})
# The checks that read the contacts alone.
CONTACT_CHECKS = frozenset({"quiet_hours", "unanswered_per_day", "attempts_in_window"})
# More items touched than this: everything is read again (as fast, and simpler).
MOST_TOUCHED = 500
_KEPT_NEGOTIATIONS = 8  # each holds every item's contribution


@dataclass
class _Kept:
    """A negotiation's inputs as read at custody head `seq` (whose hash is `head`) with
    `text_id` the newest text then and `calls_seen` what `_calls_seen` said; the contacts and
    passages put together from them; `checked`: what was computed from exactly `contacts`."""

    seq: int
    head: str | None
    text_id: int
    calls_seen: tuple[int, int | None]
    inputs: Inputs
    calls: list[Any]
    logged: list[Contact]
    contacts: list[Contact]
    passages: list[Passage]
    checked: dict[tuple, Any] = field(default_factory=dict)


T = TypeVar("T")
_KEPT: OrderedDict[tuple[str, int], _Kept] = OrderedDict()
_LOCK = threading.Lock()
# One report of a negotiation at a time follows its kept inputs (changed in place). A report
# that waits longer (its request may hold a write the first one waits for) reads everything.
_FOLLOWING: dict[tuple[str, int], threading.Lock] = {}
_WAIT_S = 2.0


def gathered(session: Session, negotiation_id: int, *, keep: bool
             ) -> tuple[list[Contact], list[Passage], dict[tuple, Any]]:
    """What `contributions.gather_kept` gives, from the inputs kept for the negotiation with
    the items changed since read again (`keep` as there), and a dict for what is computed
    from the contacts alone: the same dict as long as the contacts are the same."""
    key = (str(session.get_bind().url), negotiation_id)
    # Read before anything else: a change committed meanwhile is read again next time.
    seq, head = _head(session)
    text_id = session.connection().execute(sa.select(sa.func.max(ExtractedText.id))).scalar()
    calls_seen = _calls_seen(session, negotiation_id)
    with _LOCK:
        following = _FOLLOWING.setdefault(key, threading.Lock())
    if not following.acquire(timeout=_WAIT_S):
        kept = _read(session, negotiation_id, keep=keep, previous=None)
        return kept.contacts, kept.passages, kept.checked
    try:
        with _LOCK:
            # Out of memory while it is followed: an error leaves nothing half changed.
            kept = _KEPT.pop(key, None)
        if kept is None or not _follow(session, negotiation_id, kept, calls_seen, keep=keep):
            kept = _read(session, negotiation_id, keep=keep, previous=kept)
        kept.seq, kept.head, kept.text_id = seq or 0, head, text_id or 0
        kept.calls_seen = calls_seen
        with _LOCK:
            _KEPT[key] = kept
            while len(_KEPT) > _KEPT_NEGOTIATIONS:
                _KEPT.popitem(last=False)
        return kept.contacts, kept.passages, kept.checked
    finally:
        following.release()


def _read(session: Session, negotiation_id: int, *, keep: bool, previous: _Kept | None
          ) -> _Kept:
    """Everything read again; what `previous` computed from the same calls or contacts kept."""
    inputs, rows = read_inputs(session, negotiation_id, keep=keep)
    logged = previous.logged if previous is not None and previous.calls == rows else \
        [log_contact(row) for row in rows]
    contacts, passages = assemble(session, negotiation_id, inputs, logged)
    checked = previous.checked if previous is not None and previous.contacts == contacts else {}
    return _Kept(0, None, 0, (0, None), inputs, rows, logged, contacts, passages, checked)


def _follow(session: Session, negotiation_id: int, kept: _Kept, calls_seen: tuple, *,
            keep: bool) -> bool:
    """Bring `kept` up to date in place, reading again only the items changed since it was
    read; False, with `kept` as it was, when everything is to be read again. The contacts are
    put together again only when a touched item's own contact or messages or the call log
    changed; else only the touched items' passages are replaced."""
    touched = _touched(session, negotiation_id, kept)
    if touched is None:
        return False
    logged = kept.logged
    if calls_seen != kept.calls_seen:
        rows = _call_log(session, negotiation_id)
        if {row.evidence_id for row in rows} != kept.inputs.log_files:
            return False
        if rows != kept.calls:
            kept.calls, kept.logged = rows, [log_contact(row) for row in rows]
    before = _contact_parts(kept.inputs, touched)
    if touched:
        update(session, negotiation_id, kept.inputs, touched, keep=keep)
    if kept.logged is logged and _contact_parts(kept.inputs, touched) == before:
        kept.passages = _spliced(kept.passages, kept.inputs, touched)
        return True
    contacts, kept.passages = assemble(session, negotiation_id, kept.inputs, kept.logged)
    if contacts != kept.contacts:
        kept.contacts, kept.checked = contacts, {}
    return True


def _contact_parts(inputs: Inputs, item_ids: set[int]) -> dict[int, tuple]:
    """What `assemble` makes contacts of, of these items: each one's own contact, and the
    messages of each of its texts that holds any, with the id that places them."""
    return {item_id: (inputs.own.get(item_id), [
        (key, inputs.first[key], found) for key in keys_of(inputs, (item_id,))
        if (found := inputs.readings[inputs.newest[key].id][0])]) for item_id in item_ids}


def _spliced(passages: list[Passage], inputs: Inputs, item_ids: set[int]) -> list[Passage]:
    """`passages` as `assemble` gives them (by item, then text) with those of these items
    replaced by what `inputs` holds for them now."""
    by_item = attrgetter("evidence_id")
    spliced: list[Passage] = []
    start = 0
    for item_id in sorted(item_ids):
        low = bisect_left(passages, item_id, lo=start, key=by_item)
        spliced += passages[start:low]
        item = inputs.items.get(item_id)
        if item is not None and item.direction != Direction.from_me:
            spliced += [passage for key in keys_of(inputs, (item_id,))
                        for passage in inputs.readings[inputs.newest[key].id][1]]
        start = bisect_right(passages, item_id, lo=low, key=by_item)
    return spliced + passages[start:]


def _calls_seen(session: Session, negotiation_id: int) -> tuple[int, int | None]:
    """How many calls the negotiation's call logs hold and the newest one's id. Calls are added
    without a custody event (an import of a file already stored adds the calls it did not
    keep before), always with a higher id; any other change to them is one."""
    count, newest = session.connection().execute(
        sa.select(sa.func.count(), sa.func.max(CallLogEntry.id))
        .where(CallLogEntry.negotiation_id == negotiation_id)).one()
    return count, newest


def _head(session: Session) -> tuple[int | None, str | None]:
    row = session.connection().execute(
        sa.select(CustodyEvent.seq, CustodyEvent.hash)
        .order_by(CustodyEvent.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (None, None)


def _touched(session: Session, negotiation_id: int, kept: _Kept) -> set[int] | None:
    """The items changed since `kept` was read, or None when everything is to be read
    again."""
    connection = session.connection()
    head = connection.execute(sa.select(CustodyEvent.hash).where(
        CustodyEvent.seq == kept.seq)).scalar() if kept.seq else None
    if head != kept.head:
        return None
    touched: set[int] = set()
    events = connection.execute(
        sa.select(CustodyEvent.negotiation_id, CustodyEvent.evidence_id, CustodyEvent.action)
        .where(CustodyEvent.seq > kept.seq))
    for event_negotiation, evidence_id, action in events:
        if action in MOVES:
            return None
        if event_negotiation != negotiation_id or action in READ_AFRESH:
            continue
        if action not in ITEM_ACTIONS or evidence_id is None:
            return None
        touched.add(evidence_id)
    # By the texts' own key alone: an item of another negotiation is not read (`item_rows`).
    touched.update(connection.execute(sa.select(ExtractedText.evidence_id).where(
        ExtractedText.id > kept.text_id)).scalars())
    return touched if len(touched) <= MOST_TOUCHED else None


def _call_log(session: Session, negotiation_id: int) -> list[Any]:
    """`contributions.call_log` of the calls in the record, reading only whether the call
    logs' own files are in the record (not every item)."""
    rows = call_log(session, negotiation_id)
    files = sorted({row.evidence_id for row in rows})
    in_record = set(session.connection().execute(sa.select(Evidence.id).where(
        Evidence.id.in_(files), live())).scalars()) if files else set()
    return [row for row in rows if row.evidence_id in in_record]


def checked_findings(checked: dict[tuple, Any], rule_set_id: str, rule: Rule,
                     contacts: list[Contact], passages: list[Passage], zone: ZoneInfo
                     ) -> list[Finding]:
    """The rule's findings; those of a check that reads the contacts alone computed once for
    the same contacts (`checked`, from `gathered`)."""
    run = CHECKS[rule.check]
    if rule.check not in CONTACT_CHECKS:
        return run(rule, contacts, passages, zone)
    return once(checked, ("check", rule_set_id, rule.id, zone.key),
                lambda: run(rule, contacts, passages, zone))


def once(checked: dict[tuple, Any], key: tuple, compute: Callable[[], T]) -> T:
    """`checked[key]`, computed when it is not there yet."""
    if key not in checked:
        checked[key] = compute()
    return checked[key]
