"""Turns: who speaks in a text, and what a turn's sentences say together.

A call's notes or a chat pasted as labelled lines are read line by line, each as its speaker's;
a letter in the debtor's own name is the debtor's throughout. Within one turn, sentences that
say one promise between them are read as one: an offer and its day or sum said in the next
sentence (一次性还款5000元结清此笔债务。付款时间：12月12日; "a one-time settlement of $980.
Offer good until 12/18."), an extension and the payment on its new day, a letter's title and
the offer it heads.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from logger.promises.text import rules
from logger.promises.text.amounts import normalise_numbers
from logger.promises.text.anchors import Said
from logger.promises.text.clauses import clauses, language_of
from logger.promises.text.due import due_fields, find_due
from logger.promises.text.suggestion import Kind, Suggestion, Who

# Offers whose day or sum may be said in the sentence after them.
_OFFERS = (Kind.settlement, Kind.extension, Kind.stop_calls, Kind.waiver)


def writer(text: str) -> Who | None:
    """The debtor, when the text is a letter in the debtor's own name (本人李某某，… / 承诺人：…),
    so that each of its sentences is theirs; else None (not known)."""
    if rules.DEBTOR_LETTER.search(text) and not rules.THEM_SPEAKING.search(text):
        return Who.me
    return None


def turns(text: str, speaker: Who | None) -> list[tuple[str, Who | None]]:
    """The text's turns with their speakers: a call's notes or a chat pasted as lines that each
    open with who speaks (催收：…, 我：…, "Agent: …", "Customer: …") are read line by line, each
    as its speaker's, when the item's own side is not known; else the text is one turn."""
    if speaker is not None or not rules.TURN_LABEL.search(text):
        return [(text, speaker)]
    found = []
    for line in text.splitlines():
        label = rules.TURN_LABEL.match(line)
        if label is None:
            found.append((line, None))
        else:
            mine = label["label"].lower() in rules.DEBTOR_LABELS
            found.append((line[label.end():], Who.me if mine else Who.them))
    return found


def merged(read: list[tuple[str, list[Suggestion]]], when: Said, tz: ZoneInfo
           ) -> list[Suggestion]:
    """The suggestions of one turn's sentences (each with what it gave), said once."""
    return _said_once(_terms_after(read, when, tz))


def _terms_after(read: list[tuple[str, list[Suggestion]]], when: Said, tz: ZoneInfo
                 ) -> list[Suggestion]:
    """An offer without a day whose next sentence pays or names a deadline takes that day, and
    its one sum when the offer has none; what that sentence gave on its own (the same payment,
    said by nobody known or by the same side) is then the offer's."""
    out: list[Suggestion] = []
    n = 0
    while n < len(read):
        found, then = list(read[n][1]), []
        undated = next((i for i, s in enumerate(found) if s.kind in _OFFERS and s.due is None),
                       None)
        if undated is not None and n + 1 < len(read):
            after, gave = read[n + 1]
            filled = _filled(found[undated], after, gave, when, tz)
            if filled is not None:
                found[undated] = filled
                then = [g for g in gave if not _restated(g, filled)]
                n += 1   # the next sentence is read with the offer
        out += found + then
        n += 1
    return out


def _filled(offer: Suggestion, after: str, gave: list[Suggestion], when: Said, tz: ZoneInfo
            ) -> Suggestion | None:
    """`offer` with the day (and sum) said in the sentence `after` it, or None when that
    sentence neither pays nor names a deadline, or names no day."""
    language = language_of(after)
    statement = normalise_numbers(after, language)
    parts = clauses(after, language, when.today)
    if not (rules.DEADLINE.search(statement) or any(c.pays for c in parts)):
        return None
    if any(g.kind in _OFFERS for g in gave):
        return None   # an offer of its own, not the terms of this one
    due = find_due(parts, when, tz)
    if due is None or due.at is None:
        return None
    sums = {a.value: a for c in parts for a in c.amounts}
    amount = next(iter(sums.values())) if offer.amount is None and len(sums) == 1 else None
    filled = replace(offer, **due_fields(due, when))
    if amount is not None:
        filled = replace(filled, amount=amount.value, currency=amount.currency)
    return filled


def _restated(given: Suggestion, offer: Suggestion) -> bool:
    """A payment the next sentence gave that is the offer's own terms said again."""
    return given.kind == Kind.payment and given.who in (Who.unknown, offer.who) and \
        given.due == offer.due and given.amount in (None, offer.amount)


def _said_once(found: list[Suggestion]) -> list[Suggestion]:
    """An extension asked or granted without a sum, and a payment by the same side on its new
    day said later (我要求延期到下个月底，……。下个月底之前我把这个月的两千四还了), are one extension
    carrying what will be paid by then; an offer with neither sum nor day (a letter's title,
    延期还款申请书) goes when the same side's offer of that kind says them."""
    out = [s for s in found if not (
        s.kind != Kind.payment and s.amount is None and s.due is None and any(
            t is not s and (t.who, t.kind) == (s.who, s.kind) and (t.amount or t.due)
            for t in found))]
    for n, extension in enumerate(out):
        if extension.kind != Kind.extension or extension.amount is not None or \
                extension.due is None:
            continue
        paid = next((p for p in out[n + 1:] if p.kind == Kind.payment and p.who == extension.who
                     and p.amount is not None and p.due == extension.due), None)
        if paid is not None:
            out[n] = replace(extension, amount=paid.amount, currency=paid.currency)
            out.remove(paid)
    return out
