"""The conduct corpus (tests/conduct/corpus/) is sound, and the conduct matching finds what
collectors say in its held-out split without flagging lawful collection."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.support.conduct_corpus import (FAMILIES, HELD_OUT, LANGUAGES, LAWFUL, SPLITS, TUNED,
                                          load, per_30, project_finder, score)


@pytest.fixture(scope="module")
def corpus():
    return {split: load(split) for split in SPLITS}


def _normal(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _all(corpus):
    return [u for split in SPLITS for u in corpus[split]]


def test_the_corpus_is_large_two_thirds_chinese_and_a_third_lawful(corpus):
    for utterances in (_all(corpus), corpus[HELD_OUT]):
        assert len(utterances) >= 300
        assert sum(u.language == "zh" for u in utterances) * 100 >= 65 * len(utterances)
        assert sum(u.family == LAWFUL for u in utterances) * 3 >= len(utterances)


def test_every_family_is_in_both_splits_and_both_languages(corpus):
    for split, utterances in corpus.items():
        present = Counter((u.family, u.language) for u in utterances)
        for family in FAMILIES + (LAWFUL,):
            for language in LANGUAGES:
                assert present[(family, language)] >= 2, (split, family, language)


def test_the_first_cut_is_stratified_by_family_and_language(corpus):
    dev = Counter((u.family, u.language) for u in corpus["dev"])
    test = Counter((u.family, u.language) for u in corpus["dev2"])
    for key in dev | test:
        assert abs(dev[key] - test[key]) <= 1, key


def test_each_family_has_enough_abusive_utterances(corpus):
    for utterances in (_all(corpus), corpus[HELD_OUT]):
        counts = Counter(u.family for u in utterances)
        for family in FAMILIES:
            assert counts[family] >= 12, family


def test_the_splits_are_disjoint_and_hold_no_duplicates(corpus):
    seen: set[str] = set()
    for split in SPLITS:
        texts = {_normal(u.text) for u in corpus[split]}
        assert len(texts) == len(corpus[split]), split
        assert not texts & seen, split
        seen |= texts


def test_third_party_contact_is_said_to_a_third_party(corpus):
    for u in _all(corpus):
        if u.family == "third_party_contact":
            assert u.addressee == "third_party", u.text
        elif u.family != LAWFUL:
            assert u.addressee == "debtor", u.text


def _report(result) -> tuple[str, str]:
    misses = "\n".join(f"  [{u.family}/{u.language}] {u.text} (found: {sorted(f)})"
                       for u, f in result.misses)
    false = "\n".join(f"  [{sorted(f)}] {u.text}" for u, f in result.false_findings)
    return misses, false


def test_the_tuned_halves_are_found(corpus):
    """The lexicons were tuned on the development halves: every family is found there and no
    lawful sentence is flagged. A change that loses what was tuned fails here."""
    result = score([u for split in TUNED for u in corpus[split]], project_finder)
    misses, false = _report(result)
    for family in FAMILIES:
        found, total = result.recall(family)
        assert found >= 0.95 * total, f"{family}: {found}/{total}; misses:\n{misses}"
    flagged, lawful = result.false()
    assert per_30(flagged, lawful) <= 1, f"false findings {flagged}/{lawful}:\n{false}"


# Held-out recall, three times, each on text written by someone who had not seen the lexicons
# and measured once before it was tuned on: dev2 0.74 (116/156), then dev3 0.71 (145/204, 11/122
# false on lawful), then heldout2 0.71 (162/228; zh 106/144, en 56/84) with 9 false findings in
# 140 lawful sentences (1.9 per 30), after tuning on dev, dev2 and dev3 (all three 100 %, none
# false). The ab530e7 lexicons found 17/204 of dev3. The goal of issue 21 (0.90 per family and
# overall, at most 1 in 30) is NOT met, and tuning on more text no longer moves held-out recall.
# The floors only keep what was reached; bench/conduct_language.py prints the figures (not the
# held-out misses unless asked: reading them is tuning on them).
HELD_OUT_RECALL_FLOOR = 0.70
HELD_OUT_FALSE_PER_30_CEILING = 2.0


def test_held_out_recall_does_not_fall_below_what_was_measured(corpus):
    result = score(corpus[HELD_OUT], project_finder)
    found, total = result.recall()
    assert found >= HELD_OUT_RECALL_FLOOR * total, f"overall recall {found}/{total}"
    flagged, lawful = result.false()
    assert per_30(flagged, lawful) <= HELD_OUT_FALSE_PER_30_CEILING, \
        f"false findings {flagged}/{lawful}"
