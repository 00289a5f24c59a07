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
inputs were read at (a restored data dir). The call log is read each time, and everything is
read again when its files differ. Texts are written under the custody chain's lock
(`logger.extract.common`, `logger.record.text_edits`), so their ids grow in the order they are
committed and none can appear below the newest one read. The report equals a rebuild from
every text (tests/conduct/test_kept.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from logger.conduct.checks import CHECKS, Contact, Finding, Passage
from logger.conduct.contributions import Inputs, assemble, call_log, read_inputs, update
from logger.conduct.inputs import log_contact
from logger.conduct.ruleset import Rule
from logger.record.trash import live
from storage.models import CustodyAction, CustodyEvent, Evidence, ExtractedText

ITEM_ACTIONS = frozenset({CustodyAction.metadata_edit, CustodyAction.transcript_edit,
                          CustodyAction.text_edit})
READ_AFRESH = frozenset({CustodyAction.finding_dismissal, CustodyAction.conduct_settings,
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
    `text_id` the newest text then; `checked`: what was computed from exactly `contacts`."""

    seq: int
    head: str | None
    text_id: int
    inputs: Inputs
    calls: list[Any]
    logged: list[Contact]
    contacts: list[Contact]
    checked: dict[tuple, Any] = field(default_factory=dict)


T = TypeVar("T")
_KEPT: OrderedDict[tuple[str, int], _Kept] = OrderedDict()
_LOCK = threading.Lock()


def gathered(session: Session, negotiation_id: int, *, keep: bool
             ) -> tuple[list[Contact], list[Passage], dict[tuple, Any]]:
    """What `contributions.gather_kept` gives, from the inputs kept for the negotiation with
    the items changed since read again (`keep` as there), and a dict for what is computed
    from the contacts alone: the same dict as long as the contacts are the same."""
    key = (str(session.get_bind().url), negotiation_id)
    # Read before anything else: a change committed meanwhile is read again next time.
    seq, head = _head(session)
    text_id = session.connection().execute(sa.select(sa.func.max(ExtractedText.id))).scalar()
    with _LOCK:
        kept = _KEPT.get(key)
    touched = None if kept is None else _touched(session, negotiation_id, kept)
    inputs = None
    if touched is not None:
        inputs = kept.inputs.copy()
        rows = _call_log(session, negotiation_id)
        if {row.evidence_id for row in rows} != inputs.log_files:
            inputs = None
        elif touched:
            update(session, negotiation_id, inputs, touched, keep=keep)
    if inputs is None:
        inputs, rows = read_inputs(session, negotiation_id, keep=keep)
    logged = kept.logged if kept is not None and kept.calls == rows else \
        [log_contact(row) for row in rows]
    contacts, passages = assemble(session, negotiation_id, inputs, logged)
    checked = kept.checked if kept is not None and kept.contacts == contacts else {}
    with _LOCK:
        _KEPT[key] = _Kept(seq or 0, head, text_id or 0, inputs, rows, logged, contacts,
                           checked)
        _KEPT.move_to_end(key)
        while len(_KEPT) > _KEPT_NEGOTIATIONS:
            _KEPT.popitem(last=False)
    return contacts, passages, checked


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
