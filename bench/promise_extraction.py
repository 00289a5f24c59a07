"""Precision, recall and speed of promise suggestions over tests/data/promise_corpus.toml.

    .venv/bin/python bench/promise_extraction.py [--repeat 20] [--corpus OTHER.toml]

A suggestion counts as right when who, kind, due (to the minute), amount and currency all match
an expected one (and its condition and instalments, where the corpus states them); the looser
figure compares who and kind only. Negatives (cases expecting nothing) count every suggestion
as a false positive. Speed is phrases per second through `suggest_promises`, one process."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.promise_corpus import CORPUS, actual_rows, expected_rows, load_cases  # noqa: E402

from logger.promises.text import suggest_promises  # noqa: E402


def score(pairs: list[tuple[list[dict], list[dict]]], keys: tuple[str, ...] | None):
    """(true positives, false positives, false negatives) over (expected, actual) row lists."""
    tp = fp = fn = 0
    for expected, actual in pairs:
        want = Counter(_key(r, keys) for r in expected)
        got = Counter(_key(r, keys) for r in actual)
        matched = sum((want & got).values())
        tp += matched
        fp += sum(got.values()) - matched
        fn += sum(want.values()) - matched
    return tp, fp, fn


def _key(row: dict, keys: tuple[str, ...] | None) -> str:
    return repr(sorted((k, v) for k, v in row.items() if keys is None or k in keys))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20, help="passes over the corpus for speed")
    parser.add_argument("--corpus", type=Path, default=CORPUS,
                        help="another file in the same format (phrasings the rules never saw)")
    args = parser.parse_args()
    cases = load_cases(args.corpus)
    pairs, misses = [], []
    for case in cases:
        found = suggest_promises(case.text, at=case.at, side=case.side)
        expected = expected_rows(case)
        actual = actual_rows(found, expected)
        pairs.append((expected, actual))
        if actual != expected:
            misses.append((case.text, expected, actual))
    started = time.perf_counter()
    for _ in range(args.repeat):
        for case in cases:
            suggest_promises(case.text, at=case.at, side=case.side)
    elapsed = time.perf_counter() - started

    print(f"corpus: {len(cases)} phrases, {sum(not c.expect for c in cases)} negatives, "
          f"{sum(len(c.expect) for c in cases)} expected suggestions")
    for label, keys in (("exact (who, kind, due, amount, currency, ...)", None),
                        ("who and kind only", ("who", "kind"))):
        tp, fp, fn = score(pairs, keys)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{label}: precision {precision:.3f}  recall {recall:.3f}  "
              f"(tp {tp}, fp {fp}, fn {fn})")
    print(f"speed: {len(cases) * args.repeat / elapsed:.0f} phrases/s "
          f"({elapsed / (len(cases) * args.repeat) * 1000:.2f} ms each)")
    for text, expected, actual in misses:
        print(f"\nMISS {text}\n  expected {expected}\n  got      {actual}")


if __name__ == "__main__":
    main()
