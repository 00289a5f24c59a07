"""Promise suggestions from what was said or written: a transcript, OCR text, an email.

Each sentence is read on its own and may yield suggestions, each quoting its sentence:
a payment (我下周五还3000), an instalment plan (分3期，每月15号还1000), a waiver of penalty or
interest (减免罚息) or a stop to collection (停催), both usually offered by the other side and
often on a condition (你15号前还3000我们就给你减免罚息), or another promise (延期, "in writing").
Days are resolved against the moment the words were said, in its local time zone
(`logger.promises.text.anchors`: a message's time, a call's start plus the second, the item's
time); when that moment is not known, a relative day gives no due date and the suggestion says
so (`basis.unresolved`). A day said without a time stays a day (`due_precision` "day").

Nothing here decides that a promise was made: these are suggestions a person confirms, so the
rules lean towards precision (threats, demands, requests, refusals, questions and the past give
nothing). No database, no I/O: the CLI and the workers call `suggest_promises` and
`suggest_from_segments` and store what the user confirms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from logger.promises.text import rules
from logger.promises.text.amounts import Amount, find_amounts, format_amount, normalise_numbers
from logger.promises.text.anchors import (Anchor, DueBasis, Said, given, segment_said,
                                          stamped_messages)
from logger.promises.text.dates import ClockMention, DayMention, find_clocks, find_days
from logger.promises.text.due import Due, due_fields, find_due
from logger.promises.text.plans import Instalment, read_plan
from storage.models.types import TimePrecision

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")

_SENTENCE_BREAK = re.compile(r"(?<=[。！？!?；;\n])|(?<=\.)\s+(?=[A-Z\u4e00-\u9fff\"“])")
# Clauses: commas (not a thousands separator), and where the answer to an "if" begins
# (你15号前还3000 | 我们就给你减免罚息; "pay by Friday and | we'll waive the fees").
_CLAUSE_BREAK = re.compile(
    r"[，、；;：]|,(?!\d{3}(?!\d))|\s+(?:but|and\s+then|then|so)\s+"
    r"|(?=我们(?:就|会|可以|将|给|帮|这边|同意|保证))|(?<!我们)(?=就(?:给|帮|可以|不|会|免|减|停|算))"
    r"|(?<=\S)(?=我就)|(?<=\s)(?=(?:we|I)(?:'ll|\s+will|\s+can|\s+could|\s+would)\b)"
    r"|(?<=\s)(?=(?:if|as\s+long\s+as|provided)\s)",
    re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TRAILING_JOINERS = re.compile(r"[\s,，、;；.。!！]*(?:\band\b|\bthen\b)?[\s,，、;；.。!！]*$",
                               re.IGNORECASE)


class Who(StrEnum):
    me = "me"          # the debtor, the user
    them = "them"      # the creditor or its collection agency
    unknown = "unknown"


class Kind(StrEnum):
    payment = "payment"
    instalment_plan = "instalment_plan"
    waiver = "waiver"
    stop_calls = "stop_calls"
    other = "other"


# What the other side offers, and the words that say it.
_OFFERS = ((Kind.waiver, rules.WAIVER), (Kind.stop_calls, rules.STOP_CALLS))


@dataclass(frozen=True)
class Suggestion:
    """A promise-like statement for a person to confirm.

    `amount` and `due` are those the statement names: for a payment, what and when; for a
    plan, the regular instalment and the first due date (`instalments` lists them all, `total`
    sums them); for a conditional offer, the payment its `condition` asks for. `due` is aware,
    in the local zone: the time said (`due_precision` minute), else 23:59 that day (a stand-in
    for a day said without a time: `due_precision` day). `basis` says what its day was counted
    from. `segment_index` and `start` point to the segment (and second in the recording) the
    quote comes from."""

    who: Who
    kind: Kind
    quote: str
    amount: Decimal | None = None
    currency: str | None = None
    due: datetime | None = None
    condition: str | None = None
    total: Decimal | None = None
    instalments: tuple[Instalment, ...] = ()
    segment_index: int | None = None
    start: float | None = None
    due_precision: TimePrecision = TimePrecision.day
    basis: DueBasis | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; times are local ISO times with their offset, and a day said without a
        time is the bare date (a due date is a day in the debtor's zone, and reads as that
        day). `counted_from`: what the day was counted from (see DueBasis)."""
        return {
            "who": str(self.who), "kind": str(self.kind), "amount": _money(self.amount),
            "currency": self.currency, "due": _iso(self.due, self.due_precision),
            "due_precision": str(self.due_precision), "quote": self.quote,
            "condition": self.condition, "total": _money(self.total),
            "instalments": [{"number": p.number, "due": _iso(p.due, TimePrecision.day),
                             "amount": _money(p.amount)} for p in self.instalments],
            "segment_index": self.segment_index, "start": self.start,
            "counted_from": self.basis.to_dict() if self.basis else None,
        }


