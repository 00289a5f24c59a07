"""Promise suggestion figures on the tuning corpus (tests/promises/data/promise_corpus.toml) and
on the measurement corpus (tests/promises/corpus/: dev, dev2, dev3 and dev4, tuned on; train_a
..train_d, the resemblance model's training text, later tuned on too; test, test2,
test3 and test4, held out), beside the extractor of a baseline commit run on the same
utterances in the same run.

    .venv/bin/python bench/promise_extraction.py [--held-out] [--baseline 4188b3f]
        [--no-baseline] [--repeat 5] [--misses dev|dev2|dev3|dev4|train_a..train_e|old]

The held-out files are scored only with --held-out: run it at the end of a piece of work, not
while tuning.

Per corpus and per language, for each side:
  amount & due   precision and recall of suggestions whose amount and due date both match an
                 expected one (multisets per utterance; a due is a date, or a date and hour)
  who & kind     the same on who and kind
  false/neg      suggestions made on negatives (utterances expecting none), per negative
  utt/s          utterances per second through `suggest_promises`, one process
`--misses` lists the working tree's misses on dev or on the tuning corpus; the held-out half's
are never printed (whoever reads them can no longer tune without tuning on them).

Each side runs in its own process with only its own code importable (PYTHONPATH: the working
tree, or a `git archive` of the baseline's logger/ and storage/ in a temporary folder); both read
the corpora and tests/support/promise_corpus.py from the working tree.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = ROOT / "tests" / "support" / "promise_corpus.py"

# The extractor before issue 15 (rules fitted to tests/promises/data/promise_corpus.toml).
BASELINE = "4188b3f"


def corpus_module():
    """tests/support/promise_corpus.py by its path (it imports nothing of the project)."""
    spec = importlib.util.spec_from_file_location("promise_corpus", SUPPORT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["promise_corpus"] = module
    spec.loader.exec_module(module)
    return module


def corpora(pc, held_out: bool) -> dict[str, list]:
    found = {"old": pc.load_cases(pc.CORPUS)}
    for name, path in pc.SPLITS.items():
        if path.exists() and (held_out or name not in pc.HELD_OUT):
            found[name] = pc.load_cases(path)
    return found


def worker(code_root: str, repeat: int, held_out: bool) -> None:
    """Prints, as JSON, each corpus's suggestions as rows, and utterances per second."""
    pc = corpus_module()
    import logger
    where = Path(logger.__file__).resolve()
    if not where.is_relative_to(Path(code_root).resolve()):
        sys.exit(f"logger was imported from {where}, not from {code_root}")
    from logger.promises.text import suggest_promises
    out: dict = {"rows": {}, "speed": {}}
    for name, cases in corpora(pc, held_out).items():
        out["rows"][name] = [pc.actual_rows(suggest_promises(c.text, at=c.at, side=c.side),
                                            pc.expected_rows(c)) for c in cases]
        elapsed = 0.0
        for _ in range(repeat):
            clear_caches()  # each pass reads every utterance afresh, as a new text would be
            started = time.perf_counter()
            for c in cases:
                suggest_promises(c.text, at=c.at, side=c.side)
            elapsed += time.perf_counter() - started
        out["speed"][name] = len(cases) * repeat / elapsed
    print(json.dumps(out))


def clear_caches() -> None:
    """Empty the extractor's memoised readings (functools caches), so a timed pass does not
    reuse what the pass before it read."""
    for name, module in list(sys.modules.items()):
        if name.startswith("logger.promises"):
            for value in vars(module).values():
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def run_side(code_root: Path, repeat: int, held_out: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_root), "PYTHONSAFEPATH": "1"}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                           str(code_root), "--repeat", str(repeat)]
                          + (["--held-out"] if held_out else []), cwd=code_root, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the extractor at {code_root} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def report(pc, name: str, cases: list, sides: dict[str, dict]) -> None:
    negatives = sum(not c.expect for c in cases)
    print(f"\n== {name}: {len(cases)} utterances, {negatives} negatives ==")
    print(f"{'':26}" + "".join(f"{side:>30}" for side in sides))
    for language in (*pc.LANGUAGES, None):
        subset = [c for c in cases if language is None or c.language == language]
        print(f"[{language or 'both'}: {len(subset)}]")
        for label, keys in pc.PAIRS.items():
            cells = []
            for answer in sides.values():
                f = pc.score(cases, answer["rows"][name], keys, language)
                cells.append(f"P {f.precision:.3f} R {f.recall:.3f}")
            print(f"  {label:24}" + "".join(f"{c:>30}" for c in cells))
        cells = []
        for answer in sides.values():
            f = pc.score(cases, answer["rows"][name], ("who",), language)
            cells.append(f"{f.false_on_negatives}/{f.negatives} = "
                         f"{f.false_per_negative * 20:.1f} per 20")
        print(f"  {'false on negatives':24}" + "".join(f"{c:>30}" for c in cells))
    print(f"  {'utterances/s':24}"
          + "".join(f"{a['speed'][name]:>30.0f}" for a in sides.values()))


def main() -> None:
    pc = corpus_module()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="passes over a corpus for speed")
    parser.add_argument("--misses", choices=("old", *(n for n in pc.SPLITS if n not in pc.HELD_OUT)),
                        help="list the working tree's misses on this corpus")
    parser.add_argument("--held-out", action="store_true",
                        help="also score the held-out files (test, test2 ... test6); "
                             "figures only")
    parser.add_argument("--worker", metavar="CODE_ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeat, args.held_out)
        return
    cases = corpora(pc, args.held_out)
    sides = {"working tree": run_side(ROOT, args.repeat, args.held_out)}
    if not args.no_baseline:
        from baseline import baseline_tree
        with tempfile.TemporaryDirectory() as tmp:
            sides[f"baseline {args.baseline}"] = run_side(
                baseline_tree(args.baseline, Path(tmp)), args.repeat, args.held_out)
    for name in cases:
        report(pc, name, cases[name], sides)
    if args.misses:
        rows = sides["working tree"]["rows"][args.misses]
        for case, found in zip(cases[args.misses], rows):
            expected = pc.expected_rows(case)
            keys = ("who", "kind", "amount", "due")
            if sorted(map(lambda r: repr(pc.pair_key(r, keys)), expected)) != \
                    sorted(map(lambda r: repr(pc.pair_key(r, keys)), found)):
                print(f"\nMISS [{case.side or '-'} {case.at:%m-%d %a}] {case.text}\n"
                      f"  expected {[pc.pair_key(r, keys) for r in expected]}\n"
                      f"  got      {[pc.pair_key(r, keys) for r in found]}")


if __name__ == "__main__":
    main()
