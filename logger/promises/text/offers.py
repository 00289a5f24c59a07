"""What the creditor's side offers: a waiver (of penalty, interest, fees), a settlement (the debt
closed for a smaller sum paid at once), an extension (more time) and a stop to collection,
each often on a condition (你15号前还3000我们就给你减免罚息: the condition is kept)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from logger.promises.text import rules
from logger.promises.text.amounts import Amount
from logger.promises.text.clauses import (Act, Clause, Sentence, joined, pauses_joined,
                                          quote_span)
from logger.promises.text.due import due_fields, find_due
from logger.promises.text.speaker import from_wording, side_of
from logger.promises.text.suggestion import Kind, Suggestion, Who
from storage.models.types import TimePrecision

# Most telling first: 一次性结清…减到9800 is a settlement, though it also reduces the debt.
_OFFERS = ((Kind.settlement, rules.SETTLEMENT), (Kind.waiver, rules.WAIVER),
           (Kind.extension, rules.EXTENSION), (Kind.stop_calls, rules.STOP_CALLS))
_REFUSED = {Kind.extension: rules.OTHER_REFUSED}
# A day a waiver or a stop runs from (从今天起停止计息, 自签署之日起): when it starts, not a due.
_FROM = re.compile(r"(?:从|自)\s*$")
_PUNCTUATED = re.compile(r"[，,。！!？?；;：:]")
_DEADLINE_AFTER = re.compile(r"\s*(?:之内|以内|之前|以前|前|内|有效|截止)")
_DEADLINE_BEFORE = re.compile(r"\b(?:by|before|until|through)\s+(?:the\s+)?(?:end\s+of\s+)?$", re.I)
_ON = re.compile(r"^\s*(?:之日)?(?:起|开始|以后|之后)")


def _offering_words(text: str) -> bool:
    return any(rule.search(text) for _, rule in _OFFERS)


def offer_kinds(clause: Clause, *, keep_settlement: bool = False) -> list[Kind]:
    """What the clause offers, unless it refuses it, asks for it or tells of the past; a
    settlement is not also a waiver."""
    return list(_offer_kinds(clause.text, keep_settlement))


@lru_cache(maxsize=4096)
def _offer_kinds(text: str, keep_settlement: bool) -> tuple[Kind, ...]:
    """`offer_kinds` of a clause's text, which is all they depend on: every sentence reads
    each of its clauses, and collectors' templates repeat them."""
    if (rules.OFFER_REFUSED.search(text) or rules.REQUEST.search(text)
            or rules.PAST.search(text) or rules.QUESTION.search(text)):
        return ()
    kinds = [kind for kind, rule in _OFFERS if rule.search(text)
             and not (kind in _REFUSED and _REFUSED[kind].search(text))]
    if Kind.settlement in kinds and _debtor_pays(text) and not keep_settlement:
        kinds.remove(Kind.settlement)   # 我今天就能把本金8600一次性结清: a payment
    if Kind.settlement in kinds and Kind.waiver in kinds:
        kinds.remove(Kind.waiver)
    return tuple(kinds)


def offers(parts: list[Clause], said: Sentence, statement: str, payments, plans
           ) -> list[Suggestion]:
    """Offers in the sentence, with the payment they are conditional on, if any. When the
    offer is itself the "if" (如果你们减免罚息，我就还3000), the promise is the payment, on that
    condition (`payments` and `plans` read it)."""
    parts = pauses_joined(parts, statement, said.language, said.when.today, _offering_words)
    owed = max((a.value for c in parts if Act.debt in c.acts for a in c.amounts), default=None)
    kinds_of = {id(c): [] if _refused_around(c, statement) else _kinds_in(c, owed, said)
                for c in parts}
    if any(Kind.waiver in kinds_of[id(c)] and rules.FEES_NAMED.search(c.text) for c in parts) and \
            not rules.SETTLEMENT.search(rules.AT_ONCE.sub("", said.whole)):
        # 一次性还清一万八，剩下的罚息我们全免: paying at once is the condition of a waiver of
        # fees, not a settlement (一次性还8000，剩下的我们给你减免 is one)
        kinds_of = {id(c): [k for k in kinds_of[id(c)] if k != Kind.settlement] for c in parts}
    offering = [c for c in parts if kinds_of[id(c)]]
    if not offering:
        return []
    if any(rules.OFFER_REFUSED.search(c.text) and not _offering_words(c.text) for c in parts):
        return []   # 您之前申请的停催，我们这边没有批下来: the offer, refused in the next clause
    rest = [c for c in parts if c not in offering]
    if all(rules.CONDITIONAL.search(c.text) for c in offering) and any(c.pays for c in rest):
        if any(Kind.settlement in kinds_of[id(c)] for c in offering):
            return _settling_on(offering, rest, said)   # 你们要是能减到一万，我下周五一次性结清
        condition = quote_span(statement, offering)
        return [replace(s, condition=condition) for s in plans(rest, said) or payments(rest, said)]
    settles = any(Kind.settlement in kinds_of[id(c)] for c in offering)
    everything = [c for c in rest if _asks(c)]
    found, seen = [], set()
    for own_clause, asked in _conditions(parts, offering):
        for kind in kinds_of[id(own_clause)]:
            whole = kind in (Kind.settlement, Kind.extension)   # one per sentence
            key = kind if whole else (kind, id(asked[0]) if asked else None)
            if kind == Kind.waiver and settles or key in seen:
                continue   # a settlement is not also a waiver; one offer per condition
            seen.add(key)
            own = [c for c in offering if kind in kinds_of[id(c)] and
                   (c is own_clause or whole or not asked)]
            found += _offer(kind, own, everything if whole else asked, parts, said, statement,
                            owed)
    # A stop on the settlement said beside it (一次性6,000结清，本周五前，结清后不再联系你任何亲友)
    # depends on that payment
    settled = next((f for f in found if f.kind == Kind.settlement and f.amount), None)
    if settled is not None:
        found = [replace(f, amount=settled.amount, currency=settled.currency, due=settled.due,
                         due_precision=settled.due_precision, basis=settled.basis)
                 if f.kind == Kind.stop_calls and f.amount is None and f.due is None else f
                 for f in found]
    # A plan granted beside the offer (可以分期，每个月10号还3000，分4期，另外……罚息给你免一半)
    terms = [c for c in rest if not rules.CONDITION.search(c.text)]
    if found and rules.PLAN_ITSELF.search(joined(terms, said.quote)):
        found = plans(terms, said) + found
    return found


