"""The promise suggestions measured on the corpus of issue 15 (tests/promises/corpus/), written
blind to the extractor and cut once into a dev half (the rules were tuned on it) and a held-out
test half (never tuned on; only its aggregate figures were ever looked at).

dev: precision and recall of at least 0.95 on (amount, due) and on (who, kind), and at most one
false suggestion in 20 negatives, in each language.

test: floors a little below what was measured when this was written (bench/promise_extraction.py
--held-out, the working tree of issue 15, both languages): amount & due P 0.761 R 0.766, who &
kind P 0.755 R 0.760, 16 false suggestions on 86 negatives (3.7 per 20; the extractor of the
commit before: 0.643/0.584, 0.579/0.526, 18/86). The issue's goals (0.90, 1 in 20) are not met
on this half. The floors catch a change that loses ground on phrasings the rules have not seen;
raising them is for a later measurement, not for tuning on this half. A failure prints the
figures only, never the cases.
"""

from __future__ import annotations

import pytest

from logger.promises.text import suggest_promises
from tests.support.promise_corpus import (LANGUAGES, PAIRS, SPLITS, actual_rows, expected_rows,
                                          load_cases, score)

TEST_FLOORS = {"amount & due": (0.74, 0.74), "who & kind": (0.73, 0.74)}
TEST_FALSE_PER_NEGATIVE = 0.21   # measured 16/86 = 0.186


def _run(split: str):
    cases = load_cases(SPLITS[split])
    found = [actual_rows(suggest_promises(c.text, at=c.at, side=c.side), expected_rows(c))
             for c in cases]
    return cases, found


@pytest.fixture(scope="module")
def dev():
    return _run("dev")


@pytest.fixture(scope="module")
def held_out():
    return _run("test")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("pair", PAIRS)
def test_the_tuned_half_scores_at_least_095(dev, pair, language):
    f = score(*dev, PAIRS[pair], language)
    assert min(f.precision, f.recall) >= 0.95, (
        f"dev {language} {pair}: precision {f.precision:.3f} recall {f.recall:.3f}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_tuned_half_has_at_most_one_false_suggestion_in_20_negatives(dev, language):
    f = score(*dev, ("who",), language)
    assert f.false_per_negative <= 1 / 20, (
        f"dev {language}: {f.false_on_negatives} suggestions on {f.negatives} negatives")


@pytest.mark.parametrize("pair", PAIRS)
def test_the_held_out_half_stays_above_its_floor(held_out, pair):
    f = score(*held_out, PAIRS[pair])
    low_p, low_r = TEST_FLOORS[pair]
    assert f.precision >= low_p and f.recall >= low_r, (
        f"test {pair}: precision {f.precision:.3f} recall {f.recall:.3f} "
        f"(floors {low_p}, {low_r})")


def test_the_held_out_half_has_few_false_suggestions(held_out):
    f = score(*held_out, ("who",))
    assert f.false_per_negative <= TEST_FALSE_PER_NEGATIVE, (
        f"test: {f.false_on_negatives} suggestions on {f.negatives} negatives")


def test_the_halves_are_apart_and_cover_every_kind():
    dev_cases, test_cases = load_cases(SPLITS["dev"]), load_cases(SPLITS["test"])
    assert not {c.text for c in dev_cases} & {c.text for c in test_cases}
    kinds = {e["kind"] for c in dev_cases for e in c.expect}
    assert kinds == {"payment", "instalment_plan", "waiver", "settlement", "extension",
                     "stop_calls"}
    assert {c.language for c in dev_cases} == set(LANGUAGES)