def _money(value: Decimal | None) -> str | None:
    return format_amount(value) if value is not None else None


def _iso(moment: datetime | None, precision: TimePrecision) -> str | None:
    if moment is None:
        return None
    return moment.date().isoformat() if precision == TimePrecision.day else \
        moment.isoformat(timespec="minutes")


@dataclass(frozen=True)
class _Clause:
    """A piece of a sentence, with what it names (the positions of those are in `text`, the
    piece's normalised form)."""

    start: int   # in the sentence
    end: int
    text: str
    amounts: list[Amount]
    days: list[DayMention]
    clocks: list[ClockMention]

    @property
    def pays(self) -> bool:
        return bool(rules.PAY.search(self.text))

    @property
    def live(self) -> bool:
        """Not refused, not in the past, not asked for: it can carry a promise."""
        return not (rules.PAY_REFUSED.search(self.text) or rules.PAST.search(self.text)
                    or rules.PAID.search(self.text) or rules.REQUEST.search(self.text))


@dataclass(frozen=True)
class _Said:
    """One sentence and the circumstances it was said in."""

    quote: str
    whole: str          # normalised
    when: Said          # local; `when.at` None: not known
    tz: ZoneInfo
    side: Who | None


def suggest_promises(text: str, *, at: datetime | None, tz: ZoneInfo = DEFAULT_ZONE,
                     language: str | None = None, side: str | None = None,
                     anchor: Anchor = Anchor.given,
                     precision: TimePrecision = TimePrecision.minute) -> list[Suggestion]:
    """The promise-like statements in `text`, said at `at` (a naive time is read in `tz`;
    None: not known, and relative days are then not counted). `anchor` names what `at` is
    (recorded on each suggestion's `basis`), `precision` whether its clock time is known.

    `language` ("zh" or "en") is guessed from the text when None; `side` ("me" or "them") is
    who said it when known, else who is inferred from the wording."""
    return _suggest(text, given(at, tz, anchor=anchor, precision=precision), tz, language,
                    side)


def suggest_from_segments(segments: Iterable[Mapping[str, Any]], *, at: datetime | None,
                          tz: ZoneInfo = DEFAULT_ZONE, language: str | None = None,
                          precision: TimePrecision = TimePrecision.minute,
                          anchor: Anchor = Anchor.item) -> list[Suggestion]:
    """Suggestions for stored segments ({"text", "start"?, "side"?, "time"?}) of an item that
    happened at `at` (None: not known). A segment is said at its own "time" when it has one (a
    message), else `start` seconds after `at` (a recording), else at `at`. Each suggestion
    points to its segment."""
    item = given(at, tz, anchor=anchor, precision=precision)
    found = []
    for index, segment in enumerate(segments):
        start = segment.get("start")
        said = segment_said(segment, item, tz)
        for suggestion in _suggest(segment.get("text") or "", said, tz, language,
                                   segment.get("side")):
            found.append(replace(suggestion, segment_index=index,
                                 start=float(start) if start is not None else None))
    return found


def suggest_from_stamped_text(text: str, *, at: datetime | None, tz: ZoneInfo = DEFAULT_ZONE,
                              language: str | None = None,
                              precision: TimePrecision = TimePrecision.minute,
                              anchor: Anchor = Anchor.item) -> list[Suggestion]:
    """Suggestions for a text whose lines may start with their message's time (an SMS or chat
    export): each message is read from its own time; without such lines, from `at`."""
    messages = stamped_messages(text, tz)
    if messages is None:
        return suggest_promises(text, at=at, tz=tz, language=language, anchor=anchor,
                                precision=precision)
    found = suggest_from_segments(messages, at=at, tz=tz, language=language,
                                  precision=precision, anchor=anchor)
    return [replace(s, segment_index=None) for s in found]   # not stored segments


