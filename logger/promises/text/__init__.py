"""Promise suggestions from what was said or written: a transcript, OCR text, an email.

Each sentence (one turn: a fragment that only names a day or a sum joins its neighbour) is read
clause by clause (`clauses`): each clause's sums, days and words of paying, and what it does (a
question, a refusal, the past, a request, a statement of the debt, a hypothetical). It may yield
several suggestions, each quoting its sentence: payments (我下周五还3000; a sum and a day joined
across commas, `payments`), an instalment plan (分3期，每月15号还1000), and the other side's
offers (`offers`): a waiver of penalty or interest (减免罚息), a settlement for less paid at
once (一次性结清…减到9800), an extension (延期到下月10号) or a stop to collection (停催), often
on a condition (你15号前还3000我们就给你减免罚息), or another promise ("in writing").
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

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from logger.promises.text import resemblance, rules
from logger.promises.text.amounts import normalise_numbers
from logger.promises.text.anchors import Anchor, Said, given, segment_said, stamped_messages
from logger.promises.text.clauses import (Act, Clause, Sentence, clauses, language_of,
                                          sentences, without_tag)
from logger.promises.text.offers import offers
from logger.promises.text.payments import others, payments, plans
from logger.promises.text.speaker import by_party, parties, side_of
from logger.promises.text.suggestion import Kind, Suggestion, Who
from logger.promises.text.turns import merged, turns, writer
from storage.models.types import TimePrecision

__all__ = ["DEFAULT_ZONE", "Kind", "Suggestion", "Who", "suggest_from_segments",
           "suggest_from_stamped_text", "suggest_promises"]

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
# Acts that, in any clause, make the whole sentence no promise.
_SENTENCE_VOID = (Act.hypothetical,)


def suggest_promises(text: str, *, at: datetime | None, tz: ZoneInfo = DEFAULT_ZONE,
                     language: str | None = None, side: str | None = None,
                     anchor: Anchor = Anchor.given,
                     precision: TimePrecision = TimePrecision.minute,
                     veto_at: float | None = None) -> list[Suggestion]:
    """The promise-like statements in `text`, said at `at` (a naive time is read in `tz`;
    None: not known, and relative days are then not counted). `anchor` names what `at` is
    (recorded on each suggestion's `basis`), `precision` whether its clock time is known.
    `veto_at` replaces `resemblance.VETO_AT` (the training tool's sweep).

    `language` ("zh" or "en") is guessed from the text when None; `side` ("me" or "them") is
    who said it when known, else who is inferred from the wording."""
    return _suggest(text, given(at, tz, anchor=anchor, precision=precision), tz, language,
                    side, veto_at)


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
             side: str | None, veto_at: float | None = None) -> list[Suggestion]:
    found = []
    # A sentence said again (an email's text and HTML parts, a template) reads the same.
    read: dict[tuple[str, Who | None], list[Suggestion]] = {}
    defined = parties(text)
    receipt = bool(rules.RECEIPT.search(text))
    for turn, speaker in turns(text, side_of(side) or writer(text)):
        in_turn: list[tuple[str, list[Suggestion]]] = []
        for sentence in sentences(turn):
            if receipt and rules.RECEIPT_FIELD.search(sentence):
                continue   # 还款金额：8,600.00元 on a receipt: what was paid
            if (sentence, speaker) not in read:
                read[sentence, speaker] = [
                    replace(s, who=by_party(sentence, defined)) if defined and
                    s.who == Who.unknown else s for s in _from_sentence(
                        sentence, when, tz, language or language_of(sentence), speaker,
                        resemblance.VETO_AT if veto_at is None else veto_at)]
            in_turn.append((sentence, read[sentence, speaker]))
        found += merged(in_turn, when, tz)
    return found


def _live_stretches(statement: str, parts: list[Clause]) -> list[str]:
    """What follows a deed done, as said, when it names a day of its own (上个月 已经 还了 两千 |
    这个月 十五号 再 还 两千: a transcript that no punctuation cuts apart), for the model to read
    apart from the past. Only the past: a question, a refusal or a request changes what the
    rest means (我 申请 延期 的话 要 什么 材料). (Reading the end of a transcript apart whenever
    every clause is live was tried: two promises kept, three negatives lost their context.)"""
    if all(c.live for c in parts) or any(c.acts - {Act.past} for c in parts):
        return []
    runs: list[list[Clause]] = [[]]
    for clause in parts:
        if clause.live:
            runs[-1].append(clause)
        elif runs[-1]:
            runs.append([])
    return [statement[run[0].start:run[-1].end] for run in runs
            if run and run[0] is not parts[0] and any(c.dated for c in run)]


def _after_the_pivot(statement: str, parts: list[Clause]) -> list[Clause]:
    """The clauses after the last pivot of a long utterance (但是, 所以, 这样吧, "but what I can
    do"), when they are all live and pay a sum or on a day: read apart from the troubles told
    before them (…真的 是 没 钱 | 但是 这个 月 二十 号 我 先 给 你们 转 两千); else none."""
    pivots = list(rules.PIVOT.finditer(statement))
    if not pivots or pivots[-1].start() < 20:
        return []
    after = [c for c in parts if c.start >= pivots[-1].end()]
    if not after or not all(c.live for c in after) or not any(c.pays for c in after) or not any(
            c.amounts or c.dated for c in after):
        return []
    return after


def _from_sentence(sentence: str, when: Said, tz: ZoneInfo, language: str,
                   side: Who | None, veto_at: float) -> list[Suggestion]:
    """The sentence read clause by clause: a threat (not the debtor's), another person's promise
    reported, or another bill paid gives nothing; so does a question, unless one of its clauses
    commits; the acts of each clause decide what it can carry."""
    statement = without_tag(sentence)
    whole = normalise_numbers(statement, language)
    if (rules.THREAT.search(whole) and side != Who.me) or rules.REPORTED.search(whole):
        return []   # the debtor's 不然/否则 gives a reason (…，不然真的还不了), threatens nothing
    if rules.OTHER_BILL.search(whole) and not rules.TO_THE_CREDITOR.search(whole):
        return []
    if rules.EXPIRED.search(whole):
        return []   # 那个一次性结清6000的优惠，已经过期了: an offer gone, nothing to promise
    asked = bool(rules.ASKING.search(whole)) or statement == sentence and bool(
        rules.QUESTION.search(whole))
    parts = clauses(statement, language, when.today, asked=asked)
    if any(act in c.acts for c in parts for act in _SENTENCE_VOID):
        return []
    if rules.RECEIPT.search(whole) and not any(
            d.day and when.today and d.day > when.today for c in parts for d in c.days):
        return []   # 您的还款已成功，金额1,250.00元: what was paid, with no day to come
    if asked and not (rules.COMMITS.search(whole) and any(c.live for c in parts)) and not any(
            c.live and c.pays and (c.amounts or c.dated) and not rules.CONDITION.search(c.text)
            for c in parts[:-1]):
        return []   # a question, unless a clause before the asking one commits
    said = Sentence(sentence, whole, when, tz, side, language)
    found = _promised(parts, said, statement)
    if found and resemblance.promises_nothing(sentence, side, _live_stretches(
            statement, parts)) >= veto_at:
        # read whole and clause by clause, it resembles what promises nothing; what follows
        # the turn of a long utterance may still promise, read apart and alone
        after = _after_the_pivot(statement, parts)
        if not after or resemblance.promises_nothing(
                statement[after[0].start:], side) >= veto_at:
            return []
        found = _promised(after, said, statement)
    # The same promise said twice in one sentence (捌仟陆佰元整（¥8,600.00）) is one; so is one
    # said again with less (三千五过去 三千五啊: the sum repeated without its day).
    found = [s for n, s in enumerate(found) if not any(
        (s.who, s.kind, s.amount, s.due) == (t.who, t.kind, t.amount, t.due) for t in found[:n])]
    return [s for s in found if not any(t is not s and _says_more(t, s) for t in found)]


def _promised(parts: list[Clause], said: Sentence, statement: str) -> list[Suggestion]:
    """What the clauses promise: the other side's offers, else a plan, else payments, else
    another promise."""
    return (offers(parts, said, statement, payments, plans) or plans(parts, said)
            or payments(parts, said) or others(parts, said))


def _says_more(t: Suggestion, s: Suggestion) -> bool:
    """`t` is `s` with the sum or the day `s` lacks."""
    return (t.who, t.kind) == (s.who, s.kind) and (
        (s.due is None and t.due is not None and s.amount == t.amount is not None)
        or (s.amount is None and t.amount is not None and s.due == t.due is not None))
