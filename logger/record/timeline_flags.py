"""The conduct findings about the lines of one timeline page: for each item and each imported
call, the findings `logger.conduct.report.conduct_report(...).on_lines()` gives its line (active,
or waiting for a person to set a direction), computed from only what they can depend on. The
whole report reads every item of the negotiation and every text that changed since it was kept
(logger.conduct.contributions: seconds at 10,000 items after a change); a page reads its own
items and the contacts of a few days around them. A caller that holds the report anyway (the
web, which keeps it for every page's header) takes the flags from it (`line_flags(report=)`).

A finding about an item depends on the item's own texts (the lexicon rules), on its own contacts
(the item itself, the messages it holds, the call-log rows it holds, the contacts recorded by hand
against it), each merged with the call-log row of the same call, and, for the counting rules, on
the calls of the same local day (unanswered calls per day) or of the days before (attempts
within N days). So the contacts are gathered, as `logger.conduct.inputs.gather` does, from the
page's own sources and from everything dated within that reach of them, plus a day on each side;
of the items around them only those whose channel is a call, since the counting rules count
calls only and only a call is merged with a log row (a mailbox's thousands of messages in the
same days are not read).

Not read, and so not counted, are two cases no real record holds: a chain of calls a few minutes
apart for a whole day (which could change how a call is merged with its log row), and a message
backup filed as calls that lies outside the stretch while its messages fall inside. A rule whose
check this module does not know reads the whole negotiation, so a new check is never undercounted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import load_only
from sqlmodel import Session, select

from logger.conduct.checks import CHECKS, Contact, Finding, Passage
# The same helpers `gather` composes its inputs with, so a page and the report cannot disagree on
# what a contact is.
from logger.conduct.inputs import (evidence_contact, log_contact, merge_contacts,
                                   message_contacts, newest_texts, text_passages, with_entries)
from logger.conduct.report import ConductReport, conduct_choice
from logger.conduct.ruleset import Rule
from logger.record.archive import is_archived
from logger.record.trash import live
from storage.models import (CallLogEntry, Channel, ContactEntry, Direction, Evidence,
                            ExtractedText, FindingDismissal, Negotiation)

# Around the page's contacts, beyond the reach of the rules: room for a call and its log row
# on either side of the edge, and for a local day against UTC.
SLACK = timedelta(days=1)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)

Texts = dict[tuple[int, str], ExtractedText]


@dataclass(frozen=True)
class ConductFlag:
    """A finding about a line: its id (the findings page's anchor), the rule it suggests a
    breach of, and why, in Chinese and English ({"zh": ..., "en": ...}). `needs_direction`: the
    record does not say the other side started it, so it is not counted until a person sets
    the direction (`source` names the record to set it on: "evidence:12", "contact:3" ...)."""

    finding_id: str
    rule: Rule
    reason: dict[str, str]
    needs_direction: bool = False
    source: str = ""
    evidence_id: int | None = None
    # Read from the words only (a third-party contact): not counted until a person confirms it.
    suggested: bool = False


# A line's id (an evidence item's, an imported call's) -> the flags it shows.
LineFlags = dict[int, tuple[ConductFlag, ...]]


def conduct_flags(session: Session, negotiation: Negotiation, evidence_ids: Collection[int], *,
                  default_zone: ZoneInfo) -> dict[int, tuple[ConductFlag, ...]]:
    """The findings each of these items' lines shows, in the report's order (by time, then
    rule); items without any are left out. `default_zone` is config `locale.timezone`, as for
    `conduct_report`."""
    return line_flags(session, negotiation, evidence_ids, (), default_zone=default_zone)[0]


def line_flags(session: Session, negotiation: Negotiation, evidence_ids: Collection[int],
               call_ids: Collection[int], *, default_zone: ZoneInfo,
               report: ConductReport | None = None
               ) -> tuple[dict[int, tuple[ConductFlag, ...]], dict[int, tuple[ConductFlag, ...]]]:
    """(evidence id -> its line's flags, call-log row id -> its line's flags), as
    `conduct_report(...).on_lines()` gives them; lines without any are left out. `report`: the
    negotiation's report, where the caller has it at hand (the web keeps one per state of the
    record for the pages' headers): the flags are taken from it instead of computed."""
    ids, calls = set(evidence_ids), set(call_ids)
    if report is not None:
        return _report_flags(report, ids, calls)
    choice = conduct_choice(session, negotiation, default_zone=default_zone)
    rules = [r for r in choice.rule_set.rules if r.id not in choice.disabled]
    if not (ids or calls) or not rules or is_archived(negotiation):
        return {}, {}
    contacts, passages = _gather_near(session, negotiation.id, ids, calls, rules)
    computed: dict[str, Finding] = {}
    for rule in rules:
        for finding in CHECKS[rule.check](rule, contacts, passages, choice.zone):
            computed.setdefault(finding.id, finding)
    dismissed = set(session.exec(select(FindingDismissal.finding_id).where(
        FindingDismissal.negotiation_id == negotiation.id)))
    found = sorted((f for f in computed.values() if f.id not in dismissed),
                   key=lambda f: (f.at or _FAR_FUTURE, f.rule_id, f.id))
    by_rule = {r.id: r for r in rules}
    on_items: dict[int, list[ConductFlag]] = {}
    on_calls: dict[int, list[ConductFlag]] = {}
    for f in found:
        flag = ConductFlag(f.id, by_rule[f.rule_id], dict(f.reason), f.needs_direction,
                           f.source, f.evidence_id, f.suggested)
        kind, _, key = f.source.partition(":")
        if kind == "calllog":
            if int(key) in calls:
                on_calls.setdefault(int(key), []).append(flag)
        elif f.evidence_id in ids:
            on_items.setdefault(f.evidence_id, []).append(flag)
    return ({i: tuple(shown) for i, shown in on_items.items()},
            {i: tuple(shown) for i, shown in on_calls.items()})


def _report_flags(report: ConductReport, ids: set[int], calls: set[int]
                  ) -> tuple[LineFlags, LineFlags]:
    """`line_flags` of these lines, from the report's `on_lines`."""
    by_rule = {state.rule.id: state.rule for state in report.rules}
    on_items: LineFlags = {}
    on_calls: LineFlags = {}
    for line, found in report.on_lines().items():
        kind, _, key = line.partition(":")
        shown = on_calls if kind == "calllog" else on_items
        if int(key) in (calls if kind == "calllog" else ids):
            shown[int(key)] = tuple(
                ConductFlag(f.id, by_rule[f.rule_id], dict(f.reason), f.needs_direction,
                            f.source, f.evidence_id, f.suggested) for f in found)
    return on_items, on_calls


def _gather_near(session: Session, negotiation_id: int, ids: set[int], calls: set[int],
                 rules: list[Rule]) -> tuple[list[Contact], list[Passage]]:
    """The contacts the checks need for findings about the items `ids` and the imported calls
    `calls`, and the text passages of those items (findings about other records are computed
    too, and dropped by the caller)."""
    items = _evidence(session, negotiation_id, Evidence.id.in_(ids))
    rows = _call_log(session, negotiation_id, sa.or_(CallLogEntry.evidence_id.in_(ids),
                                                     CallLogEntry.id.in_(calls)))
    entries = _entries(session, negotiation_id, ContactEntry.evidence_id.in_(ids))
    log_files = {row.evidence_id for row in rows}
    texts = newest_texts(session, [e.id for e in items if _counted(e, log_files)])
    passages = _passages(items, texts, log_files)
    own = _contacts(items, texts, rows, entries, log_files)
    if not own:
        return [], passages
    span = _reach(rules)
    if span is None:
        items = _evidence(session, negotiation_id)
        rows = _call_log(session, negotiation_id)
        entries = _entries(session, negotiation_id)
    else:
        before, after = span
        start = min(c.at for c in own) - before - SLACK
        end = max(c.at for c in own) + after + SLACK
        # Only calls are counted, and only a call is merged with a log row: an item around
        # the page matters only if it can be a call (its channel; its messages take it too).
        items = _union(items, _evidence(session, negotiation_id,
                                        Evidence.occurred_at.between(start, end),
                                        Evidence.channel == Channel.call))
        rows = _union(rows, _call_log(session, negotiation_id,
                                      CallLogEntry.started_at.between(start, end)))
        entries = _union(entries, _entries(session, negotiation_id,
                                           ContactEntry.occurred_at.between(start, end)))
    log_files = _log_files(session, [e.id for e in items])
    others = [e.id for e in items if e.id not in ids and _counted(e, log_files)]
    texts = {**_segments_only(session, others), **texts}
    return _contacts(items, texts, rows, entries, log_files), passages


def _reach(rules: Iterable[Rule]) -> tuple[timedelta, timedelta] | None:
    """How far before and after a contact the enabled rules look at other contacts; None for
    a check not known here (then everything is read)."""
    before = after = timedelta(0)
    for rule in rules:
        if rule.check in ("quiet_hours", "third_party", "lexicon"):
            continue
        if rule.check == "unanswered_per_day":   # the contact's whole local day
            before, after = max(before, timedelta(days=1)), max(after, timedelta(days=1))
        elif rule.check == "attempts_in_window":  # this day and the days - 1 before it
            before = max(before, timedelta(days=int(rule.params["days"])))
        else:
            return None
    return before, after


def _contacts(items: list[Evidence], texts: Texts, rows: list[CallLogEntry],
              entries: list[ContactEntry], log_files: set[int]) -> list[Contact]:
    """What `gather` makes of these records, in its order (which decides how calls are merged
    with log rows): items by time, then the messages of those holding messages, then log rows
    by time, then the contacts recorded by hand."""
    counted = sorted((e for e in items if _counted(e, log_files)),
                     key=lambda e: (e.occurred_at or _FAR_FUTURE, e.id))
    by_id = {e.id: e for e in counted}
    messages = {evidence_id: found for (evidence_id, _), text in texts.items()
                if evidence_id in by_id and (found := message_contacts(by_id[evidence_id], text))}
    recorded = [c for e in counted if e.id not in messages and (c := evidence_contact(e))]
    recorded += [c for found in messages.values() for c in found]
    logged = [log_contact(row) for row in sorted(rows, key=lambda r: (r.started_at, r.id))]
    contacts = merge_contacts(recorded, logged)
    contacts = with_entries(contacts, sorted(entries, key=lambda e: (e.occurred_at, e.id)))
    return sorted((c for c in contacts if c.from_them is not False), key=lambda c: (c.at, c.key))


def _passages(items: list[Evidence], texts: Texts, log_files: set[int]) -> list[Passage]:
    by_id = {e.id: e for e in items if _counted(e, log_files)}
    return [p for (evidence_id, source), text in sorted(texts.items())
            if evidence_id in by_id and by_id[evidence_id].direction != Direction.from_me
            for p in text_passages(by_id[evidence_id], source, text)]


def _counted(item: Evidence, log_files: set[int]) -> bool:
    """Whether `gather` reads the item (an imported call-log file counts as its rows)."""
    return item.id not in log_files and item.extracted_metadata.get("source") != "calllog"


def _evidence(session: Session, negotiation_id: int, *where) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.negotiation_id == negotiation_id,
                                                    live(), *where)))


