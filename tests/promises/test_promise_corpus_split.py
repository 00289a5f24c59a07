"""The promise suggestions measured on the corpus of issue 15 (tests/promises/corpus/), every
file written blind to the extractor: dev and test (one set cut in two before any rule changed),
dev2, test2, dev3, dev4 and test3 (each by its own author, stop 31), train_a..train_d (the
resemblance model's training text, stop 32) and test4 (stop 32). The rules were tuned on dev,
dev2, dev3, dev4, train_a..train_d; test, test2, test3 and test4 are held out (never tuned on;
only their aggregate figures were ever looked at: test4 three times, at the end of stop 32).

Tuned files: precision and recall of at least TUNED_FLOOR on (amount, due) and on (who, kind),
and at most one false suggestion in 20 negatives, in each language.

Held-out files: floors a little below what was measured when they were set
(bench/promise_extraction.py --held-out, both languages; the figures are in HELD_OUT_FLOORS'
comments, with the extractor of the commit before issue 15's work and of 44ab979 beside them).
The issue's goals (0.90, 1 in 20) are not met on them. The floors catch a change that loses
ground on phrasings the rules have not seen; raising them is for a later measurement, not for
tuning on those files. A failure prints the figures only, never the cases.
"""

from __future__ import annotations

import pytest

from logger.promises.text import suggest_promises
from tests.support.promise_corpus import (HELD_OUT, LANGUAGES, PAIRS, SPLITS, TRAINING,
                                          actual_rows, expected_rows, load_cases, score)

TUNED = tuple(name for name in SPLITS if name not in HELD_OUT + TRAINING)
# At or above it in each language on each tuned file (dev4, the last tuned on: 0.839 for
# Chinese who & kind; dev3 0.918-0.979; dev and dev2 0.957-1.000). dev4's became 0.80 when the
# resemblance model came (stop 32): it calls off three of dev4's English promises written in
# texting shorthand ("ill send 2k tmrw morning"), its measured price of about 3 % of the right
# suggestions for three quarters of the false ones (docs/DECISIONS.md).
TUNED_FLOOR = {"dev": 0.95, "dev2": 0.95, "dev3": 0.90, "dev4": 0.80}
# (amount & due P, R), (who & kind P, R), false suggestions per negative.
HELD_OUT_FLOORS = {
    # stop 32, with the resemblance model: 0.868/0.857, 0.855/0.844, 8/86 (723470b, the end of
    # stop 31: 0.816/0.838, 0.816/0.838, 13/86; 44ab979: 0.761/0.766, 0.755/0.760, 16/86; the
    # extractor before issue 15: 0.643/0.584, 0.579/0.526, 18/86)
    "test": ((0.84, 0.83), (0.83, 0.82), 0.11),
    # stop 32: 0.892/0.846, 0.892/0.846, 5/100 (723470b: 0.864/0.853, 0.857/0.846, 9/100;
    # 44ab979: 0.797/0.808, 0.785/0.795, 18/100)
    "test2": ((0.87, 0.82), (0.87, 0.82), 0.07),
    # stop 32: 0.915/0.903, 0.915/0.903, 5/100 (723470b, its first look: 0.866/0.916,
    # 0.860/0.910, 12/100; 44ab979: 0.760/0.877, 0.726/0.839, 28/100)
    "test3": ((0.89, 0.88), (0.89, 0.88), 0.07),
    # stop 32: 0.912/0.865, 0.823/0.781, 3/99 (its first look, before the last transcript
    # change: who & kind 0.816/0.774; 723470b: 0.839/0.871, 0.733/0.761, 15/99)
    "test4": ((0.89, 0.84), (0.80, 0.76), 0.05),
    # stop 34, in seven held-out runs between rounds (aggregates only): first 0.912/0.886,
    # 0.902/0.876, 4/119; with 5 cases that other files also hold removed, 0.911/0.885,
    # 0.901/0.875, 4/116; last 0.930/0.894, 0.945/0.909, 4/116 (9343cd6: 0.900/0.870,
    # 0.900/0.870, 4/116)
    "test5": ((0.91, 0.88), (0.92, 0.89), 0.05),
    # stop 35, its first look (6c9aee1, the stop's first round of rules): 0.877/0.774,
    # 0.896/0.791, 5/121 (c66fee4, the stop's start: the same but who & kind 0.891/0.787);
    # its fifth and last look this stop (b2a6479): 0.888/0.795, 0.902/0.808, 5/121
    "test6": ((0.86, 0.77), (0.88, 0.79), 0.05),
}


@pytest.fixture(scope="module")
def read():
    """Each corpus file's cases and the rows the extractor gave for them, read once."""
    found = {}

    def run(name: str):
        if name not in found:
            cases = load_cases(SPLITS[name])
            found[name] = cases, [actual_rows(suggest_promises(c.text, at=c.at, side=c.side),
                                              expected_rows(c)) for c in cases]
        return found[name]
    return run


@pytest.mark.parametrize("name", TUNED)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("pair", PAIRS)
def test_a_tuned_file_scores_at_least_its_floor(read, name, pair, language):
    f = score(*read(name), PAIRS[pair], language)
    assert min(f.precision, f.recall) >= TUNED_FLOOR[name], (
        f"{name} {language} {pair}: precision {f.precision:.3f} recall {f.recall:.3f}")


@pytest.mark.parametrize("name", TUNED)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_tuned_file_has_at_most_one_false_suggestion_in_20_negatives(read, name, language):
    f = score(*read(name), ("who",), language)
    assert f.false_per_negative <= 1 / 20, (
        f"{name} {language}: {f.false_on_negatives} suggestions on {f.negatives} negatives")


@pytest.mark.parametrize("name", HELD_OUT)
@pytest.mark.parametrize("pair", PAIRS)
def test_a_held_out_file_stays_above_its_floor(read, name, pair):
    f = score(*read(name), PAIRS[pair])
    low_p, low_r = HELD_OUT_FLOORS[name][list(PAIRS).index(pair)]
    assert f.precision >= low_p and f.recall >= low_r, (
        f"{name} {pair}: precision {f.precision:.3f} recall {f.recall:.3f} "
        f"(floors {low_p}, {low_r})")


@pytest.mark.parametrize("name", HELD_OUT)
def test_a_held_out_file_has_few_false_suggestions(read, name):
    f = score(*read(name), ("who",))
    assert f.false_per_negative <= HELD_OUT_FLOORS[name][2], (
        f"{name}: {f.false_on_negatives} suggestions on {f.negatives} negatives")


def test_the_held_out_files_are_apart_and_each_file_covers_every_kind():
    texts: dict[str, set[str]] = {}
    for name, path in SPLITS.items():
        cases = load_cases(path)
        texts[name] = {c.text for c in cases}
        if name in TRAINING:
            continue   # train_a is Chinese alone
        assert {e["kind"] for c in cases for e in c.expect} == {
            "payment", "instalment_plan", "waiver", "settlement", "extension", "stop_calls"}, name
        assert {c.language for c in cases} == set(LANGUAGES), name
        assert sum(not c.expect for c in cases) >= len(cases) / 3, name
    # A held-out file shares no utterance with any other (two tuning files may: 好的，我会尽快处理
    # 的 is in dev2 and dev3); the count only is printed.
    for name in HELD_OUT:
        for other in SPLITS:
            shared = len(texts[name] & texts[other]) if other != name else 0
            assert shared == 0, f"{name} and {other} share {shared} utterances"
