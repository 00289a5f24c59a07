"""A sentence read as clauses, each with what it names and what it does.

A sentence is cut at commas (not a thousands separator), at a tag question (……，行吗？ is a
proposal, not a question) and where the answer to an "if" begins. Each clause carries its sums,
days and times of day, whether it speaks of paying (tokens.paying_words), and its acts: the
speech acts that stop it carrying a promise (a question, a refusal, the past, a request, a
statement of the debt, a hypothetical). A sum or a day in a clause of its own is attached to
the promise next to it by the callers (周一还，1,280块).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from logger.promises.text import rules
from logger.promises.text.amounts import (LONE_SUM, Amount, find_amounts, lone_sum, loose_amounts,
                                          normalise_numbers, said_as_the_sum)
from logger.promises.text.anchors import Said
from logger.promises.text.clocks import ClockMention, find_clocks
from logger.promises.text.dates import DayMention, find_days
from logger.promises.text.tokens import paying_words

_SENTENCE_BREAK = re.compile(r"(?<=[。！？!?\n])|(?<=\.)\s+(?=[A-Z\u4e00-\u9fff\"“])")
# A transcript's pause inside a day or an hour (下个月 十号, 明天 上午 十点, 十号 之前) is no
# break.
_DAY_GOES_ON = (r"[一二三四五六七八九十两]{1,3}\s*(?:号|日|点)|[一二三四五六日天末](?![\u4e00-\u9fff])|(?:之|以)?前|之内|以内|内|底|初|中旬"
                r"|上午|中午|下午|晚上|早上|傍晚|凌晨")
# Clauses: commas (not a thousands separator), and where the answer to an "if" begins
# (你15号前还3000 | 我们就给你减免罚息; "pay by Friday and | we'll waive the fees").
_CLAUSE_BREAK = re.compile(
    r"[，；;：—。！!]|(?<=[\u4e00-\u9fff])(?<![月周拜期天午上晚早号日点])\s+(?=[\u4e00-\u9fff])(?!了)"
    r"(?!(?<=[一二三四五六七八九十两零百千万]\s)[号日点块元期万千百天周个])"
    r"(?!(?<=[下上这本]\s)(?:个|周|月|礼拜|星期))(?!(?<=个\s)(?:月|礼拜|星期))"
    r"|(?<=[月周拜期天午上晚早号日点])\s+(?=[\u4e00-\u9fff])(?!" + _DAY_GOES_ON + r")"
    r"|(?<=\d)\s+(?=[\u4e00-\u9fff])(?![元块万千百])|(?<![\u4e00-\u9fff]{2})、(?![\u4e00-\u9fff]{2}(?:或|和|及|、))|,(?!\d{3}(?!\d))(?!\s*(?:19|20)\d\d\b)(?!\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d)|\s+(?:but|and\s+then|then|so)\s+|\s+and\s+(?=(?:the\s+(?:rest|remainder|balance)|another|a\s+further)\b)|(?<=[a-z]{3}\.)\s+(?=[a-z])|\s[-–]\s"
    r"|(?<!罚息)(?<!利息)(?<!违约金)(?<!滞纳金)(?<!手续费)(?<!费用)(?=我们(?:就|会|可以|将|给|帮|这边|同意|保证))|(?<!我们)(?=就(?:给|帮|可以|不|会|免|减|停|算))"
    r"|(?<=\S)(?=我就)|(?<=\s)(?=(?:we|I)(?:'ll|\s+will|\s+can|\s+could|\s+would)\b)"
    r"|(?<=\s)(?=(?:if|as\s+long\s+as|provided)\s)",
    re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PAUSE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_HAN_END = re.compile(r"[\u4e00-\u9fff]$")
_HAN_START = re.compile(r"[\u4e00-\u9fff]")
_PUNCTUATION = re.compile(r"[\s。！？!?.,，；;、]+")
_DAY_ONLY = re.compile(r"(?:今天|明天|后天|大后天|下?周[一二三四五六日天]|\d{1,2}号|月底|月初|月中|tomorrow|today"
                       r"|(?:next\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day)(?:之?前)?", re.I)
_SOME_DAY = date(2001, 1, 1)
_CORRECTION = re.compile(r"不对|说错了|口误|哦不|更正|^\s*改(?!天|日)(?:成|到|为)?|\bI\s+mean\b"
                         r"|\bsorry,?\s+(?:I\s+meant|make\s+that)\b", re.IGNORECASE)
_TODAY = re.compile(r"(?:我|我们)?(?:今天|今日|today)(?:上午|中午|下午|早上|晚上)?", re.I)


class Act(StrEnum):
    """What a clause does, when that is not to say what will be done."""

    question = "question"
    refusal = "refusal"
    past = "past"
    request = "request"
    debt = "debt"                 # "you owe us $15,800", 你欠了我们15800
    hypothetical = "hypothetical"  # "if I win the lottery", 要是我有钱
    hedge = "hedge"               # 想办法, 剩下的再说: this part is left for later


@dataclass(frozen=True)
class Sentence:
    """One sentence and the circumstances it was said in."""

    quote: str
    whole: str          # normalised
    when: Said          # local; `when.at` None: not known
    tz: ZoneInfo
    side: str | None
    language: str


@dataclass(frozen=True)
class Clause:
    """A piece of a sentence, with what it names (the positions of those are in `text`, the
    piece's normalised form)."""

    start: int   # in the sentence
    end: int
    text: str
    amounts: list[Amount]
    days: list[DayMention]
    clocks: list[ClockMention]
    pays: bool = False
    acts: frozenset[Act] = field(default_factory=frozenset)

    @property
    def live(self) -> bool:
        """Not refused, not in the past, not asked for, not a question: it can carry a
        promise."""
        return not self.acts

    @property
    def firm(self) -> bool:
        """Paying that means money even without a sum (月底前全部还清, "I'll pay by Friday")."""
        return bool(rules.PAY_FIRM.search(self.text) or rules.IN_FULL.search(self.text))

    @property
    def bare(self) -> bool:
        """Nothing but a day or a sum (明天, 三千)."""
        return _fragment(self.text)

    @property
    def dated(self) -> bool:
        return any(d.day or d.unresolved for d in self.days) or bool(self.clocks)


def sentences(text: str) -> list[str]:
    """The sentences of `text`; a fragment that only names a day or a sum (明天。三千。) is read
    with the sentence next to it, as one turn."""
    found = [s.strip() for s in _SENTENCE_BREAK.split(text) if s.strip()]
    merged: list[str] = []
    for sentence in found:
        if merged and _fragment(merged[-1]) and not _fragment(sentence) or \
                merged and _fragment(sentence) and (_fragment(merged[-1]) or sentence is found[-1]):
            merged[-1] = merged[-1] + sentence
        else:
            merged.append(sentence)
    return merged


@lru_cache(maxsize=4096)
def _fragment(sentence: str) -> bool:
    text = normalise_numbers(_PUNCTUATION.sub("", sentence), language_of(sentence))
    return 0 < len(text) <= 8 and not paying_words(text, chinese=bool(_CJK.search(text))) and (
        bool(LONE_SUM.match(text)) or bool(find_days(text, _SOME_DAY)) and bool(
            _DAY_ONLY.fullmatch(text)))


def language_of(sentence: str) -> str:
    return "zh" if _CJK.search(sentence) else "en"


def without_tag(sentence: str) -> str:
    """The sentence without a closing tag question (……，行吗？, "…, okay?")."""
    return rules.TAG_QUESTION.sub("", sentence)


def joined(parts: list[Clause], sentence: str) -> str:
    """The clauses' texts as one, cut where the sentence was cut by punctuation ("，") and run
    together where it was cut by a pause between Chinese words (a transcript's spaces):
    "分三期 还 每期 三千" reads as 分三期还每期三千 (a figure keeps its space: 每期2500 3月10号)."""
    text = ""
    for before, clause in zip([None, *parts], parts):
        if before is not None:
            paused = not sentence[before.end:clause.start].strip()
            text += ("" if _HAN_END.search(text) and _HAN_START.match(clause.text) else " ") \
                if paused else "，"
        text += clause.text
    return text


def pauses_joined(parts: list[Clause], statement: str, language: str, today: date | None,
                  says: Callable[[str], bool]) -> list[Clause]:
    """The clauses, with two to five that only a pause cut apart (a transcript's spaces) read
    as one, without the pauses, where together they `says` what none of them says alone:
    罚息 | 全减 is a waiver, 滞纳金 | 就 | 不收 | 了 too. The run starts as late as it can, so a
    sum before it stays a clause of its own."""
    out: list[Clause] = []
    index = 0
    while index < len(parts):
        taken = 1
        for size in (2, 3, 4, 5):
            run = parts[index:index + size]
            if len(run) < size or not all(c.live for c in run) or any(
                    statement[a.end:b.start].strip() for a, b in zip(run, run[1:])):
                break
            if any(says(c.text) for c in run):
                break
            together = _joined(run, statement, language, today)
            if together.live and says(together.text):
                while len(run) > 2 and says(
                        (shorter := _joined(run[1:], statement, language, today)).text):
                    out.append(run.pop(0))   # 六千 | 那个 违约金 全免: the sum stays apart
                    together = shorter
                out.append(together)
                taken = size
                break
        if taken == 1:
            out.append(parts[index])
        index += taken
    return out


def _joined(run: list[Clause], statement: str, language: str, today: date | None) -> Clause:
    """One clause of `run`, read without the pauses between its Chinese words."""
    piece = _PAUSE.sub("", statement[run[0].start:run[-1].end])
    return _clause(piece, run[0].start, run[-1].end, language, today, asked=False)


def clauses(statement: str, language: str, today: date | None, *,
            asked: bool = False) -> list[Clause]:
    """The clauses of `statement`; `asked`: the sentence ended with a question mark that no
    tag explained, so its last clause is a question."""
    found, start = [], 0
    cuts = [*_CLAUSE_BREAK.finditer(statement), None]
    for cut in cuts:
        end = cut.start() if cut else len(statement)
        piece = _PAUSE.sub("", statement[start:end])   # 下个月 十号: one day
        if piece.strip():
            found.append(_clause(piece, start, end, language, today,
                                 asked=asked and cut is None))
        start = cut.end() if cut else end
    return _corrected(_past_goes_on(_past_reaches_back(
        _deeds_promised(_hedge_goes_on(_terms_go_on(found), statement), statement), today)))


def _deeds_promised(found: list[Clause], statement: str) -> list[Clause]:
    """A deed read as done in a clause that a pause cut from its start is promised when the
    words before it, up to the last punctuation, say it is to come (保证 周三 之前 把 一千二 |
    交 了: 把 and 保证 make 交了 a promise; 押金 就 | 交了 三万 stays done)."""
    for n, clause in enumerate(found):
        if Act.past not in clause.acts or not rules.DEED_DONE.search(clause.text) or \
                rules.PAST.search(clause.text) or rules.PAID.search(clause.text):
            continue
        start = n
        while start > max(0, n - 8) and not statement[found[start - 1].end:found[start].start].strip():
            start -= 1
        if start < n and rules.TO_COME.search("".join(c.text for c in found[start:n])):
            found[n] = replace(clause, acts=clause.acts - {Act.past})
    return found


def _hedge_goes_on(found: list[Clause], statement: str) -> list[Clause]:
    """Leaving it for later covers what follows it a pause apart, up to the next punctuation
    (我 想办法 | 月底 | 凑 一万 | 给 你们 is not a promise)."""
    for n in range(1, len(found)):
        before = found[n - 1]
        if Act.hedge in before.acts and not statement[before.end:found[n].start].strip():
            found[n] = replace(found[n], acts=found[n].acts | {Act.hedge})
    return found


def _corrected(found: list[Clause]) -> list[Clause]:
    """A day or a sum said again after a correction (不对, 说错了, 改周四) replaces every one
    before it: 我周三还你六千，呃，不对不对，周三我要出差，改周四 is due on Thursday; 十二月八号 不对
    十二月九号 on the 9th; 三千 不对 两千五 is 2,500."""
    for field in ("days", "amounts"):
        pending = False
        for n, clause in enumerate(found):
            correcting = bool(_CORRECTION.search(clause.text))
            if (correcting or pending) and getattr(clause, field):
                found[:n] = [replace(c, **{field: []}) if getattr(c, field) else c
                             for c in found[:n]]
                pending = False
            elif correcting:
                pending = True
    return found


def _past_goes_on(found: list[Clause]) -> list[Clause]:
    """A sentence that opens in the past (去年…, 昨天晚上八点多，我就还了1,280) stays there until a
    clause names a day to come or commits (…，明天再还两千; 我就 followed by a deed done, 我就转了,
    does not commit)."""
    return _carried(found, Act.past,
                    opens=lambda c: Act.past in c.acts and bool(c.days or not c.pays),
                    goes_on=lambda c: not any(d.day or d.unresolved for d in c.days)
                    and not c.clocks and (not rules.COMMITS.search(c.text)
                                          or bool(rules.DONE.search(c.text))))


def _past_reaches_back(found: list[Clause], today: date | None) -> list[Clause]:
    """The day just before a clause in the past is the day of that deed (今天 | 已经 | 还了 |
    五百: today is when it was paid, not when the next sum is due), when it is not a day to
    come: a clause that names only such a day, with nothing but fillers between."""
    for n, clause in enumerate(found):
        if Act.past not in clause.acts or clause.pays and clause.amounts:
            continue
        for back in range(n - 1, -1, -1):
            before = found[back]
            if before.pays or before.amounts or before.acts:
                break
            if before.days or before.clocks:
                if _gone_or_today(before, today):
                    found[back] = replace(before, acts=before.acts | {Act.past})
                break
    return found


def _gone_or_today(clause: Clause, today: date | None) -> bool:
    if today is None:
        return bool(_TODAY.fullmatch(clause.text.strip()))
    return all(d.day is not None and d.day <= today for d in clause.days)


def _terms_go_on(found: list[Clause]) -> list[Clause]:
    """A clause after a statement of the old terms, with no word of committing and no "I" paying
    of its own, states more of them (原合同约定每月15号还款，每期1,280元，共12期; "Statement: …,
    minimum payment 69.00, payment due 23 December")."""
    return _carried(found, Act.debt, opens=lambda c: bool(rules.TERMS.search(c.text)),
                    goes_on=lambda c: not rules.COMMITS.search(c.text) and not (
                        c.pays and rules.ME_SPEAKING.search(c.text)))


def _carried(found: list[Clause], act: Act, *, opens: Callable[[Clause], bool],
             goes_on: Callable[[Clause], bool]) -> list[Clause]:
    """`act` given to each clause after one that `opens` it, for as long as they `goes_on`."""
    carrying = False
    for n, clause in enumerate(found):
        if opens(clause):
            carrying = True
        elif carrying and goes_on(clause):
            found[n] = replace(clause, acts=clause.acts | {act})
        else:
            carrying = False
    return found


@lru_cache(maxsize=4096)
def _clause(piece: str, start: int, end: int, language: str, today: date | None, *,
            asked: bool) -> Clause:
    """One clause, read once for each day it is read on: collectors' templates repeat (a
    Clause is never changed once made)."""
    text = normalise_numbers(piece, language)
    days, clocks = find_days(text, today), find_clocks(text)
    # a figure inside a day is no sum (the year of "by 2024-12-18")
    amounts = [a for a in find_amounts(text) if not any(
        m.start <= a.start < m.end for m in (*days, *clocks)) and said_as_the_sum(text, a)]
    if not amounts:
        amounts = lone_sum(text, [(d.start, d.end) for d in days] +
                            [(c.start, c.end) for c in clocks])
    spans = paying_words(text, chinese=language == "zh" or bool(_CJK.search(text)))
    pays = bool(spans) or bool(rules.IN_FULL.search(text))
    # a negation before the word of paying refuses it (我不可能一次性拿出一万二)
    refused = any(rules.NEGATION.search(text, 0, start) for start, _ in spans)
    if pays or (not amounts and (len(text) <= 10 or rules.SETTLEMENT.search(text))):
        taken = [(d.start, d.end) for d in days] + [(c.start, c.end) for c in clocks] + [
            (a.start, a.end) for a in amounts]
        extra = [a for a in loose_amounts(text) if not any(s <= a.start < e for s, e in taken)
                 and said_as_the_sum(text, a)]
        amounts = sorted(amounts + extra[:1 if not amounts else len(extra)],
                         key=lambda a: a.start)
    ahead = today is not None and any(d.day is not None and d.day > today for d in days)
    gone = not ahead and any(d.gone for d in days)
    return Clause(start, end, text, amounts, days, clocks, pays,
                  _acts(text, asked, pays, refused, ahead) | ({Act.past} if gone else set()))


def _acts(text: str, asked: bool, pays: bool, refused: bool, ahead: bool) -> frozenset[Act]:
    """`ahead`: the clause names a day to come."""
    acts = set()
    if asked or rules.QUESTION.search(text):
        acts.add(Act.question)
    if refused or rules.PAY_REFUSED.search(text) or rules.OFFER_REFUSED.search(text):
        acts.add(Act.refusal)
    if rules.PAST.search(text) or rules.PAID.search(text) or (
            not ahead and rules.DEED_DONE.search(text)):
        acts.add(Act.past)
    if rules.REQUEST.search(text):
        acts.add(Act.request)
    if rules.TERMS.search(text) or (rules.DEBT.search(text) and not pays):
        # 我欠你们的15800月底前还清 is a promise; 合同上写的是每月15号还款1,280元 is not
        acts.add(Act.debt)
    if rules.HYPOTHETICAL.search(text):
        acts.add(Act.hypothetical)
    if rules.HEDGE.search(text):
        acts.add(Act.hedge)
    return frozenset(acts)


def quote_span(statement: str, parts: list[Clause]) -> str:
    """The words of `parts` as said, from the first to the last, without a trailing "and"."""
    words = statement[min(c.start for c in parts):max(c.end for c in parts)]
    return rules.TRAILING_JOINERS.sub("", words).strip()
