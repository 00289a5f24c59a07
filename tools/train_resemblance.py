"""Train a reader's resemblance model (logger/resemblance.py) on the corpus files the reader
names in its TRAINED_ON, and write the model file it ships:

    conduct   logger/conduct/language/resemblance.py -> logger/conduct/rules/resemblance.npz
    promises  logger/promises/text/resemblance.py   -> logger/promises/text/resemblance.npz

    .venv/bin/python tools/train_resemblance.py {conduct,promises} [--check FILE]
        [--sweep [SPLIT ...]]

A held-out file is never read. `--check FILE` only says whether the model in FILE was trained
on the corpus as it is now. Training is deterministic (full-batch Adam from zero): the same
corpus gives the same weights.

`--sweep` is how each reader's VETO_AT (and the conduct reader's SUGGEST_AT) was chosen: for
each training file named (by default, for conduct every one, for promises train_a..train_d), a
model trained on the others reads that file beside the rules, at each threshold; it prints the
figures summed over the files left out. For conduct, the suggestions are swept at the VETO_AT in
force, with the findings they add to.
The promise figures in docs/DECISIONS.md were taken on each file before any rule was tuned on
it; run now, the sweep reads the rules as they are since.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from logger import resemblance  # noqa: E402

VETOES = (0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.1)
SUGGESTS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 1.1)


class Conduct:
    from logger.conduct.language import resemblance as reader
    from tests.support import conduct_corpus as corpus
    target = ROOT / "logger" / "conduct" / "rules" / reader.MODEL_FILE
    classes = corpus.CLASSES
    swept = reader.TRAINED_ON

    @classmethod
    def examples(cls, splits) -> list[tuple[str, str]]:
        _refuse_held_out(splits, (cls.corpus.HELD_OUT,))
        return [(u.text, u.family) for split in splits for u in cls.corpus.load(split)]

    @classmethod
    def sweep(cls, left_out: list[str]) -> None:
        """Recall and false findings at each VETO_AT; the neutral file (train_c: greetings,
        fillers, replies) is left out a half at a time, each read by a model trained on the
        other, since it is the only file of its kind."""
        from logger.conduct.lexicon import VETO_AT
        c = cls.corpus
        totals: dict[float, list[int]] = {}
        neutral: dict[float, list[int]] = {}
        suggesting: dict[float, list[int]] = {}
        plain_suggested: dict[float, list[int]] = {}
        for split in left_out:
            for half in ((0, 1) if split == c.NEUTRAL else (None,)):
                others = [s for s in cls.reader.TRAINED_ON if s != split]
                utterances = c.load(split)
                kept = [(u.text, u.family) for n, u in enumerate(utterances) if n % 2 != half]
                read = [u for n, u in enumerate(utterances) if half is None or n % 2 == half]
                model = resemblance.train(
                    cls.examples(others) + (kept if half is not None else []), cls.classes)
                with cls.reader.using(model):
                    for veto in VETOES:
                        found = [c.families_found(u.text, language=u.language,
                                                  ruleset=u.ruleset, veto_at=veto)
                                 for u in read]
                        result = c.score_results(read, found)
                        _add(totals, veto, (*result.recall(), *result.false()))
                        if split == c.NEUTRAL:
                            _add(neutral, veto, result.false())
                    for suggest in SUGGESTS:
                        found = [c.families_found(u.text, language=u.language,
                                                  ruleset=u.ruleset, suggestions=True,
                                                  veto_at=VETO_AT, suggest_at=suggest)
                                 for u in read]
                        result = c.score_results(read, found)
                        _add(suggesting, suggest, (*result.recall(), *result.false()))
                        if split == c.NEUTRAL:
                            _add(plain_suggested, suggest, result.false())
                print(f"{split}{'' if half is None else f' (half {half})'}: model trained on "
                      f"{', '.join(others)}{'' if half is None else ' and its other half'}",
                      flush=True)
        for name, table, plain in (("VETO_AT", totals, neutral),
                                   (f"SUGGEST_AT (VETO_AT {VETO_AT}, findings and suggestions)",
                                    suggesting, plain_suggested)):
            print(f"{name}\n         recall          false (per 30)    of which in {c.NEUTRAL}")
            for at, (hit, abusive, false, lawful) in table.items():
                print(f"{at:7}  {hit}/{abusive} = {hit / abusive:.3f}  "
                      f"{false}/{lawful} ({30 * false / lawful:.2f})  "
                      + "/".join(map(str, plain.get(at, ()))))


class Promises:
    from logger.promises.text import resemblance as reader
    from tests.support import promise_corpus as corpus
    target = ROOT / "logger" / "promises" / "text" / reader.MODEL_FILE
    classes = reader.CLASSES
    swept = corpus.TRAINING

    @classmethod
    def examples(cls, splits) -> list[tuple[str, str, tuple[str, ...]]]:
        _refuse_held_out(splits, cls.corpus.HELD_OUT)
        return [(case.text, case.expect[0]["kind"] if case.expect else cls.reader.NONE,
                 cls.reader.marks(case.side))
                for split in splits for case in cls.corpus.load_split(split)]

    @classmethod
    def sweep(cls, left_out: list[str]) -> None:
        """Precision and recall on amount & due, and false suggestions on negatives, at each
        VETO_AT, each file read by a model trained on the others."""
        from logger.promises.text import suggest_promises
        pc = cls.corpus
        totals: dict[float, list[int]] = {}
        for split in left_out:
            others = [s for s in cls.reader.TRAINED_ON if s != split]
            cases = pc.load_split(split)
            with cls.reader.using(resemblance.train(cls.examples(others), cls.classes)):
                for veto in VETOES:
                    found = [pc.actual_rows(suggest_promises(c.text, at=c.at, side=c.side,
                                                             veto_at=veto),
                                            pc.expected_rows(c)) for c in cases]
                    f = pc.score(cases, found, ("amount", "due"))
                    _add(totals, veto, (f.tp, f.fp, f.fn, f.false_on_negatives, f.negatives))
            print(f"{split}: model trained on {', '.join(others)}", flush=True)
        print("VETO_AT  amount & due P / R    false on negatives (per 20)")
        for veto, (tp, fp, fn, false, negatives) in totals.items():
            print(f"{veto:7}  {tp / (tp + fp):.3f} / {tp / (tp + fn):.3f} ({tp} right)"
                  f"    {false}/{negatives} ({20 * false / negatives:.2f})")


def _refuse_held_out(splits, held_out: tuple[str, ...]) -> None:
    held = [split for split in splits if split in held_out]
    if held:
        raise SystemExit(f"{', '.join(held)} is held out: it is never trained on")


def _add(into: dict[float, list[int]], veto: float, counts) -> None:
    so_far = into.setdefault(veto, [0] * len(counts))
    for n, value in enumerate(counts):
        so_far[n] += value


READERS = {"conduct": Conduct, "promises": Promises}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reader", choices=READERS)
    parser.add_argument("--check", type=Path)
    parser.add_argument("--sweep", nargs="*")
    args = parser.parse_args()
    reader = READERS[args.reader]
    if args.sweep is not None:
        reader.sweep(args.sweep or list(reader.swept))
        return
    data = reader.examples(reader.reader.TRAINED_ON)
    if args.check:
        kept = resemblance.Model.from_bytes(args.check.read_bytes())
        same = kept.trained_on == resemblance.corpus_digest(data)
        print("same corpus" if same else "the corpus changed: train again")
        sys.exit(0 if same else 1)
    began = time.perf_counter()
    model = resemblance.train(data, reader.classes)
    print(f"trained on {len(data)} utterances, {len(model.index)} features, "
          f"{time.perf_counter() - began:.1f} s")
    model.save(reader.target)
    print(f"wrote {reader.target.relative_to(ROOT)} ({reader.target.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