def _refused_around(clause: Clause, statement: str) -> bool:
    """A refusal of the offer said a pause before or after it, within the same stretch
    between punctuation (我们 不 会 | 停止催收; 延期 | 我 没办法 给你 批)."""
    lead = _PUNCTUATED.split(statement[max(0, clause.start - 12):clause.start])[-1]
    tail = _PUNCTUATED.split(statement[clause.end:clause.end + 12])[0]
    if not (lead.strip() or tail.strip()):
        return False
    return bool(rules.OFFER_REFUSED.search(
        re.sub(r"\s+", "", lead) + clause.text + re.sub(r"\s+", "", tail)))


def _settling_on(offering: list[Clause], rest: list[Clause], said: Sentence
                 ) -> list[Suggestion]:
    """The debtor's payment on the other side settling for less: a settlement, for the sum the
    "if" names (减到一万, "knock it down to 2,000"), else the sum paid."""
    amount = _amount(Kind.settlement, offering, []) or next(
        (a for c in rest if c.live for a in c.amounts), None)
    due = find_due([c for c in rest if c.live], said.when, said.tz)
    return [Suggestion(side_of(said.side) or Who.me, Kind.settlement, said.quote,
                       amount=amount.value if amount else None,
                       currency=amount.currency if amount else None,
                       **due_fields(due, said.when))]


def _asks(c: Clause) -> bool:
    return c.live and bool(c.pays or c.amounts or c.days)


def _conditions(parts: list[Clause], offering: list[Clause]
                ) -> list[tuple[Clause, list[Clause]]]:
    """Each offering clause with the clauses stating the payment it depends on: those between
    the offer before it and itself, else those after it up to the next offer, else the previous
    offer's (你15号前还五千，罚息免了；月底前再还五千，违约金也给你免: two waivers, two payments)."""
    def asks(c: Clause) -> bool:
        return c not in offering and _asks(c)
    where = [parts.index(c) for c in offering]
    result, previous = [], []
    for n, index in enumerate(where):
        low = where[n - 1] + 1 if n else 0
        high = where[n + 1] if n + 1 < len(where) else len(parts)
        asked = [c for c in parts[low:index] if asks(c)] or \
            [c for c in parts[index + 1:high] if asks(c)] or previous
        result.append((parts[index], asked))
        previous = asked
    return result


