"""Finding a lexicon's patterns in one sentence's words.

Every term of every class is looked up once per word position (a dictionary lookup per span of
up to `longest` words), which gives each class its spans. A pattern's slots then follow each
other within one clause, at most `gap` words apart. The match is dropped when a negation cue
stands before its last slot (the act) within the window and clause, outside the pattern's own
words, with no scope end ("就", "but", "we") between; words that only look like a negation
("不还", "别想", "don't pay") are not cues, and a cue after a "doubled" word ("别以为", "don't
think") turns back into a threat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from logger.conduct.language.model import Lexicon, Pattern
from logger.conduct.language import tokens as tokenize
from logger.conduct.language.tokens import Token

# words [start, end) and where they stand, as characters (Chinese: two slots may share a
# compound, 单位|地址 in 单位地址) or as words again (English)
Span = tuple[int, int, int, int]


@dataclass(eq=False)
class Analysis:
    """One sentence of one lexicon's language: the classes it may hold (found by plain
    substring search, before any cutting), its words, and the spans of every class in them."""

    lexicon: Lexicon
    sentence: str

    @cached_property
    def tokens(self) -> list[Token]:
        if self.lexicon.language == "zh":
            return tokenize.chinese(self.sentence)
        return tokenize.english(self.sentence)

    @cached_property
    def occurrences(self) -> dict[str, list[tuple[int, int]]]:
        """Chinese: where each class's terms stand in the sentence, as characters."""
        text, found = self.sentence, {}
        exact, by_first = self.lexicon.exact, self.lexicon.by_first
        for first in set(text):
            for term in by_first.get(first, ()):
                if term in text:
                    for at in _find_all(text, term):
                        for name in exact[term]:
                            found.setdefault(name, []).append((at, at + len(term)))
        return found

    @cached_property
    def present(self) -> set[str]:
        """The classes the sentence may hold (every class it holds, and perhaps more)."""
        if self.lexicon.language != "zh":
            return set(self.hits)
        present = set(self.occurrences)
        for suffix, names in self.lexicon.suffixes.items():
            if suffix in self.sentence:
                present |= names
        return frozenset(present)

    def could(self, pattern: Pattern) -> bool:
        present = self.present
        if pattern.anchor is not None and pattern.anchor not in present:
            return False
        return any(needs <= present for needs in pattern.needs)

    @cached_property
    def hits(self) -> dict[str, list[Span]]:
        found = self._chinese_hits() if self.lexicon.language == "zh" else self._english_hits()
        return {name: sorted(set(spans)) for name, spans in found.items()}

    def _chinese_hits(self) -> dict[str, list[Span]]:
        """A term of two characters or more counts wherever it stands (Chinese compounds put
        their head last: 刑事犯罪, 延期手续费); a one-character term only as a word of its own
        (抓 is not in 抓紧, 借 not in 借款; `_one_character_word`)."""
        tokens, lex = self.tokens, self.lexicon
        owner = [-1] * len(self.sentence)
        for k, token in enumerate(tokens):
            owner[token.start:token.end] = [k] * (token.end - token.start)
        found: dict[str, list[tuple[int, int, int, int]]] = {}
        for name, spots in self.occurrences.items():
            for a, b in spots:
                first, last = owner[a], owner[b - 1]
                if first < 0 or last < 0:
                    continue
                if b - a == 1 and not _one_character_word(tokens[first], a):
                    continue
                if a != tokens[first].start and tokens[first].text in lex.negation.cues:
                    continue  # begins inside a negation: 需要(支付) in 不需要|支付
                found.setdefault(name, []).append((first, last + 1, a, b))
        for suffix, names in lex.suffixes.items():
            if suffix in self.sentence:
                for k, token in enumerate(tokens):
                    if len(token.text) > len(suffix) and token.text.endswith(suffix):
                        for name in names:
                            found.setdefault(name, []).append((k, k + 1, token.start, token.end))
        out: dict[str, list[Span]] = {}
        for name, spans in found.items():
            cut = [(a, a + len(t)) for t in lex.excluded.get(name, ())
                   for a in _find_all(self.sentence, t)]
            out[name] = [span for span in spans
                         if not any(span[2] < y and x < span[3] for x, y in cut)]
        return out

    def _english_hits(self) -> dict[str, list[Span]]:
        found: dict[str, list[tuple[int, int]]] = {}
        lex, tokens = self.lexicon, self.tokens
        exact, prefixes = lex.exact, lex.prefixes
        for i, first in enumerate(tokens):
            if first.brk:
                continue
            text = ""
            for j in range(i, min(len(tokens), i + lex.longest)):
                if tokens[j].brk:
                    break
                last = tokens[j].text
                text = f"{text} {last}" if text else last
                for name in exact.get(text, ()):
                    found.setdefault(name, []).append((i, j + 1))
                if prefixes:
                    low = len(text) - len(last)
                    for cut in lex.prefix_lengths:
                        if low < cut <= len(text):
                            for name in prefixes.get(text[:cut], ()):
                                found.setdefault(name, []).append((i, j + 1))
        for name in set(found) & set(lex.excluded):
            cut = self.covered(lex.excluded[name])
            found[name] = [(i, j) for i, j in found[name] if not cut & set(range(i, j))]
        return {name: [(i, j, i, j) for i, j in spans] for name, spans in found.items()}

    @cached_property
    def clause(self) -> list[int]:
        """Each word's clause number (a clause break belongs to no clause: -1)."""
        number, out = 0, []
        for token in self.tokens:
            if token.brk:
                number += 1
                out.append(-1)
            else:
                out.append(number)
        return out

    @cached_property
    def normalized(self) -> tuple[str, list[int]]:
        """The words joined as lexicons spell them, and each character's word (-1: a space)."""
        text: list[str] = []
        owner: list[int] = []
        for k, token in enumerate(self.tokens):
            if self.lexicon.joiner and text:
                text.append(" ")
                owner.append(-1)
            text.append(token.text)
            owner.extend([k] * len(token.text))
        return "".join(text), owner

    def covered(self, terms: frozenset[str]) -> set[int]:
        """The words that occurrences of `terms` cover whole ("不还" covers 不 in 不|还, not
        不是 in 还|不是)."""
        text, owner = self.normalized
        chars: dict[int, int] = {}
        for term in terms:
            if term not in text:
                continue
            if self.lexicon.joiner:
                spots = [m.start() for m in re.finditer(
                    rf"(?<![\w']){re.escape(term)}(?![\w'])", text)]
            else:
                spots = _find_all(text, term)
            for at in spots:
                for c in range(at, at + len(term)):
                    if owner[c] >= 0:
                        chars[c] = owner[c]
        count: dict[int, int] = {}
        for k in chars.values():
            count[k] = count.get(k, 0) + 1
        return {k for k, n in count.items() if n == len(self.tokens[k].text)}

    @cached_property
    def not_cues(self) -> set[int]:
        neg = self.lexicon.negation
        return self.covered(neg.pseudo) | self.doubled

    @cached_property
    def doubled(self) -> set[int]:
        return self.covered(self.lexicon.negation.doubled)

    def has(self, names: tuple[str, ...], clauses: set[int] | None = None) -> bool:
        for name in names:
            for span in self.hits.get(name, ()):
                if clauses is None or self.clause[span[0]] in clauses:
                    return True
        return False


