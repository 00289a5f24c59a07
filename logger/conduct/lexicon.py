"""The lexicons (`logger/conduct/rules/lexicon_<language>.toml`) and matching them in text:
threats, arrest, visits, telling others, insults, impersonation and the like, in Chinese and
English.

Text is cut into sentences, and each sentence into words (`conduct.language.tokens`: jieba for
Chinese, a regular expression for English). A lexicon names word classes (the act, its
actor, its target: 坐牢/拘留/刑事责任, 你/您, 家人/单位 ...) and patterns that put them in order
within a clause, a few words apart; a negation before the act (不/别/请勿/不建议, not/never)
calls a match off, and so does a lawful option or the borrower's own question where a pattern
says so (`conduct.language.match`). The sentence is what a finding quotes (with the one before or
after when a pattern needed it: "您是张伟的同事吧？他欠我们五千。"). Every lexicon is applied to every
text: collectors mix languages.

A pattern's match is then called off where the resemblance model
(`conduct.language.resemblance`) reads the whole sentence as lawful collection at least
`VETO_AT` sure: a pattern sees a few words in order, the model the sentence they stand in.
A sentence that no pattern of a category matched, but that the model reads as that category
above all else and at least `SUGGEST_AT` sure, is a *suggestion* (`Match.suggested`) when it
holds a word the lexicon's `[suggest]` names for the category (that word is its phrase) and
no negation or lawful option. A suggestion is shown apart and counts only once a person confirms
it (`logger.conduct.confirm`).

The public interface the rule checks use: `CATEGORY_WORDS`, `categories()` and
`find_matches(text, categories)`, which gives `Match(category, phrase, sentence, suggested)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

from logger.conduct.language import resemblance, tokens
from logger.conduct.language.match import Analysis, find_pattern, negated, says_not
from logger.conduct.language.model import Lexicon, LexiconError, Pattern
from logger.conduct.language.model import parse_lexicon as _parse
from logger.i18n import N_

__all__ = ["CATEGORY_WORDS", "Lexicon", "LexiconError", "Match", "Pattern", "categories",
           "find_matches", "lexicons", "parse_lexicon", "split_sentences"]

# What each category is called in findings' reasons. A lexicon may use only these.
CATEGORY_WORDS: dict[str, str] = {
    "threat": N_("threat"),
    "insult": N_("insult or abusive language"),
    "impersonation": N_("impersonating an authority"),
    "fake_legal": N_("fake legal document"),
    "false_consequence": N_("invented or exaggerated consequence"),
    "disclosure": N_("disclosing the debt to others"),
    "extra_fee": N_("extra fee"),
    "borrow": N_("pressure to borrow to repay"),
    "arrest": N_("threat of arrest, jail or police"),
    "visit": N_("threat of a visit to home or work"),
    "tell_others": N_("threat to tell family, employer or contacts"),
    "third_party_contact": N_("speaking about the debt to someone else"),
}

# A sentence the resemblance model reads as lawful at least this sure keeps no pattern match:
# chosen without the held-out file (tools/train_resemblance.py conduct --sweep), the lowest that
# loses at most 0.5 % of the hits and at which every pattern's own example still matches (0.5
# for the model trained without dev6 and train_d; 0.45 since).
VETO_AT = 0.45
# A sentence no pattern of a category matched is suggested as that category when the model reads
# it so above all else, at least this sure, and it holds a word of the category's `[suggest]`
# that no negation reaches, no negation at all (what is said not to be done is the commonest
# lawful sentence) and no `unless` word. Chosen on the training files, each
# read by a model not trained on it (docs/DECISIONS.md): the lowest threshold at which every
# near miss and lawful example of the lexicon tests gets no suggestion, and suggestions add at
# most 0.5 false per 30 lawful sentences and touch at most 1 % of neutral ones.
SUGGEST_AT = 0.35

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|(?<=\.)\s+|\n+")


@dataclass(frozen=True)
class Match:
    category: str
    phrase: str      # the matched words
    sentence: str    # the sentence they stand in, as quoted
    # read by the resemblance model, standing on `phrase`, not matched by a pattern: a person
    # confirms it before it counts
    suggested: bool = False


@cache
def lexicons() -> tuple[Lexicon, ...]:
    folder = files("logger.conduct") / "rules"
    found = tuple(parse_lexicon(entry.name, entry.read_bytes())
                  for entry in sorted(folder.iterdir(), key=lambda e: e.name)
                  if entry.name.startswith("lexicon_") and entry.name.endswith(".toml"))
    for lexicon in found:
        if lexicon.language == "zh":
            neg = lexicon.negation
            # negation words as jieba words of their own ("不建议", "请勿"); the lexicon's
            # terms are searched in the text as it is (conduct.language.match)
            tokens.chinese.add_words([*neg.cues, *neg.doubled])
    return found


def parse_lexicon(filename: str, data: bytes) -> Lexicon:
    """One lexicon file's content, checked (LexiconError naming the file and the entry)."""
    return _parse(filename, data, CATEGORY_WORDS)