def _suggest(text: str, when: Said, tz: ZoneInfo, language: str | None,
             side: str | None) -> list[Suggestion]:
    speaker = Who(side) if side in (Who.me, Who.them) else None
    found = []
    for sentence in _sentences(text):
        lang = language or ("zh" if _CJK.search(sentence) else "en")
        found += _from_sentence(sentence, when, tz, lang, speaker)
    return found


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_BREAK.split(text) if s.strip()]


def _clauses(statement: str, language: str, today: date | None) -> list[_Clause]:
    clauses, start = [], 0
    for cut in [*_CLAUSE_BREAK.finditer(statement), None]:
        end = cut.start() if cut else len(statement)
        piece = statement[start:end]
        if piece.strip():
            text = normalise_numbers(piece, language)
            clauses.append(_Clause(start, end, text, find_amounts(text),
                                   find_days(text, today), find_clocks(text)))
        start = cut.end() if cut else end
    return clauses


def _from_sentence(sentence: str, when: Said, tz: ZoneInfo, language: str,
                   side: Who | None) -> list[Suggestion]:
    statement = rules.TAG_QUESTION.sub("", sentence)
    whole = normalise_numbers(statement, language)
    if rules.THREAT.search(whole) or (rules.QUESTION.search(whole)
                                      and not rules.COMMITS.search(whole)):
        return []
    said = _Said(sentence, whole, when, tz, side)
    clauses = _clauses(statement, language, when.today)
    return (_offers(clauses, said, statement) or _plans(clauses, said)
            or _payments(clauses, said) or _others(clauses, said))


def _offer_kinds(clause: _Clause) -> list[Kind]:
    """What the clause offers, unless it refuses it, asks for it or tells of the past."""
    if (rules.OFFER_REFUSED.search(clause.text) or rules.REQUEST.search(clause.text)
            or rules.PAST.search(clause.text)):
        return []
    return [kind for kind, rule in _OFFERS if rule.search(clause.text)]


def _offers(clauses: list[_Clause], said: _Said, statement: str) -> list[Suggestion]:
    """Waivers and stops to collection, with the payment they are conditional on, if any.
    When the offer is itself the "if" (如果你们减免罚息，我就还3000), the promise is the payment,
    on that condition."""
    offering = [c for c in clauses if _offer_kinds(c)]
    if not offering:
        return []
    rest = [c for c in clauses if c not in offering]
    if all(rules.CONDITIONAL.search(c.text) for c in offering) and any(c.pays for c in rest):
        condition = _quote_span(statement, offering)
        return [replace(s, condition=condition)
                for s in _plans(rest, said) or _payments(rest, said)]
    asked = [c for c in rest if c.live and (c.pays or c.amounts or c.days)]
    condition = _quote_span(statement, asked) if asked else None
    amounts = [a for c in asked for a in c.amounts] or [a for c in offering for a in c.amounts]
    due = _find_due(asked, said) or _find_due(offering, said)
    return [Suggestion(said.side or Who.them, kind, said.quote,
                       amount=amounts[0].value if amounts else None,
                       currency=amounts[0].currency if amounts else None,
                       condition=condition, **due_fields(due, said))
            for clause in offering for kind in _offer_kinds(clause)]


def _plans(clauses: list[_Clause], said: _Said) -> list[Suggestion]:
    live = [c for c in clauses if c.live]
    text = "，".join(c.text for c in live)
    if not (rules.PLAN_ITSELF.search(text)
            or (rules.PLAN.search(text) and any(c.pays for c in live))):
        return []
    plan = read_plan(text, find_amounts(text), find_days(text, said.when.today),
                     today=said.when.today, tz=said.tz)
    if plan.each is None and plan.total is None:
        return []
    who = _who(said, text)
    if who == Who.them and rules.DEMAND.search(text):
        return []
    first = next((p.due for p in plan.instalments if p.due), plan.first_due)
    due = Due(first, TimePrecision.day) if first else \
        Due(unresolved=True) if plan.unresolved else None
    return [Suggestion(who, Kind.instalment_plan, said.quote, amount=plan.each,
                       currency=plan.currency, total=plan.total, instalments=plan.instalments,
                       **due_fields(due, said))]