# jieba glues some one-character words to an adverb before them (就让, 先交, 再借) or to a
# pronoun after them (让你, 找你, 借你); they count as the word there too.
_ADVERBS = frozenset("就也都再才又便先")
_PRONOUNS = frozenset("你您我他她")


def _one_character_word(token: Token, at: int) -> bool:
    if token.end - token.start == 1:
        return True
    if token.end - token.start != 2:
        return False
    if at == token.start + 1:
        return token.text[0] in _ADVERBS
    return token.text[1] in _PRONOUNS


def _find_all(text: str, term: str) -> list[int]:
    spots, at = [], text.find(term)
    while at >= 0:
        spots.append(at)
        at = text.find(term, at + 1)
    return spots


def find_pattern(analysis: Analysis, pattern: Pattern,
                 near: tuple[Analysis | None, Analysis | None] = (None, None)
                 ) -> tuple[int, int, int] | None:
    """The first place `pattern` holds in the sentence: (first word, end word, the sentence
    next to it that held what the pattern needs: -1 the one before, 1 the one after, 0 none),
    or None."""
    hits = analysis.hits
    for slots in pattern.alternatives:
        if any(slot not in hits for slot in slots):
            continue
        for first in hits[slots[0]]:
            spans = _follow(analysis, slots[1:], first, pattern.gap, pattern.across)
            if spans is None:
                continue
            spans = [first, *spans]
            end = max(span[1] for span in spans)
            clauses = {analysis.clause[first[0]], analysis.clause[end - 1]}
            if pattern.unless and analysis.has(pattern.unless, clauses):
                continue
            if pattern.unless_sentence and analysis.has(pattern.unless_sentence):
                continue
            if _negated(analysis, spans):
                continue
            if not pattern.need or analysis.has(pattern.need):
                return first[0], end, 0
            if pattern.need_near:
                for side, other in zip((1, -1), (near[1], near[0])):
                    if other is not None and other.has(pattern.need):
                        return first[0], end, side
    return None


