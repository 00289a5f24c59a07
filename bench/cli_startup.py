"""`liuhen` start-up: the wall time of a fresh process, p50 of N runs, for the working tree and
for an older commit's code (the commands were all imported at start then), beside the
interpreter's own start and the imports every database command needs, all in this run.

    .venv/bin/python bench/cli_startup.py [--runs 15] [--baseline d0dc489] [--no-baseline]

Goal (issue 17): a command that does not need the web starts in under 0.5 s. `liuhen --help`
is the start-up alone; `jobs --help` adds the command's own module, which needs the database
layer (the `import storage.models` line is that floor); `jobs list` also unlocks a small data
dir (a cheap key derivation) and reads it. Runs alternate between the two codes, so a load
that comes and goes weighs on both; compare the ratios."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "d0dc489"  # the last commit that imported every command at start
GOAL_S = 0.5
PASSPHRASE = "cli startup bench passphrase"
CHEAP = {"LIUHEN_VAULT_KDF_MEMORY_MIB": "8", "LIUHEN_VAULT_KDF_ITERATIONS": "1"}
FLOOR = "python -c 'import storage.models'"  # what every database command imports
PYTHON_ONLY = {"python -c pass": ["-c", "pass"], "python -c 'import click'": ["-c", "import click"],
               FLOOR: ["-c", "import storage.models"]}
LIUHEN = {"liuhen --help": ["--help"], "liuhen jobs --help": ["jobs", "--help"],
          "liuhen jobs list": ["jobs", "list"]}


class Side:
    """One code tree: the working tree, or a baseline unpacked first on PYTHONPATH; each with a
    data dir of its own, created by its own code (a baseline may not read a newer schema)."""

    def __init__(self, name: str, code: Path | None, data_dir: Path) -> None:
        self.name = name
        self.env = {**os.environ, **CHEAP, "LIUHEN_DATA_DIR": str(data_dir),
                    "LIUHEN_PASSPHRASE": PASSPHRASE, "LIUHEN_PASSWORD": "bench-password"}
        if code is not None:
            self.env["PYTHONPATH"] = str(code)
        self.cwd = data_dir.parent

    def run(self, args: list[str]) -> float:
        """Seconds `python ARGS` took, start to exit."""
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], env=self.env, cwd=self.cwd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return time.perf_counter() - started

    def liuhen(self, args: list[str]) -> float:
        return self.run(["-m", "logger", *args])


def p50(times: list[float]) -> float:
    return statistics.median(times)


def measure(sides: list[Side], runs: int) -> dict[str, dict[str, float]]:
    """p50 seconds per figure and side; the sides take turns within each run."""
    times: dict[str, dict[str, list[float]]] = {}
    for _ in range(runs):
        for label, args in PYTHON_ONLY.items():
            times.setdefault(label, {}).setdefault("", []).append(sides[0].run(args))
        for side in sides:
            for label, args in LIUHEN.items():
                times.setdefault(label, {}).setdefault(side.name, []).append(side.liuhen(args))
    return {label: {name: p50(found) for name, found in by_side.items()}
            for label, by_side in times.items()}


def report(figures: dict[str, dict[str, float]], baseline_name: str | None) -> None:
    print(f"{'p50 wall, s':<36}{'working tree':>14}" + (f"{baseline_name:>18}" if baseline_name
                                                         else ""))
    for label, by_side in figures.items():
        if "" in by_side:
            print(f"{label:<36}{by_side['']:>14.3f}")
            continue
        line = f"{label:<36}{by_side['working tree']:>14.3f}"
        if baseline_name:
            ratio = by_side[baseline_name] / by_side["working tree"]
            line += f"{by_side[baseline_name]:>18.3f}  ({ratio:.1f}x)"
        print(line)
    helped = figures["liuhen --help"]["working tree"]
    verdict = "met" if helped < GOAL_S else "NOT met"
    print(f"goal: `liuhen --help` under {GOAL_S} s: {verdict} ({helped:.3f} s); a database "
          f"command's floor, `import storage.models`: {figures[FLOOR]['']:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per figure (p50 of them)")
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    print(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sides = [Side("working tree", None, folder / "tree" / "data")]
        if not args.no_baseline:
            sys.path.insert(0, str(ROOT / "bench"))
            from baseline import baseline_tree
            code = baseline_tree(args.baseline, folder / "code", ("logger", "storage", "web"))
            sides.append(Side(f"baseline {args.baseline}", code, folder / "base" / "data"))
        for side in sides:
            side.cwd.mkdir(parents=True)
            side.liuhen(["init"])
            for command in LIUHEN.values():  # warm-up: compiles the baseline's bytecode
                side.liuhen(command)
        figures = measure(sides, args.runs)
    report(figures, sides[1].name if len(sides) > 1 else None)
    print(f"load average at end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
