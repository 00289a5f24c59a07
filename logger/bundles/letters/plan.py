"""The letter plan: what a complaint letter may say about a negotiation, and what it must not.

`plan_letter` reads the record once, in the letter's language, and sorts it:

- `confirmed` facts, each with a key the page ticks (all ticked by default):
  contacts whose time and direction are known (evidence items, the calls of an imported call
  log, the contacts a person typed in), the promises a person confirmed (with their state only
  where the record decides it) and the counted conduct findings;
- `uncertain` ones (`Doubt`), shown to the user on the page with why and where to settle each,
  never written into a letter: a contact of unknown time or direction, a finding waiting for a
  direction or a confirmation, a debtor's payment promise that a recorded but unmatched payment
  may have paid, an instalment plan without due dates.

A payment recorded but not matched to a promise by a person is not a confirmed fact. Unknown
promise kinds are written as "something else" (`words.promise_kind`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache, partial
from zoneinfo import ZoneInfo

from sqlmodel import Session

from logger.bundles.calls import call_description
from logger.bundles.items import kind_label
from logger.bundles.letters.words import (KIND_WITH_AMOUNT, PARTIES, promise_kind, written_day,
                                          written_money, written_when)
from logger.conduct.calllog import list_call_log
from logger.conduct.checks import AUTHOR_NOTE, DIRECTION_NOTE, SUGGESTION_NOTE, Finding
from logger.conduct.contact_entries import list_contact_entries
from logger.conduct.inputs import is_message
from logger.conduct.report import ConductReport, conduct_report
from logger.i18n import NC_, in_language, translate
from logger.promises.due import deadline
from logger.promises.payments import PAYABLE, balances_of, suggest_match, unmatched_payments
from logger.promises.promises import ACTIVE_STATUSES, instalments_of, list_promises
from logger.record.evidence import CONTACT_KINDS, list_evidence
from storage.models import Direction, Evidence, Negotiation
from storage.models.promises import Payment, Promise, PromiseKind, PromiseParty
from storage.models.types import TimePrecision


DIRECTIONS = {Direction.from_them: NC_("bundle", "from them"),
              Direction.from_me: NC_("bundle", "from me")}
CHANNELS = {"call": NC_("bundle", "call"), "sms": NC_("bundle", "text message"),
            "app_chat": NC_("bundle", "app chat"), "wechat": NC_("bundle", "WeChat"),
            "email": NC_("bundle", "email"), "letter": NC_("bundle", "letter"),
            "visit": NC_("bundle", "visit"), "other": NC_("bundle", "other")}
CALL_LOG = NC_("bundle", "call log")
# The notes a finding's reason carries for the user; a letter never repeats them.
NOTES = (DIRECTION_NOTE, AUTHOR_NOTE, SUGGESTION_NOTE)
ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


class Section(StrEnum):
    contact = "contact"
    promise = "promise"
    finding = "finding"


@dataclass(frozen=True)
class Fact:
    """One confirmed fact. `key`: what the page ticks ("evidence:12", "calllog:7",
    "contact:3", "promise:5", "finding:<id>"); `text`: the fact in one line of the plan's
    language (without its time); `detail`: what a kind of letter may add (a quote, a source)."""

    key: str
    section: Section
    at: datetime | None
    precision: str | None
    text: str
    detail: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Doubt:
    """Something the letter leaves out until a person settles it: `what` (with its time),
    `why`, and where to settle it: `settle` = ("evidence", id) | ("payments", None) |
    ("promises", None) | ("findings", None)."""

    key: str
    what: str
    why: str
    settle: tuple[str, int | None]


@dataclass
class LetterPlan:
    negotiation: Negotiation
    language: str
    tz: ZoneInfo
    confirmed: list[Fact]
    uncertain: list[Doubt]
    # Legal sources cited that were not checked against the document's published text.
    unchecked_sources: list[str] = field(default_factory=list)

    def keys(self) -> list[str]:
        return [f.key for f in self.confirmed]

    def picked(self, section: Section, picks: Iterable[str] | None = None) -> list[Fact]:
        """The confirmed facts of `section` a person picked (None: all), in time order."""
        chosen = None if picks is None else set(picks)
        facts = [f for f in self.confirmed
                 if f.section == section and (chosen is None or f.key in chosen)]
        return sorted(facts, key=lambda f: (f.at is None, f.at or datetime.min, f.key))

    def when(self, fact: Fact, *, twelve_hour: bool = False) -> str:
        return written_when(fact.at, self.tz, fact.precision, self.language,
                            twelve_hour=twelve_hour)


def plan_letter(session: Session, negotiation: Negotiation, *, language: str, tz: ZoneInfo,
                now: datetime | None = None, items: list[Evidence] | None = None,
                report: ConductReport | None = None) -> LetterPlan:
    """The plan as of `now` (default: the present moment). `items` (the negotiation's
    `list_evidence`, or rows of the fields read) and `report` (its conduct report, judged in
    `tz`), when the caller has
    them already, are not read again."""
    plan = LetterPlan(negotiation, language, tz, [], [])
    if items is None:
        items = list_evidence(session, negotiation.id)
    contacts = _contacts(session, plan, items)
    _promises(session, plan, now or datetime.now(UTC))
    if report is None:
        report = conduct_report(session, negotiation, default_zone=tz)
    _findings(plan, report, {f.key: f for f in contacts})
    return plan


# ----------------------------------------------------------------------------- contacts

def _contacts(session: Session, plan: LetterPlan, items: list[Evidence]) -> list[Fact]:
    language, n = plan.language, plan.negotiation
    # The same few words for every item (tens of thousands in a large negotiation).
    word = cache(partial(translate, language))
    facts = []
    for item in items:
        if not (item.kind in CONTACT_KINDS or is_message(item)):
            continue  # a document, a note, a receipt: its upload is no contact
        text = kind_label(item, language) if item.kind in CONTACT_KINDS else word(
            CHANNELS[str(item.channel)])
        key = f"evidence:{item.id}"
        if item.occurred_at is None:
            plan.uncertain.append(Doubt(key, _named(text, item.original_filename, language),
                                        translate(language, "The record does not say when it "
                                                            "happened."), ("evidence", item.id)))
            continue
        when = written_when(item.occurred_at, plan.tz, item.occurred_at_precision, language)
        if item.direction not in DIRECTIONS:
            plan.uncertain.append(Doubt(key, f"{when} {text}", translate(
                language, "The record does not say who started this contact."),
                ("evidence", item.id)))
            continue
        detail = [word(DIRECTIONS[item.direction])]
        who = item.counterpart_number or item.counterpart_name
        if who:
            detail.append(who)
        text = word("%(kind)s (%(details)s)") % {"kind": text,
                                                 "details": word(NC_("list", ", ")).join(detail)}
        facts.append(Fact(key, Section.contact, item.occurred_at,
                          str(item.occurred_at_precision or TimePrecision.minute), text,
                          {"from_them": item.direction == Direction.from_them,
                           "channel": str(item.channel or item.kind), "who": who}))
    for row in list_call_log(session, n.id):  # the calls of an imported call log, each once
        facts.append(Fact(f"calllog:{row.id}", Section.contact, row.started_at, None, translate(
            language, "%(label)s: %(value)s", label=translate(language, CALL_LOG),
            value=call_description(row, language)), {"channel": "call"}))
    for entry in list_contact_entries(session, n.id):
        channel = CHANNELS.get(str(entry.channel), CHANNELS["other"])
        facts.append(Fact(f"contact:{entry.id}", Section.contact, entry.occurred_at,
                          str(entry.occurred_precision), translate(
                              language, "%(label)s: %(value)s",
                              label=translate(language, channel), value=entry.description),
                          {"channel": str(entry.channel), "evidence_id": entry.evidence_id,
                           "from_them": entry.direction == Direction.from_them}))
    plan.confirmed += facts
    return facts


def _named(text: str, name: str | None, language: str) -> str:
    return translate(language, "%(kind)s (%(details)s)", kind=text, details=name) if name \
        else text


# ----------------------------------------------------------------------------- promises

def _promises(session: Session, plan: LetterPlan, now: datetime) -> None:
    language, tz = plan.language, plan.tz
    active = [p for p in list_promises(session, plan.negotiation) if p.status in ACTIVE_STATUSES]
    maybe_paid = _maybe_paid(session, plan.negotiation, active)
    parts_of = {p.id: [i for i in instalments_of(session, p) if i.status in ACTIVE_STATUSES]
                for p in active if p.kind == PromiseKind.instalment_plan}
    undated = {plan_id for plan_id, parts in parts_of.items() if not any(i.due_at for i in parts)}
    for promise in active:
        key = f"promise:{promise.id}"
        if promise.plan_id in undated:
            continue  # an instalment of a plan without dates: the plan's doubt says it
        if promise.kind == PromiseKind.instalment_plan:
            parts = parts_of[promise.id]
            if promise.id in undated:
                plan.uncertain.append(Doubt(key, _promise_text(promise, language), translate(
                    language, "The plan has no due dates: give its instalments' dates."),
                    ("promises", None)))
                continue
            plan.confirmed.append(Fact(key, Section.promise, promise.created_at, None,
                                       _promise_text(promise, language),
                                       {"promise": promise, "state": None,
                                        "instalments": len(parts)}))
            continue
        if promise.id in maybe_paid:
            payment = maybe_paid[promise.id]
            plan.uncertain.append(Doubt(key, _when_promised(promise, language, tz), translate(
                language, "A payment of %(amount)s on %(day)s is recorded but not matched to a "
                          "promise; match it, or say it pays something else.",
                amount=written_money(payment.amount, payment.currency, language),
                day=written_when(payment.paid_at, tz, payment.paid_precision, language)),
                ("payments", None)))
            continue
        # A state the record decides; a promise with no due date has none to state, and one
        # past its due time that nobody settled yet is not "not yet due".
        state = str(promise.status) if promise.due_at is not None else None
        if state == "pending" and deadline(promise) <= now:
            state = None
        plan.confirmed.append(Fact(key, Section.promise, promise.due_at,
                                   str(promise.due_precision), _promise_text(promise, language),
                                   {"promise": promise, "state": state}))


def _maybe_paid(session: Session, n: Negotiation, active: list[Promise]) -> dict[int, Payment]:
    """The debtor's open payment promises an unmatched payment may have paid: the one
    suggest_match proposes, or one whose shortfall it equals."""
    mine = [p for p in active if p.party == PromiseParty.me and p.kind in PAYABLE
            and str(p.status) != "kept"]
    balances = balances_of(session, mine)
    found: dict[int, Payment] = {}
    for payment in unmatched_payments(session, n):
        suggested = suggest_match(session, payment)
        for promise in mine:
            short = balances[promise.id].shortfall
            if (suggested is not None and suggested.id == promise.id) or (
                    promise.currency == payment.currency and short not in (None, Decimal(0))
                    and short == payment.amount):
                found.setdefault(promise.id, payment)
    return found


def _promise_text(promise: Promise, language: str) -> str:
    amount = written_money(promise.amount, promise.currency, language)
    part = translate(language, " (instalment %(number)s)", number=promise.instalment) \
        if promise.instalment else ""
    what = translate(language, promise_kind(promise.kind))
    if amount and str(promise.kind) in KIND_WITH_AMOUNT:
        what = translate(language, KIND_WITH_AMOUNT[str(promise.kind)], amount=amount)
        amount = ""
    return translate(language, "%(who)s promised %(what)s%(amount)s%(part)s",
                     who=translate(language, PARTIES.get(str(promise.party), PARTIES["them"])),
                     what=what, amount=f" {amount}" if amount else "", part=part)


def _when_promised(promise: Promise, language: str, tz: ZoneInfo) -> str:
    due = written_when(promise.due_at, tz, promise.due_precision, language)
    return f"{due} {_promise_text(promise, language)}".strip()


# ----------------------------------------------------------------------------- findings

def _findings(plan: LetterPlan, report: ConductReport, contacts: dict[str, Fact]) -> None:
    language = plan.language
    rules = {rule.id: rule for rule in report.rule_set.rules}
    for finding in report.findings:
        if finding.state == "dismissed":
            continue
        if finding.state in ("needs_direction", "suggested"):
            why = translate(language, "The record does not say who started this contact or "
                                      "wrote these words.") \
                if finding.state == "needs_direction" else translate(
                    language, "Read from the words only: confirm it or dismiss it first.")
            settle = ("evidence", finding.evidence_id) if finding.evidence_id and \
                finding.state == "needs_direction" else ("findings", None)
            # Its reason names its time.
            plan.uncertain.append(Doubt(f"finding:{finding.id}",
                                        clean_reason(finding, language), why, settle))
            continue
        rule = rules.get(finding.rule_id)
        sources = [s.cite(language) for s in finding.legal_sources]
        plan.unchecked_sources += [s.cite(language) for s in finding.legal_sources
                                   if not s.verified and s.cite(language)
                                   not in plan.unchecked_sources]
        contact = contacts.get(finding.source)
        plan.confirmed.append(Fact(
            f"finding:{finding.id}", Section.finding, finding.at,
            "day" if finding.local_time and len(finding.local_time) == 10 else None,
            _finding_text(finding, contact, rule, language),
            {"rule": in_language(rule.description, language) if rule else "",
             "sources": sources, "quote": finding.quote, "check": finding.check,
             "source": finding.source}))


def _finding_text(finding: Finding, contact: Fact | None, rule, language: str) -> str:
    """What happened, in the letter's words: the contact and what was wrong with it, or the
    words said; the counting checks say their count."""
    if finding.check == "quiet_hours" and contact is not None and rule is not None:
        window = "–".join((rule.params["allowed_from"], rule.params["allowed_until"]))
        return translate(language, "%(contact)s, outside the hours allowed for collection "
                                   "(%(window)s)", contact=contact.text, window=window)
    if finding.quote and finding.check != "third_party":
        said = translate(language, "they said: “%(quote)s”", quote=finding.quote)
        return translate(language, "%(contact)s, %(said)s", contact=contact.text, said=said) \
            if contact else said
    return clean_reason(finding, language)


def clean_reason(finding: Finding, language: str) -> str:
    """The finding's reason without the notes meant for the user, "you" written as the
    letter's "me", and its dates in the reader's form."""
    text = in_language(finding.reason, language)
    for note in NOTES:
        text = text.replace(note.to(language), "")
    text = text.replace(" instead of you.", " instead of me.").replace("而不是你本人", "而不是我本人")
    text = ISO_DAY.sub(lambda m: _day_of(m, language), text)
    return text.strip().rstrip(".。")


def _day_of(match: re.Match, language: str) -> str:
    return written_day(date(int(match[1]), int(match[2]), int(match[3])), language)

