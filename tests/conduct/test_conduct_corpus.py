"""The conduct corpus (tests/conduct/corpus/) is sound, and the conduct matching finds what
collectors say in its held-out test split without flagging lawful collection."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.support.conduct_corpus import (FAMILIES, LANGUAGES, LAWFUL, SPLITS, load,
                                          per_30, project_finder, score)


@pytest.fixture(scope="module")
def corpus():
    return {split: load(split) for split in SPLITS}


def _normal(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def test_the_corpus_is_large_mostly_chinese_and_a_third_lawful(corpus):
    everything = corpus["dev"] + corpus["test"]
    assert len(everything) >= 400
    assert sum(u.language == "zh" for u in everything) * 3 >= 2 * len(everything)
    assert sum(u.family == LAWFUL for u in everything) * 3 >= len(everything)


def test_every_family_is_in_both_splits_and_both_languages(corpus):
    for split, utterances in corpus.items():
        present = Counter((u.family, u.language) for u in utterances)
        for family in FAMILIES + (LAWFUL,):
            for language in LANGUAGES:
                assert present[(family, language)] >= 2, (split, family, language)


def test_the_split_is_stratified_by_family_and_language(corpus):
    dev = Counter((u.family, u.language) for u in corpus["dev"])
    test = Counter((u.family, u.language) for u in corpus["test"])
    for key in dev | test:
        assert abs(dev[key] - test[key]) <= 1, key


def test_each_family_has_enough_abusive_utterances(corpus):
    counts = Counter(u.family for u in corpus["dev"] + corpus["test"])
    for family in FAMILIES:
        assert counts[family] >= 25, family


def test_the_splits_are_disjoint_and_hold_no_duplicates(corpus):
    dev = {_normal(u.text) for u in corpus["dev"]}
    test = {_normal(u.text) for u in corpus["test"]}
    assert len(dev) == len(corpus["dev"])
    assert len(test) == len(corpus["test"])
    assert not dev & test


def test_third_party_contact_is_said_to_a_third_party(corpus):
    for u in corpus["dev"] + corpus["test"]:
        if u.family == "third_party_contact":
            assert u.addressee == "third_party", u.text
        elif u.family != LAWFUL:
            assert u.addressee == "debtor", u.text


def _report(result) -> tuple[str, str]:
    misses = "\n".join(f"  [{u.family}/{u.language}] {u.text} (found: {sorted(f)})"
                       for u, f in result.misses)
    false = "\n".join(f"  [{sorted(f)}] {u.text}" for u, f in result.false_findings)
    return misses, false


def test_the_tuned_half_is_found(corpus):
    """The lexicons were tuned on the development half: every family is found there and no
    lawful sentence is flagged. A change that loses what was tuned fails here."""
    result = score(corpus["dev"], project_finder)
    misses, false = _report(result)
    for family in FAMILIES:
        found, total = result.recall(family)
        assert found >= 0.95 * total, f"{family}: {found}/{total}; misses:\n{misses}"
    flagged, lawful = result.false()
    assert per_30(flagged, lawful) <= 1, f"false findings {flagged}/{lawful}:\n{false}"


# Measured on the held-out half when the method landed: recall 116/156 (0.74), 3 false findings
# in 80 lawful sentences (1.1 per 30); the previous lexicons: 15/156 and 1/80. The goal of issue 21
# (0.90 per family and overall, at most 1 in 30) is NOT met yet; bench/conduct_language.py prints
# the figures and the misses. This floor only keeps what was reached: raise it as recall rises.
HELD_OUT_RECALL_FLOOR = 0.72
HELD_OUT_FALSE_PER_30_CEILING = 1.2


def test_held_out_recall_does_not_fall_below_what_was_measured(corpus):
    result = score(corpus["test"], project_finder)
    misses, false = _report(result)
    found, total = result.recall()
    assert found >= HELD_OUT_RECALL_FLOOR * total, \
        f"overall recall {found}/{total}; misses:\n{misses}"
    flagged, lawful = result.false()
    assert per_30(flagged, lawful) <= HELD_OUT_FALSE_PER_30_CEILING, \
        f"false findings {flagged}/{lawful}:\n{false}"
