"""The phrase lexicons (`logger/conduct/rules/lexicon_<language>.toml`) and matching them in
text: threats, insults, impersonation and the like, in Chinese and English.

Text is cut into sentences; a phrase matches within one sentence, and the sentence is what a
finding quotes. A match is dropped when a negation stands just before it in the same clause
("我们不会联系你的家人", "We will not contact your employer"). Every lexicon is applied to every
text: collectors mix languages, and a Chinese pattern cannot match English text by accident.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from logger.errors import LiuhenError
from logger.i18n import N_

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
}

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])|(?<=\.)\s+|\n+")
_CLAUSE_BREAK = re.compile(r"[,，;；:：、]")
_WORD = re.compile(r"[\w'’*-]+")


class LexiconError(LiuhenError):
    """A lexicon file is malformed (the message names the file and the phrase)."""


@dataclass(frozen=True)
class Phrase:
    category: str
    pattern: re.Pattern[str]
    example: str


@dataclass(frozen=True)
class Lexicon:
    language: str
    phrases: tuple[Phrase, ...]
    negations: tuple[str, ...]
    negation_window: int

    def negated(self, clause_before: str) -> bool:
        """Whether a negation ends the text just before a match (its clause only)."""
        clause = _CLAUSE_BREAK.split(clause_before)[-1]
        if self.language == "zh":
            window = clause[-self.negation_window:]
            return any(n in window for n in self.negations)
        words = " ".join(_WORD.findall(clause.lower())[-self.negation_window:])
        return any(re.search(rf"(?<![\w']){re.escape(n)}(?![\w'])", words)
                   for n in self.negations)


@dataclass(frozen=True)
class Match:
    category: str
    phrase: str      # the matched words
    sentence: str    # the sentence they stand in, as quoted


@cache
def lexicons() -> tuple[Lexicon, ...]:
    folder = files("logger.conduct") / "rules"
    return tuple(parse_lexicon(entry.name, entry.read_bytes())
                 for entry in sorted(folder.iterdir(), key=lambda e: e.name)
                 if entry.name.startswith("lexicon_") and entry.name.endswith(".toml"))


def categories() -> frozenset[str]:
    """The categories some lexicon has phrases for."""
    return frozenset(p.category for lexicon in lexicons() for p in lexicon.phrases)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def find_matches(text: str, wanted: frozenset[str] | set[str]) -> list[Match]:
    """Matches of phrases in the `wanted` categories, at most one per sentence and category
    (the first), in the order of the text."""
    found: list[Match] = []
    phrases = _phrases_for(frozenset(wanted))
    for sentence in split_sentences(text):
        seen: set[str] = set()
        for lexicon, phrase in phrases:
            if phrase.category in seen:
                continue
            hit = _first_match(lexicon, phrase, sentence)
            if hit is not None:
                seen.add(phrase.category)
                found.append(Match(phrase.category, hit, sentence))
    return found


@cache
def _phrases_for(wanted: frozenset[str]) -> tuple[tuple[Lexicon, Phrase], ...]:
    return tuple((lexicon, phrase) for lexicon in lexicons() for phrase in lexicon.phrases
                 if phrase.category in wanted)


def _first_match(lexicon: Lexicon, phrase: Phrase, sentence: str) -> str | None:
    for match in phrase.pattern.finditer(sentence):
        if not lexicon.negated(sentence[:match.start()]):
            return match.group()
    return None


def parse_lexicon(filename: str, data: bytes) -> Lexicon:
    """One lexicon file's content, checked (LexiconError naming the file and phrase)."""
    where = f"lexicon file {filename}"
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise LexiconError(f"{where} is not valid UTF-8 TOML: {e}") from None
    unknown = set(raw) - {"language", "negations", "negation_window", "phrase"}
    if unknown:
        raise LexiconError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    language = raw.get("language")
    if filename != f"lexicon_{language}.toml":
        raise LexiconError(f"{where}: `language` must match the file name")
    window = raw.get("negation_window")
    negations = raw.get("negations")
    if not isinstance(window, int) or window < 1 or not isinstance(negations, list):
        raise LexiconError(f"{where}: `negations` (a list) and `negation_window` (1 or more) "
                           "are needed")
    flags = re.IGNORECASE if language == "en" else 0
    phrases = tuple(_phrase(entry, flags, f"{where}, phrase #{n}")
                    for n, entry in enumerate(raw.get("phrase", []), 1))
    return Lexicon(language, phrases, tuple(str(n).lower() for n in negations), window)


def _phrase(raw: object, flags: int, where: str) -> Phrase:
    if not isinstance(raw, dict) or set(raw) != {"category", "pattern", "example"}:
        raise LexiconError(f"{where}: needs exactly `category`, `pattern` and `example`")
    if raw["category"] not in CATEGORY_WORDS:
        raise LexiconError(f"{where}: unknown category “{raw['category']}” (known: "
                           f"{', '.join(CATEGORY_WORDS)})")
    try:
        pattern = re.compile(raw["pattern"], flags)
    except (re.error, TypeError) as e:
        raise LexiconError(f"{where}: the pattern is not a valid regular expression: {e}") from None
    return Phrase(raw["category"], pattern, str(raw["example"]))
