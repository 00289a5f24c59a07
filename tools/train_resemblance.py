"""Train the conduct resemblance model (logger/conduct/language/resemblance.py) on the conduct
corpus files it names in TRAINED_ON, and write logger/conduct/rules/resemblance.npz.

    .venv/bin/python tools/train_resemblance.py [--check FILE] [--sweep [SPLIT ...]]

The held-out file (tests/support/conduct_corpus.py HELD_OUT) is never read. `--check FILE`
only says whether the model in FILE was trained on the corpus as it is now. Training is
deterministic (full-batch Adam from zero): the same corpus gives the same weights.

`--sweep` is how lexicon.VETO_AT was chosen: for each training file named (all of them by
default), a model trained on the others reads that file beside the lexicons, at each threshold;
it prints recall and false findings summed over the files left out, and the false findings
among the neutral sentences (train_c, left out a half at a time).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from logger.conduct.language import resemblance  # noqa: E402
from tests.support.conduct_corpus import (CLASSES, HELD_OUT, NEUTRAL, families_found,  # noqa
                                          load, score_results)

VETOES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.1)

TARGET = ROOT / "logger" / "conduct" / "rules" / resemblance.MODEL_FILE


def examples(splits=resemblance.TRAINED_ON) -> list[tuple[str, str]]:
    if HELD_OUT in splits:
        raise SystemExit(f"{HELD_OUT} is held out: it is never trained on")
    return [(u.text, u.family) for split in splits for u in load(split)]


def sweep(left_out: list[str]) -> None:
    """Recall and false findings at each VETO_AT, each file read by a model that was not
    trained on it."""
    totals: dict[float, list[int]] = {}
    neutral: dict[float, list[int]] = {}   # train_c: greetings, fillers, replies
    for split, half in _folds(left_out):
        others = [s for s in resemblance.TRAINED_ON if s != split]
        utterances = load(split)
        kept = [(u.text, u.family) for n, u in enumerate(utterances) if n % 2 != half]
        utterances = [u for n, u in enumerate(utterances) if half is None or n % 2 == half]
        model = resemblance.train(examples(others) + (kept if half is not None else []),
                                  CLASSES)
        with resemblance.using(model):
            for veto in VETOES:
                found = [families_found(u.text, language=u.language, ruleset=u.ruleset,
                                        veto_at=veto) for u in utterances]
                result = score_results(utterances, found)
                for into, counts in ((totals, (*result.recall(), *result.false())),
                                     (neutral, result.false() if split == NEUTRAL else ())):
                    if not counts:
                        continue
                    so_far = into.setdefault(veto, [0] * len(counts))
                    for n, value in enumerate(counts):
                        so_far[n] += value
        print(f"{split}{'' if half is None else f' (half {half})'}: model trained on "
              f"{', '.join(others)}{'' if half is None else ' and its other half'}", flush=True)
    print(f"VETO_AT  recall          false (per 30)    of which in {NEUTRAL}")
    for veto, (hit, abusive, false, lawful) in totals.items():
        plain = "/".join(map(str, neutral.get(veto, ())))
        print(f"{veto:7}  {hit}/{abusive} = {hit / abusive:.3f}  "
              f"{false}/{lawful} ({30 * false / lawful:.2f})  {plain}")


def _folds(left_out: list[str]) -> list[tuple[str, int | None]]:
    """Each file left out whole, but the neutral one in two halves, each read by a model trained
    on the other: it is the only file of greetings and introductions, and the shipped model is
    trained on all of it."""
    return [(split, half) for split in left_out
            for half in ((0, 1) if split == NEUTRAL else (None,))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=Path)
    parser.add_argument("--sweep", nargs="*")
    args = parser.parse_args()
    if args.sweep is not None:
        sweep(args.sweep or list(resemblance.TRAINED_ON))
        return
    data = examples()
    if args.check:
        kept = resemblance.Model.from_bytes(args.check.read_bytes())
        same = kept.trained_on == resemblance.corpus_digest(data)
        print("same corpus" if same else "the corpus changed: train again")
        sys.exit(0 if same else 1)
    began = time.perf_counter()
    model = resemblance.train(data, CLASSES)
    print(f"trained on {len(data)} utterances, {len(model.index)} features, "
          f"{time.perf_counter() - began:.1f} s")
    model.save(TARGET)
    print(f"wrote {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
