"""A lexicon as data (`logger/conduct/rules/lexicon_<language>.toml`), read and checked.

A lexicon holds word classes (`[words]`: a name and the terms that stand for it: stems,
synonyms, polite and plain forms), the negation words and their scope (`[negation]`), and
patterns (`[[pattern]]`): a category; the slots that must follow each other within a clause
(`match`: "@class" or literal terms, joined by "|"; "?" in front makes a slot optional); how
many words may stand between two slots (`gap`; `across = true` lets them cross a comma); the
classes that must appear elsewhere in the sentence (`need`, or in the sentence before or after
too with `need_near`); the classes that call it off in its clause (`unless`: a lawful option,
the borrower's own question) or anywhere in the sentence (`unless_sentence`: a consent, a
judgment); and an example that it must match. A term ending in "*" matches any word that
begins with it ("arrest*"), one beginning with "*" any word that ends with it ("*费": 手续费,
上门费), and one beginning with "!" is taken out of its class where it occurs ("!免费": free
is no fee).

`[suggest]` names, per category, the word classes whose words a *suggestion* may stand on: a
sentence no pattern of that category matched, which the resemblance model reads as that category
above all others (`logger.conduct.lexicon.find_matches`). The word found is what the suggestion
quotes as its phrase; without one of them the model's reading alone suggests nothing, nor
when a negation reaches that word, or the sentence holds a word of the classes `unless` names
(a lawful option or right, the borrower's own question).
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field

from logger.conduct.language.tokens import english
from logger.errors import LiuhenError

_NAME = re.compile(r"[a-z][a-z0-9_]*$")
_TOP = {"language", "source", "gap", "negation", "words", "pattern", "suggest"}
_PATTERN = {"category", "match", "gap", "across", "need", "need_near", "unless", "unless_sentence",
            "example"}
_NEGATION = {"cues", "pseudo", "ends", "after", "doubled", "window"}


class LexiconError(LiuhenError):
    """A lexicon file is malformed (the message names the file and the entry)."""


@dataclass(frozen=True)
class Pattern:
    category: str
    alternatives: tuple[tuple[str, ...], ...]  # the slot sequences (optional slots spelled out)
    needs: tuple[frozenset[str], ...]          # the classes of each alternative, as a set
    anchor: str | None                         # a class every alternative needs
    gap: int
    across: bool                       # the slots may stand in different clauses
    need: tuple[str, ...]
    need_near: bool
    unless: tuple[str, ...]            # in the clause(s) of the match
    unless_sentence: tuple[str, ...]   # anywhere in the sentence
    example: str
    text: str                                  # `match` as written, for messages


@dataclass(frozen=True)
class Negation:
    cues: frozenset[str]
    pseudo: frozenset[str]    # hold a cue but negate nothing ("不还", "don't pay")
    ends: frozenset[str]      # end a cue's scope ("就", "but", "we")
    after: frozenset[str]     # cues that follow what they negate ("是不可能的")
    doubled: frozenset[str]   # "别以为", "don't think": a negation after them says the opposite
    window: int


@dataclass(frozen=True, eq=False)
class Lexicon:
    language: str
    source: str
    classes: dict[str, frozenset[str]]      # class -> its terms (literal slots are classes too)
    patterns: tuple[Pattern, ...]
    negation: Negation
    exact: dict[str, frozenset[str]] = field(repr=False)     # term -> the classes it stands for
    prefixes: dict[str, frozenset[str]] = field(repr=False)  # "arrest" of "arrest*" -> classes
    suffixes: dict[str, frozenset[str]] = field(repr=False)  # "费" of "*费" -> classes
    excluded: dict[str, frozenset[str]] = field(repr=False)  # class -> its "!" terms
    by_first: dict[str, tuple[str, ...]] = field(repr=False)  # first character -> exact terms
    prefix_lengths: tuple[int, ...] = field(repr=False)
    longest: int = field(repr=False)        # the most words an English term spans
    # category -> the classes a suggestion of it may stand on (`[suggest]`)
    suggest: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    suggest_unless: tuple[str, ...] = field(default=(), repr=False)

    @property
    def joiner(self) -> str:
        return "" if self.language == "zh" else " "


def parse_lexicon(filename: str, data: bytes, categories: set[str] | dict[str, str]
                  ) -> Lexicon:
    where = f"lexicon file {filename}"
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise LexiconError(f"{where} is not valid UTF-8 TOML: {e}") from None
    unknown = set(raw) - _TOP
    if unknown:
        raise LexiconError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    language = raw.get("language")
    if filename != f"lexicon_{language}.toml":
        raise LexiconError(f"{where}: `language` must match the file name")
    if not isinstance(raw.get("source"), str) or not raw["source"].strip():
        raise LexiconError(f"{where}: `source` (where the words come from) is needed")
    lower = language != "zh"
    negation = _negation(raw.get("negation"), lower, where)
    classes: dict[str, frozenset[str]] = {}
    words = raw.get("words")
    if not isinstance(words, dict) or not words:
        raise LexiconError(f"{where}: `[words]` (word classes) is needed")
    for name, terms in words.items():
        if not _NAME.match(name) or not isinstance(terms, list) or not terms \
                or not all(isinstance(t, str) and t.strip(" *!") for t in terms):
            raise LexiconError(f"{where}: word class “{name}” needs a lowercase name and a "
                               "list of terms")
        classes[name] = frozenset(_norm(t, lower) for t in terms)
    default_gap = raw.get("gap", 3)
    patterns = tuple(_pattern(entry, classes, categories, default_gap, lower,
                              f"{where}, pattern #{n}")
                     for n, entry in enumerate(raw.get("pattern", []), 1))
    exact: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    suffixes: dict[str, set[str]] = {}
    excluded: dict[str, set[str]] = {}
    longest = 1
    for name, terms in classes.items():
        for term in terms:
            if term.startswith("!"):
                excluded.setdefault(name, set()).add(term[1:])
                continue
            if term.endswith("*"):
                target, key = prefixes, term[:-1]
            elif term.startswith("*"):
                target, key = suffixes, term[1:]
            else:
                target, key = exact, term
            target.setdefault(key, set()).add(name)
            if lower:
                longest = max(longest, len(key.split()))
    by_first: dict[str, list[str]] = {}
    for term in exact:
        by_first.setdefault(term[0], []).append(term)
    return Lexicon(language, raw["source"].strip(), classes, patterns, negation,
                   *({k: frozenset(v) for k, v in d.items()}
                     for d in (exact, prefixes, suffixes, excluded)),
                   {k: tuple(v) for k, v in by_first.items()},
                   tuple(sorted({len(k) for k in prefixes})), longest,
                   *_suggest(raw.get("suggest", {}), classes, categories, where))


def _suggest(raw: object, classes: dict[str, frozenset[str]], categories, where: str
             ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """`[suggest]`: the classes of each category, and those of `unless`."""
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: `[suggest]` maps a category to a list of word classes")
    out = {}
    for category, names in raw.items():
        if category not in categories and category != "unless":
            raise LexiconError(f"{where}: `suggest.{category}`: unknown category")
        if not isinstance(names, list) or not names \
                or not all(isinstance(n, str) and n in classes for n in names):
            raise LexiconError(f"{where}: `suggest.{category}` must list known word classes")
        out[category] = tuple(names)
    return out, out.pop("unless", ())


def _norm(term: str, lower: bool) -> str:
    """A term as the words of a text are spelled: English through the same cutting, so
    "we'll" is written as it is said and found as "we will", "parents' house" as "parents
    house"."""
    term = term.strip()
    if not lower:
        return term
    if term.startswith(("'", "’")):   # "'s": a word of its own, as the cutting leaves it
        return term.lower().replace("’", "'")
    mark, body, star = "", term, ""
    if body.startswith("!"):
        mark, body = "!", body[1:]
    if body.endswith("*"):
        body, star = body[:-1], "*"
    words = " ".join(t.text for t in english(body) if not t.brk)
    return f"{mark}{words}{star}" if words else term.lower()