def _follow(analysis: Analysis, slots: tuple[str, ...], before: Span, gap: int,
            across: bool = False) -> list[Span] | None:
    """The spans of the remaining slots, each after the one before (by characters), within
    `gap` words of it and in its clause (or anywhere in the sentence: `across`)."""
    if not slots:
        return []
    after, clause = before[1], analysis.clause[before[1] - 1]
    for span in analysis.hits[slots[0]]:
        start, end = span[0], span[1]
        if span[2] < before[3] or start - after > gap:
            continue
        if not across and any(analysis.clause[k] != clause
                              for k in range(min(start, after), end)):
            continue
        rest = _follow(analysis, slots[1:], span, gap, across)
        if rest is not None:
            return [span, *rest]
    return None


def says_not(analysis: Analysis) -> bool:
    """Whether the sentence holds a negation anywhere (a cue that is one, not "不还" or "别以为";
    a negation after what it negates too): what it says may be what is not done."""
    neg, doubled = analysis.lexicon.negation, analysis.doubled
    covered = analysis.covered(neg.after)
    return bool(covered) or any(
        token.text in neg.cues and k not in analysis.not_cues
        and not any(j in doubled for j in range(k)) for k, token in enumerate(analysis.tokens))


def negated(analysis: Analysis, span: Span) -> bool:
    """Whether a negation reaches the words of `span` (as it would a pattern made of them)."""
    return _negated(analysis, [span])


def _negated(analysis: Analysis, spans: list[Span]) -> bool:
    """Whether a negation reaches the pattern's first or last slot (the actor or the act)."""
    own = {k for span in spans for k in range(span[0], span[1])}
    return any(_negated_before(analysis, start, own) for start in {spans[0][0], spans[-1][0]}) \
        or _negated_after(analysis, spans[-1][0], spans[-1][1])


def _negated_before(analysis: Analysis, head: int, own: set[int]) -> bool:
    neg = analysis.lexicon.negation
    tokens, clause = analysis.tokens, analysis.clause
    k, seen = head - 1, 0
    while k >= 0 and seen < neg.window and clause[k] == clause[head]:
        if k not in own:
            seen += 1
            text = tokens[k].text
            if text in neg.ends:
                return False
            if text in neg.cues and k not in analysis.not_cues:
                doubled = analysis.doubled
                return not any(j in doubled for j in range(k - 1, -1, -1)
                               if clause[j] == clause[head])
        k -= 1
    return False


def _negated_after(analysis: Analysis, head: int, end: int) -> bool:
    neg, tokens, clause = analysis.lexicon.negation, analysis.tokens, analysis.clause
    if not neg.after:
        return False
    stop = end
    while stop < len(tokens) and stop - end < neg.window and clause[stop] == clause[head]:
        stop += 1
    if stop == end:
        return False
    joiner = analysis.lexicon.joiner
    window = joiner.join(t.text for t in tokens[end:stop])
    if joiner:
        window = f" {window} "
        return any(f" {term} " in window for term in neg.after)
    return any(term in window for term in neg.after)
