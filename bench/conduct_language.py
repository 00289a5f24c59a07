"""Conduct language figures: how much of what collectors say the conduct matching finds, and how
often it flags what a lawful collector says, on the conduct corpus (tests/conduct/corpus/: the
files the lexicons are tuned on and the resemblance model is trained on, and the held-out file
written apart from both), beside the conduct package of a baseline commit run on the same
utterances. The default baseline, 261d734, is the lexicons with the resemblance model calling
findings off, before it suggested anything (2a8cb40: the lexicons alone).

    .venv/bin/python bench/conduct_language.py [--baseline 261d734] [--no-baseline]
                                               [--show-held-out]

The working tree is shown twice: its findings (what counts without a person), and "+
suggestions", its findings with what it suggests (what the resemblance model read where no
pattern matched, shown apart and counted once a person confirms it). A baseline older than the
suggestions is its findings.

Figures per split, per language and per family:
  recall     utterances whose own family was found / utterances of that family (a finding of
             another family is a miss, not a hit)
  false      lawful utterances with any finding / lawful utterances, and that rate per 30
Then every miss and false finding (or suggestion) of the working tree on the last training file
(on the held-out split only with --show-held-out: reading them is the first step to tuning on
them).

Each side runs in its own process with only its own code importable (PYTHONPATH: the working
tree, or a `git archive` of the baseline in a temporary folder); both read the corpus and the
adapter (`families_found` in tests/support/conduct_corpus.py) from the working tree.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPPORT = ROOT / "tests" / "support" / "conduct_corpus.py"
BASELINE = "261d734"
SUGGESTING = "+ suggestions"


def corpus_module():
    """tests/support/conduct_corpus.py by its path: it imports nothing of the project until a
    finder runs, so the code found on sys.path is the side's own."""
    spec = importlib.util.spec_from_file_location("conduct_corpus", SUPPORT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["conduct_corpus"] = module
    spec.loader.exec_module(module)
    return module


def worker(code_root: str) -> None:
    """Prints, as JSON, the families found in each utterance of each split."""
    cc = corpus_module()
    import logger
    where = Path(logger.__file__).resolve()
    if not where.is_relative_to(Path(code_root).resolve()):
        sys.exit(f"logger was imported from {where}, not from {code_root}")
    out = {split: [[sorted(cc.families_found(u.text, language=u.language, ruleset=u.ruleset)),
                    sorted(cc.families_found(u.text, language=u.language, ruleset=u.ruleset,
                                             suggestions=True))]
                   for u in cc.load(split)] for split in cc.SPLITS}
    print(json.dumps(out))


def run_side(code_root: Path) -> tuple[dict[str, list[set[str]]], dict[str, list[set[str]]]]:
    """The families found in each utterance of each split: findings, and findings with
    suggestions."""
    env = {**os.environ, "PYTHONPATH": str(code_root), "PYTHONSAFEPATH": "1"}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                           str(code_root)], cwd=code_root, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the conduct code at {code_root} failed:\n{done.stderr[-3000:]}")
    read = json.loads(done.stdout).items()
    return ({split: [set(f) for f, _ in found] for split, found in read},
            {split: [set(f) | set(s) for f, s in found] for split, found in read})


def fraction(found: int, total: int) -> str:
    return f"{found}/{total} ({found / total:.0%})" if total else "-"


def report(cc, split: str, sides: dict[str, object]) -> None:
    names = list(sides)
    print(f"\n== {split} split ==")
    print(f"{'':24}" + "".join(f"{name:>22}" for name in names))
    for language in cc.LANGUAGES:
        print(f"[{language}]")
        for family in cc.FAMILIES:
            cells = [sides[n].recall(family, language) for n in names]
            if cells[0][1]:
                print(f"  {family:22}" + "".join(f"{fraction(*c):>22}" for c in cells))
        cells = [sides[n].recall(None, language) for n in names]
        print(f"  {'recall, all families':22}" + "".join(f"{fraction(*c):>22}" for c in cells))
        cells = [sides[n].false(language) for n in names]
        print(f"  {'false on lawful':22}"
              + "".join(f"{f'{a}/{b} ({cc.per_30(a, b):.1f}/30)':>22}" for a, b in cells))
    print("[both languages]")
    for family in cc.FAMILIES:
        cells = [sides[n].recall(family) for n in names]
        print(f"  {family:22}" + "".join(f"{fraction(*c):>22}" for c in cells))
    cells = [sides[n].recall() for n in names]
    print(f"  {'OVERALL recall':22}" + "".join(f"{fraction(*c):>22}" for c in cells))
    cells = [sides[n].false() for n in names]
    print(f"  {'false on lawful':22}"
          + "".join(f"{f'{a}/{b} ({cc.per_30(a, b):.1f}/30)':>22}" for a, b in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--show-held-out", action="store_true",
                        help="list the held-out split's misses (whoever has read them can no "
                             "longer tune without tuning on it)")
    parser.add_argument("--worker", metavar="CODE_ROOT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    cc = corpus_module()
    corpus = {split: cc.load(split) for split in cc.SPLITS}
    answers = {}
    try:
        answers["working tree"], answers[SUGGESTING] = run_side(ROOT)
    except RuntimeError as e:
        print(e, file=sys.stderr)
    if not args.no_baseline:
        from baseline import baseline_tree

        with tempfile.TemporaryDirectory() as tmp:
            answers[f"baseline {args.baseline}"] = run_side(baseline_tree(args.baseline,
                                                                          Path(tmp)))[0]
    for split in cc.SPLITS:
        print(f"{split}: {len(corpus[split])} utterances")
    scores = {split: {name: cc.score_results(corpus[split], found[split])
                      for name, found in answers.items()} for split in cc.SPLITS}
    for split in cc.SPLITS:
        report(cc, split, scores[split])
    if "working tree" not in answers:
        sys.exit("the working tree's conduct code did not run (above); baseline only")
    shown = cc.HELD_OUT if args.show_held_out else cc.TUNED[-1]
    result = scores[shown][SUGGESTING]
    print(f"\n== {shown} split, {SUGGESTING}: {len(result.misses)} misses ==")
    for u, found in result.misses:
        got = f" (found: {', '.join(sorted(found))})" if found else ""
        print(f"  [{u.family}/{u.language}/{u.form}] {u.text}{got}")
    print(f"\n== {shown} split, {SUGGESTING}: {len(result.false_findings)} false findings ==")
    for u, found in result.false_findings:
        print(f"  [{', '.join(sorted(found))}/{u.language}] {u.text}")

if __name__ == "__main__":
    main()