def _call_log(session: Session, negotiation_id: int, *where) -> list[CallLogEntry]:
    return list(session.exec(select(CallLogEntry).join(
        Evidence, Evidence.id == CallLogEntry.evidence_id).where(
        CallLogEntry.negotiation_id == negotiation_id, live(), *where)))


def _entries(session: Session, negotiation_id: int, *where) -> list[ContactEntry]:
    return list(session.exec(select(ContactEntry).where(
        ContactEntry.negotiation_id == negotiation_id, *where)))


def _log_files(session: Session, evidence_ids: list[int]) -> set[int]:
    if not evidence_ids:
        return set()
    return set(session.exec(select(CallLogEntry.evidence_id).distinct()
                            .where(CallLogEntry.evidence_id.in_(evidence_ids))))


def _segments_only(session: Session, evidence_ids: list[int]) -> Texts:
    """The newest text of each source of these items, without the text itself: their segments
    tell whether they hold messages with their own times."""
    if not evidence_ids:
        return {}
    newest: Texts = {}
    for text in session.exec(select(ExtractedText)
                             .options(load_only(ExtractedText.id, ExtractedText.evidence_id,
                                                ExtractedText.source, ExtractedText.segments))
                             .where(ExtractedText.evidence_id.in_(evidence_ids))
                             .order_by(ExtractedText.id)):
        newest[(text.evidence_id, str(text.source))] = text
    return newest


def _union(first: list, second: list) -> list:
    seen = {row.id for row in first}
    return first + [row for row in second if row.id not in seen]
