"""The conduct corpus (tests/conduct/corpus/) is sound, and the conduct matching finds what
collectors say in its held-out split without flagging lawful collection."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.support.conduct_corpus import (FAMILIES, HELD_OUT, LANGUAGES, LAWFUL,
                                          LEXICON_TUNED, NEUTRAL, SPLITS, TRAINING, load,
                                          per_30, project_finder, score, suggesting_finder)


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


def test_every_family_is_in_every_file_and_both_languages(corpus):
    for split, utterances in corpus.items():
        present = Counter((u.family, u.language) for u in utterances)
        if split == NEUTRAL:   # greetings, fillers and replies: lawful, in both languages
            assert set(present) == {(LAWFUL, "zh"), (LAWFUL, "en")}, split
            continue
        for family in FAMILIES + (LAWFUL,):
            if split in TRAINING:   # training text: every family, in one language or both
                assert sum(present[(family, lang)] for lang in LANGUAGES) >= 20, (split, family)
                continue
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
        elif u.family == "disclosure":
            # posted for everyone to read: said to the debtor, or to the group it is posted in
            assert u.addressee in ("debtor", "third_party"), u.text
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
    result = score([u for split in LEXICON_TUNED for u in corpus[split]], project_finder)
    misses, false = _report(result)
    for family in FAMILIES:
        found, total = result.recall(family)
        assert found >= 0.95 * total, f"{family}: {found}/{total}; misses:\n{misses}"
    flagged, lawful = result.false()
    assert per_30(flagged, lawful) <= 1, f"false findings {flagged}/{lawful}:\n{false}"


# Held-out recall, each time on text written by someone who had not seen the lexicons and
# measured once before it was tuned or trained on: dev2 0.74 (116/156), dev3 0.71 (145/204, 11/122
# false), dev4 (heldout2) 0.71 (162/228, 9/140 false), dev5 (heldout3) 0.73 for the lexicons
# alone (212/289, 9/163 false) and 0.83 with the first resemblance model (239/289, 8/163), whose
# adding of findings was then taken out (docs/DECISIONS.md). heldout4, measured on 2026-12-03
# with the model that only calls findings off, at VETO_AT 0.5 (bench/conduct_language.py):
# recall 193/309 = 0.62 (zh 135/210, en 58/99; the lexicons alone 194/309) with 6 false findings
# in 160 lawful sentences (1.1 per 30; the lexicons alone 8); it was then opened as dev6.
# heldout5 (476 after four utterances that training files held were taken out), measured once on
# 2026-12-03 after the model was trained again with dev6 and train_d and the suggestions came:
# findings 231/304 = 0.76 (zh 164/206, en 67/98; 261d734, before: the same), with the
# suggestions 262/304 = 0.86 (zh 182/206, en 80/98), 8 false findings in 172 lawful sentences
# (1.4 per 30) and no lawful sentence suggested; after VETO_AT 0.45 and a vocabulary round on the
# opened files, the same but 261/304 with suggestions. The goals of issue 21 (recall 0.90 per family
# and overall, at most 1 false in 30) are NOT met. The floors only keep what was reached; the
# bench prints the figures (not the held-out misses unless asked: reading them is tuning on
# them).
HELD_OUT_RECALL_FLOOR = 0.75
HELD_OUT_SUGGESTING_RECALL_FLOOR = 0.85
HELD_OUT_FALSE_PER_30_CEILING = 1.4


@pytest.mark.parametrize("finder, floor", [(project_finder, HELD_OUT_RECALL_FLOOR),
                                           (suggesting_finder, HELD_OUT_SUGGESTING_RECALL_FLOOR)])
def test_held_out_recall_does_not_fall_below_what_was_measured(corpus, finder, floor):
    result = score(corpus[HELD_OUT], finder)
    found, total = result.recall()
    assert found >= floor * total, f"overall recall {found}/{total}"
    flagged, lawful = result.false()
    assert per_30(flagged, lawful) <= HELD_OUT_FALSE_PER_30_CEILING, \
        f"false findings {flagged}/{lawful}"