def categories() -> frozenset[str]:
    """The categories some lexicon has patterns for."""
    return frozenset(p.category for lexicon in lexicons() for p in lexicon.patterns)


def split_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in _sentence_spans(text)]


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence stands in the text, without the blanks around it."""
    spans, at = [], 0
    for piece in _SENTENCE_END.split(text):
        if piece is None:
            continue
        begin = text.find(piece, at) if piece else at
        at = begin + len(piece)
        stripped = piece.strip()
        if stripped:
            lead = len(piece) - len(piece.lstrip())
            spans.append((begin + lead, begin + lead + len(stripped)))
    return spans


def find_matches(text: str, wanted: frozenset[str] | set[str], *,
                 veto_at: float = VETO_AT, suggest_at: float = SUGGEST_AT) -> list[Match]:
    """Matches of patterns in the `wanted` categories, at most one per sentence and category
    (the first), in the order of the text, but none in a sentence the resemblance model reads
    as lawful at least `veto_at` sure (above 1: the patterns alone); then, after a sentence's
    matches, its suggestion, if any (`_suggestion`; above 1: none)."""
    found: list[Match] = []
    spans = _sentence_spans(text)
    sentences = [text[start:end] for start, end in spans]
    chosen = _patterns_for(frozenset(wanted))
    analysed = [[_analysis(lexicon, s) for s in sentences] for lexicon, _ in chosen]
    for n, sentence in enumerate(sentences):
        seen: set[str] = set()
        before = len(found)
        for (lexicon, patterns), analyses in zip(chosen, analysed):
            analysis = analyses[n]
            if analysis is None:
                continue
            near = (analyses[n - 1] if n > 0 else None,
                    analyses[n + 1] if n + 1 < len(analyses) else None)
            for pattern in patterns:
                if pattern.category in seen or not analysis.could(pattern):
                    continue
                hit = find_pattern(analysis, pattern, near)
                if hit is None:
                    continue
                first, end, side = hit
                seen.add(pattern.category)
                words = analysis.tokens
                quote = sentence
                if side:
                    other = spans[n + side]
                    quote = text[min(spans[n][0], other[0]):max(spans[n][1], other[1])]
                found.append(Match(pattern.category,
                                   sentence[words[first].start:words[end - 1].end], quote))
        if len(found) > before and resemblance.lawful(sentence) >= veto_at:
            del found[before:]
        if suggest_at <= 1:
            suggestion = _suggestion(sentence, [a[n] for a in analysed], chosen, wanted,
                                     seen, suggest_at)
            if suggestion is not None:
                found.append(suggestion)
    # a pattern that quoted the sentence beside its own already stands for that sentence
    quoted = [(m.category, m.sentence) for m in found if not m.suggested]
    return [m for m in found if not m.suggested
            or not any(c == m.category and m.sentence in q for c, q in quoted)]


def _suggestion(sentence: str, analyses: list[Analysis | None], chosen, wanted,
                matched: set[str], at_least: float) -> Match | None:
    """The sentence as a suggestion of the category the model reads it as, above all else
    and at least `at_least` sure, when that category is wanted, no pattern of it matched, and
    the sentence holds a word of its `[suggest]` classes that no negation reaches (the first
    such word is the phrase), and none of the `unless` classes."""
    candidates = [(lexicon, analysis) for (lexicon, _), analysis in zip(chosen, analyses)
                  if analysis is not None and lexicon.suggest
                  and any(set(classes) & analysis.present for classes in lexicon.suggest.values())]
    if not candidates:
        return None
    read = resemblance.reading(sentence)
    if read is None or read[1] < at_least or read[0] in matched:
        return None
    category = read[0]
    if category not in wanted:
        return None
    for lexicon, analysis in candidates:
        if analysis.has(lexicon.suggest_unless) or says_not(analysis):
            return None
        spans = [span for name in lexicon.suggest.get(category, ())
                 for span in analysis.hits.get(name, ()) if not negated(analysis, span)]
        if spans:
            first, end = min(spans)[:2]
            words = analysis.tokens
            return Match(category, sentence[words[first].start:words[end - 1].end], sentence,
                         suggested=True)
    return None


@cache
def _patterns_for(wanted: frozenset[str]) -> tuple[tuple[Lexicon, tuple[Pattern, ...]], ...]:
    return tuple((lexicon, ps) for lexicon in lexicons()
                 if (ps := tuple(p for p in lexicon.patterns if p.category in wanted)))


@lru_cache(maxsize=4096)
def _analysis(lexicon: Lexicon, sentence: str) -> Analysis | None:
    """The sentence for one lexicon, or None where it has no letter of its language (it is
    cut into words only when some pattern may match: `Analysis.could`). Kept for the next
    time: messages and transcripts repeat their sentences (templates, greetings)."""
    if lexicon.language == "zh":
        return Analysis(lexicon, sentence) if tokens.has_han(sentence) else None
    return Analysis(lexicon, sentence) if tokens.has_latin(sentence) else None