def _negation(raw: object, lower: bool, where: str) -> Negation:
    if not isinstance(raw, dict) or set(raw) - _NEGATION or "cues" not in raw \
            or not isinstance(raw.get("window"), int) or raw["window"] < 1:
        raise LexiconError(f"{where}: `[negation]` needs `cues` and a `window` of 1 or more "
                           f"(and may have {', '.join(sorted(_NEGATION - {'cues', 'window'}))})")
    lists = {}
    for key in _NEGATION - {"window"}:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LexiconError(f"{where}: `negation.{key}` must be a list of words")
        lists[key] = frozenset(_norm(v, lower) for v in value)
    return Negation(lists["cues"], lists["pseudo"], lists["ends"], lists["after"],
                    lists["doubled"], raw["window"])


def _pattern(raw: object, classes: dict[str, frozenset[str]], categories, default_gap: int,
             lower: bool, where: str) -> Pattern:
    if not isinstance(raw, dict) or not {"category", "match", "example"} <= set(raw) \
            or set(raw) - _PATTERN:
        raise LexiconError(f"{where}: needs `category`, `match` and `example` (and may have "
                           "`gap`, `across`, `need`, `need_near`, `unless`, `unless_sentence`)")
    if raw["category"] not in categories:
        raise LexiconError(f"{where}: unknown category “{raw['category']}” (known: "
                           f"{', '.join(categories)})")
    match = raw["match"]
    if not isinstance(match, list) or not match or not all(isinstance(s, str) for s in match):
        raise LexiconError(f"{where}: `match` must be a list of slots")
    slots = [(s.startswith("?"), _slot(s.removeprefix("?"), classes, lower, where))
             for s in match]
    if all(optional for optional, _ in slots):
        raise LexiconError(f"{where}: `match` needs a slot that is not optional")
    alternatives = tuple(
        tuple(name for (_, name), keep in zip(slots, choice) if keep)
        for choice in itertools.product(*[(True, False) if o else (True,) for o, _ in slots]))
    gap = raw.get("gap", default_gap)
    if not isinstance(gap, int) or gap < 0:
        raise LexiconError(f"{where}: `gap` must be 0 or more")
    need = tuple(_slot(s, classes, lower, where) for s in raw.get("need", []))
    unless, unless_sentence = (tuple(_slot(s, classes, lower, where) for s in raw.get(key, []))
                               for key in ("unless", "unless_sentence"))
    alternatives = tuple(a for a in alternatives if a)
    needs = tuple(frozenset(a) for a in alternatives)
    common = frozenset.intersection(*needs)
    anchor = max(sorted(common), key=lambda c: min(len(t) for t in classes[c])) if common else None
    return Pattern(raw["category"], alternatives, needs, anchor, gap,
                   bool(raw.get("across", False)), need,
                   bool(raw.get("need_near", False)), unless, unless_sentence,
                   str(raw["example"]), " ".join(match))


def _slot(slot: str, classes: dict[str, frozenset[str]], lower: bool, where: str) -> str:
    """The class a slot names: "@class" as it is; terms and classes joined by "|" become a
    class of their own, named by the slot."""
    if slot.startswith("@") and "|" not in slot:
        if slot[1:] not in classes:
            raise LexiconError(f"{where}: unknown word class “{slot}”")
        return slot[1:]
    name = "=" + slot
    if name not in classes:
        terms: set[str] = set()
        for part in (p.strip() for p in slot.split("|")):
            if part.startswith("@"):
                if part[1:] not in classes:
                    raise LexiconError(f"{where}: unknown word class “{part}”")
                terms |= classes[part[1:]]
            elif part:
                terms.add(_norm(part, lower))
        if not terms:
            raise LexiconError(f"{where}: an empty slot")
        classes[name] = frozenset(terms)
    return name
