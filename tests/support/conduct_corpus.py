"""The conduct corpus (tests/conduct/corpus/): collector utterances, each with the one family of
misconduct it shows or `lawful`, and scoring a "finder" on them, for
tests/conduct/test_conduct_corpus.py and bench/conduct_language.py alike.

Files: `dev` and `dev2`, the two halves of the first cut; `dev3` to `dev6`, each written blind
and measured once as the held-out file of its day, then opened (`dev6` was `heldout4`);
`train_a` to `train_d`, written as training text for the resemblance model. The lexicons are
tuned on the dev files and the model is trained on all of them (TUNED). `heldout5`, written
blind before any change of its day, is neither: it is reported.

A finder is a callable `(text, language, ruleset_id) -> set of family names found`. The families
are the conduct lexicon's categories by name (a category is a family, by identity). A finding
counts for recall only when its family is the utterance's own (a threat flagged as an insult is
a miss), and a lawful utterance with any finding is a false finding.

This module imports nothing of the project at load time: the bench also runs it against the
code of an older commit (on PYTHONPATH), where `families_found` is what adapts that code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "conduct" / "corpus"
SPLITS = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "train_a", "train_b", "train_c",
          "train_d", "heldout5")
TUNED = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "train_a", "train_b", "train_c",
         "train_d")
# The files the lexicons were tuned on (the model is trained on every file in TUNED).
LEXICON_TUNED = ("dev", "dev2", "dev3")
HELD_OUT = "heldout5"
# Written as training text for the resemblance model: train_a in Chinese alone, train_c the
# neutral sentences of calls and chats (all lawful).
TRAINING = ("train_a", "train_b", "train_c", "train_d")
NEUTRAL = "train_c"
LAWFUL = "lawful"
FAMILIES = ("threat", "arrest", "visit", "tell_others", "false_consequence", "fake_legal",
            "impersonation", "disclosure", "insult", "extra_fee", "borrow",
            "third_party_contact")
CLASSES = (LAWFUL, *FAMILIES)
LANGUAGES = ("zh", "en")
# The rule set an utterance is judged under: Chinese is collection in China, English in the US.
RULESET = {"zh": "cn", "en": "us"}
FIELDS = {"text": None, "language": LANGUAGES, "channel": ("call", "sms", "app_chat"),
          "family": FAMILIES + (LAWFUL,), "register": ("polite", "crude"),
          "form": ("direct", "veiled"), "addressee": ("debtor", "third_party")}

Finder = Callable[[str, str, str], set[str]]


@dataclass(frozen=True)
class Utterance:
    text: str
    language: str
    channel: str
    family: str
    register: str
    form: str
    addressee: str

    @property
    def ruleset(self) -> str:
        return RULESET[self.language]


def load(split: str) -> list[Utterance]:
    """The utterances of one split (one of SPLITS), in file order; a wrong field raises."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r} (known: {', '.join(SPLITS)})")
    with open(CORPUS / f"{split}.toml", "rb") as f:
        raw = tomllib.load(f)
    out = []
    for n, entry in enumerate(raw["utterance"], 1):
        if set(entry) != set(FIELDS):
            raise ValueError(f"{split}.toml utterance #{n}: fields must be {sorted(FIELDS)}")
        for key, allowed in FIELDS.items():
            if allowed is not None and entry[key] not in allowed:
                raise ValueError(f"{split}.toml utterance #{n}: {key} = {entry[key]!r}")
        out.append(Utterance(**entry))
    return out


def families_found(text: str, *, language: str, ruleset: str, suggestions: bool = False,
                   **options) -> set[str]:
    """The adapter to the project's matching: the families (lexicon categories) that
    `logger.conduct.lexicon` finds in `text`, among the categories the rule set's rules ask
    for: its findings, and with `suggestions` its suggestions too (what the resemblance model
    read where no pattern matched, counted once a person confirms it). `language` is not needed
    today (every lexicon is applied to every text) but is part of the contract, for matching
    that comes to use it. `options` go to `find_matches` (the training tool's thresholds; an
    older commit's code is called without them, and makes no suggestion)."""
    from logger.conduct.lexicon import find_matches

    wanted = _wanted(ruleset)
    return {match.category for match in find_matches(text, wanted, **options)
            if suggestions or not getattr(match, "suggested", False)}


def _wanted(ruleset: str) -> frozenset[str]:
    from logger.conduct.ruleset import get_rule_set

    return frozenset(category for rule in get_rule_set(ruleset).rules
                     for category in rule.params.get("categories", ()))


def project_finder(text: str, language: str, ruleset: str) -> set[str]:
    """The findings alone (what counts without a person)."""
    return families_found(text, language=language, ruleset=ruleset)


def suggesting_finder(text: str, language: str, ruleset: str) -> set[str]:
    """The findings and the suggestions (what a person is shown)."""
    return families_found(text, language=language, ruleset=ruleset, suggestions=True)


@dataclass
class Score:
    """Found/total per (family, language), false findings on lawful per language, misses."""

    found: dict[tuple[str, str], int] = field(default_factory=dict)
    total: dict[tuple[str, str], int] = field(default_factory=dict)
    lawful_flagged: dict[str, int] = field(default_factory=dict)
    lawful_total: dict[str, int] = field(default_factory=dict)
    # (utterance, families found) for abusive utterances whose family was not found
    misses: list[tuple[Utterance, set[str]]] = field(default_factory=list)
    # (utterance, families found) for lawful utterances with any finding
    false_findings: list[tuple[Utterance, set[str]]] = field(default_factory=list)

    def recall(self, family: str | None = None, language: str | None = None) -> tuple[int, int]:
        """(found, total) over the abusive utterances, optionally of one family/language."""
        keys = [k for k in self.total if (family is None or k[0] == family)
                and (language is None or k[1] == language)]
        return sum(self.found.get(k, 0) for k in keys), sum(self.total[k] for k in keys)

    def false(self, language: str | None = None) -> tuple[int, int]:
        """(lawful utterances with a finding, lawful utterances)."""
        langs = [language] if language else list(self.lawful_total)
        return (sum(self.lawful_flagged.get(lang, 0) for lang in langs),
                sum(self.lawful_total.get(lang, 0) for lang in langs))


def score(utterances: Iterable[Utterance], finder: Finder) -> Score:
    utterances = list(utterances)
    return score_results(utterances, [set(finder(u.text, u.language, u.ruleset))
                                      for u in utterances])


def score_results(utterances: list[Utterance], answers: list[set[str]]) -> Score:
    """The score of a finder's answers, one per utterance in order (as computed elsewhere:
    the bench runs an older commit's code in another process)."""
    result = Score()
    for u, found in zip(utterances, answers, strict=True):
        if u.family == LAWFUL:
            result.lawful_total[u.language] = result.lawful_total.get(u.language, 0) + 1
            if found:
                result.lawful_flagged[u.language] = result.lawful_flagged.get(u.language, 0) + 1
                result.false_findings.append((u, found))
            continue
        key = (u.family, u.language)
        result.total[key] = result.total.get(key, 0) + 1
        if u.family in found:
            result.found[key] = result.found.get(key, 0) + 1
        else:
            result.misses.append((u, found))
    return result


def per_30(flagged: int, total: int) -> float:
    return 30 * flagged / total if total else 0.0