def _payments(clauses: list[_Clause], said: _Said) -> list[Suggestion]:
    """One payment per sum said (or one without a sum for 月底前全部还清), each with the day
    in its clause, or the day said in a clause of its own next to it (下周五，我还你3000)."""
    live = [c for c in clauses if c.live]
    if not any(c.pays for c in live):
        return []
    groups: list[list[_Clause]] = []
    loose_days: list[_Clause] = []
    for clause in live:
        if clause.amounts or (clause.days and rules.PAY_FIRM.search(clause.text)):
            groups.append([clause] + loose_days)   # its own day first
            loose_days = []
        elif (clause.days or clause.clocks) and groups and not _has_day(groups[-1]):
            groups[-1].append(clause)
        elif clause.days or clause.clocks:
            loose_days.append(clause)
    found = []
    for group in groups:
        who = _who(said, "，".join(c.text for c in group))
        if who == Who.them and rules.DEMAND.search(said.whole):
            continue
        found += [Suggestion(who, Kind.payment, said.quote, amount=amount, currency=currency,
                             **due_fields(due, said))
                  for amount, currency, due in _sums_and_days(group, said)]
    return found


def _sums_and_days(group: list[_Clause], said: _Said
                   ) -> list[tuple[Decimal | None, str | None, Due | None]]:
    """(amount, currency, due) for each sum in a group of clauses. Several sums in a clause
    take its days in order when there are as many ("$250 on Friday and $250 on the 20th"),
    else the nearest one; a lone sum takes the group's day."""
    default_due = _find_due(group, said)
    sums = [(clause, amount) for clause in group for amount in clause.amounts]
    if not sums:
        return [(None, None, default_due)]
    result = []
    for clause, amount in sums:
        due = default_due
        days = [d for d in clause.days if d.day or d.unresolved]
        if len(clause.amounts) > 1 and days:
            index = clause.amounts.index(amount)
            day = days[index] if len(days) == len(clause.amounts) else min(
                days, key=lambda d: abs(d.start - amount.start))
            due = _find_due([replace(clause, days=[day])], said)
        result.append((amount.value, amount.currency, due))
    return result


def _others(clauses: list[_Clause], said: _Said) -> list[Suggestion]:
    for clause in clauses:
        if (rules.OTHER.search(clause.text) and not rules.OTHER_REFUSED.search(clause.text)
                and clause.live and (rules.COMMITS.search(said.whole) or clause.days)):
            return [Suggestion(_who(said, clause.text), Kind.other, said.quote,
                               **due_fields(_find_due(clauses, said), said))]
    return []


def _has_day(group: list[_Clause]) -> bool:
    return any(d.day or d.unresolved for c in group for d in c.days) \
        or any(c.clocks for c in group)


def _find_due(clauses: list[_Clause], said: _Said) -> Due | None:
    return find_due(clauses, said.when, said.tz)


def _who(said: _Said, text: str) -> Who:
    """The side said it, else the wording of `text`, else of the whole sentence."""
    if said.side:
        return said.side
    wording = _who_from_wording(text)
    return wording if wording != Who.unknown else _who_from_wording(said.whole)


def _who_from_wording(text: str) -> Who:
    """我们可以/给你减免/只要你 -> them; 我/I -> me; 你/you alone (a collector restating what
    the debtor is to pay) -> them."""
    if rules.THEM_SPEAKING.search(text):
        return Who.them
    if rules.ME_SPEAKING.search(text):
        return Who.me
    return Who.them if rules.ADDRESSING_DEBTOR.search(text) else Who.unknown


def _quote_span(statement: str, clauses: list[_Clause]) -> str:
    """The words of `clauses` as said, from the first to the last, without a trailing "and"."""
    words = statement[min(c.start for c in clauses):max(c.end for c in clauses)]
    return _TRAILING_JOINERS.sub("", words).strip()