def _offer(kind: Kind, own: list[Clause], asked: list[Clause], parts: list[Clause],
           said: Sentence, statement: str, owed) -> list[Suggestion]:
    """One offer of `kind` stated in `own`, on the payment stated in `asked`."""
    if kind == Kind.stop_calls and not any(c.pays or c.amounts for c in asked):
        asked = []   # 元旦 三 天 | 我们 不 打 电话 了: a day alone is the pause's, no condition
    condition = quote_span(statement, asked) if asked else None
    if kind == Kind.settlement and rules.DEMAND.search(said.whole) \
            and not any(rules.SETTLED_SUM_MARK.search(c.text) for c in parts):
        return []   # 一次性结清，今天就要: a demand, nothing given up
    amount = _amount(kind, own, asked)
    if kind == Kind.extension:   # the new day is the offer's own, at the hour said beside it
        due = find_due(own, said.when, said.tz)
        beside = find_due(asked, said.when, said.tz)
        if due is None or (beside and due.at and beside.at and due.at.date() == beside.at.date()
                           and beside.precision == TimePrecision.minute):
            due = beside or due
    elif kind == Kind.stop_calls:   # the length of a pause is no due (这礼拜不会再打给你了,
        # 元旦 三 天 我们 不 打 电话 了): only a payment's day is
        due = find_due(asked, said.when, said.tz) or find_due(
            [c for c in own if c.pays and c.amounts], said.when, said.tz)
    elif kind == Kind.waiver:   # nor the day it is granted on ("waive that fee for you today")
        due = find_due([_without_starts(c) for c in asked], said.when, said.tz) or find_due(
            [_without_today(_without_starts(c), said) for c in own], said.when, said.tz)
    else:   # nor a settlement's (今天年底了，给你最后一次机会，一次性结清……), whose day is
        # the payment's when a clause pays (……，下个月15号前结清)
        asked = [_without_today(c, said) for c in asked]
        due = find_due([c for c in asked if c.pays], said.when, said.tz) or find_due(
            asked, said.when, said.tz) or find_due(
            [_without_today(c, said) for c in own], said.when, said.tz)
    speaker = side_of(said.side) or _offered_by(kind, said, own, owed)
    if kind == Kind.stop_calls and speaker == Who.me:
        return []   # the debtor asks for a stop ("stop calling my office"); only they grant one
    if kind == Kind.extension and speaker == Who.me and rules.QUESTION.search(said.quote) \
            and not any(rules.ME_SPEAKING.search(c.text) for c in own):
        return []   # 延期到下个月10号……可以吗？ asks; 我申请延期到…，行吗？ states
    return [Suggestion(speaker, kind, said.quote, amount=amount.value if amount else None,
                       currency=amount.currency if amount else None,
                       condition=None if kind == Kind.settlement else condition,
                       **due_fields(due, said.when))]


def _without_today(clause: Clause, said: Sentence) -> Clause:
    """The clause without the day it was said on, unless it pays or names that day as a
    deadline (今天之内有效, "by today"): the day an offer is made."""
    if clause.pays:
        return clause
    return replace(clause, days=[d for d in clause.days if d.day is None
                                 or d.day != said.when.today
                                 or _DEADLINE_AFTER.match(clause.text, d.end)
                                 or _DEADLINE_BEFORE.search(clause.text, 0, d.start)])


def _without_starts(clause: Clause) -> Clause:
    """The clause without the days things run from (从今天起)."""
    return replace(clause, days=[d for d in clause.days if not (
        _FROM.search(clause.text[:d.start]) and _ON.match(clause.text[d.end:]))])


def _kinds_in(clause: Clause, owed, said: Sentence) -> list[Kind]:
    """The clause's offers; the debtor's own word to pay at once is a settlement only when a
    larger debt is said beside it (总共欠两万三，我一次性还一万五结清). Said by the creditor's
    side, paying at once is what its settlement asks for."""
    kinds = offer_kinds(clause, keep_settlement=True)
    whole = said.whole
    debtor = side_of(said.side) != Who.them and (
        _debtor_pays(clause.text) or _pays_at_once(clause.text, whole) or bool(
            rules.WHOLE_DEBT.search(clause.text) and not rules.SETTLED_SUM_MARK.search(whole)))
    if Kind.settlement in kinds and debtor and not (
            owed and any(a.value < owed for a in clause.amounts)):
        kinds.remove(Kind.settlement)
    return kinds


def _offered_by(kind: Kind, said: Sentence, own: list[Clause], owed) -> Who:
    """Without a side: the debtor asks for an extension or proposes a settlement in the first
    person (我想往后推两周, 我一次性还一万五结清); every other offer is the creditor's."""
    if kind in (Kind.extension, Kind.settlement):
        wording = from_wording("，".join(c.text for c in own))
        if wording == Who.unknown:
            wording = from_wording(said.whole)
        if wording == Who.me:
            return Who.me
    return Who.them


def _amount(kind: Kind, own: list[Clause], asked: list[Clause]) -> Amount | None:
    """The sum an offer names: a settlement's settling sum (after 减到/只需/"for"; else the
    smallest said, the debt being the larger), else the sum its condition asks for."""
    if kind == Kind.settlement:
        every = [(c, a) for c in own + asked for a in c.amounts]
        marked = [a for c, a in every if rules.SETTLED_SUM.search(c.text[:a.start])]
        if marked:
            return marked[0]
        return min((a for _, a in every), key=lambda a: a.value, default=None)
    amounts = [a for c in asked for a in c.amounts] or [a for c in own for a in c.amounts]
    return amounts[0] if amounts else None


def _pays_at_once(text: str, whole: str) -> bool:
    """Paying at once, in a sentence with no word of the other side's and nothing given up
    (到时候一次性还六千): a payment, as paying the whole balance is."""
    return bool(rules.ONE_GO.search(text) and not rules.THEM_SPEAKING.search(whole)
                and not rules.SETTLED_SUM_MARK.search(whole) and not rules.SETTLEMENT.search(
                    rules.AT_ONCE.sub("", whole)))


def _debtor_pays(text: str) -> bool:
    """The debtor's own word to pay at once (in a clause's `text`), with no smaller sum
    offered for it."""
    return bool(rules.ME_SPEAKING.search(text) and not rules.THEM_SPEAKING.search(text)
                and not rules.SETTLED_SUM_MARK.search(text))
