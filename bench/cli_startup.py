"""`liuhen` start-up: the wall time of a fresh process, p50 of N runs, for the working tree and
for an older commit's code, beside the interpreter's own start and the imports every database
command needs, all in this run.

    .venv/bin/python bench/cli_startup.py [--runs 15] [--help-runs 3] [--items 20]
        [--baseline d0dc489] [--no-baseline] [--cheap-kdf]

Goal (issue 17): a command that does not need the web starts in under 0.5 s, its `--help` too.
`liuhen --help` is the start-up alone; `<command> --help` adds the command's own module, for
every command (p50 over the commands and the slowest); `jobs list` and `search x` also unlock a
small data dir (`--items` notes, with the production key derivation unless --cheap-kdf) and
read it, each split into start (to the vault's key derivation: interpreter, imports, config),
unlock (the key derivation, deliberate work) and the rest (database, query, output). The
`from storage.models import Evidence` line (the libraries and the core tables) is the floor of
every database command. Runs alternate between the
two codes, so a load that comes and goes weighs on both; compare the ratios. The CPU seconds
(user + system) of the helps and the starts are printed too: on a loaded machine they are
nearer than the wall time to what an idle one takes. Every process reads its bytecode from a
cache the warm-up wrote: PYTHONDONTWRITEBYTECODE, where set, would have each run compile the
project's modules again (some 40 ms of CPU for `jobs list`, which an installed liuhen spares)."""

from __future__ import annotations

import argparse
import os
import resource
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
FLOOR = "python -c 'from storage.models import Evidence'"  # what every database command imports
PYTHON_ONLY = {"python -c pass": ["-c", "pass"], "python -c 'import click'": ["-c", "import click"],
               FLOOR: ["-c", "from storage.models import Evidence"]}
LIUHEN = {"liuhen --help": ["--help"], "liuhen jobs --help": ["jobs", "--help"],
          "liuhen jobs list": ["jobs", "list"]}
SPLIT = {"jobs list": ["jobs", "list"], "search x": ["search", "x"]}
PHASES = ("start", "unlock", "work")

# `liuhen ARGS`, printing on stderr, last, when the vault's unlock (its key derivation) began
# and ended. Importing storage.vault first moves no import past the unlock: the command needs
# it to unlock.
RUN_TIMED = """
import sys, time
from storage.vault import Vault
unlock = Vault.unlock.__func__

def timed(cls, *args, **kwargs):
    began, cpu = time.time(), time.process_time()
    try:
        return unlock(cls, *args, **kwargs)
    finally:
        print(f"unlock {began!r} {time.time()!r} {cpu!r}", file=sys.stderr)

Vault.unlock = classmethod(timed)
sys.argv = ["liuhen", *sys.argv[1:]]
from logger.cli.main import main
main()
"""


class Side:
    """One code tree: the working tree, or a baseline unpacked first on PYTHONPATH; each with a
    data dir of its own, created by its own code (a baseline may not read a newer schema)."""

    def __init__(self, name: str, code: Path | None, data_dir: Path, cheap_kdf: bool) -> None:
        self.name = name
        self.cwd = data_dir.parent
        # Bytecode written once (the warm-up) and read after, as an installed liuhen has it,
        # even where PYTHONDONTWRITEBYTECODE is set; kept apart from the code, one cache a side.
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env = {**environment, **(CHEAP if cheap_kdf else {}),
                    "LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_PASSPHRASE": PASSPHRASE,
                    "LIUHEN_PASSWORD": "bench-password",
                    "PYTHONPYCACHEPREFIX": str(self.cwd / "bytecode")}
        if code is not None:
            self.env["PYTHONPATH"] = str(code)

    def run(self, args: list[str]) -> float:
        """Seconds `python ARGS` took, start to exit."""
        return self.timed(args)[0]

    def timed(self, args: list[str]) -> tuple[float, float]:
        """Wall and CPU (user + system) seconds `python ARGS` took."""
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], env=self.env, cwd=self.cwd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (cpu_after.ru_utime - cpu_before.ru_utime
                      + cpu_after.ru_stime - cpu_before.ru_stime)

    def liuhen(self, args: list[str]) -> float:
        return self.run(["-m", "logger", *args])

    def phases(self, args: list[str]) -> dict[str, float]:
        """`liuhen ARGS` split: seconds to the unlock, of the unlock, and after it to exit;
        and the CPU seconds to the unlock ("start CPU")."""
        began = time.time()
        done = subprocess.run([sys.executable, "-c", RUN_TIMED, *args], env=self.env,
                              cwd=self.cwd, check=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        ended = time.time()
        _, unlock_began, unlock_ended, cpu = done.stderr.splitlines()[-1].split()
        return {"start": float(unlock_began) - began,
                "unlock": float(unlock_ended) - float(unlock_began),
                "work": ended - float(unlock_ended), "start CPU": float(cpu)}

    def fill(self, items: int) -> None:
        """The small data dir the read commands read: an account, a negotiation, `items`
        notes (each queues a text job)."""
        self.liuhen(["init"])
        self.liuhen(["user", "add", "owner"])
        self.liuhen(["negotiation", "add", "--creditor", "bench"])
        notes = self.cwd / "notes"
        notes.mkdir()
        for number in range(items):
            (notes / f"note-{number}.txt").write_text(f"还款记录 {number}: x\n", encoding="utf-8")
        if items:
            self.liuhen(["import", "--negotiation", "1", "--allow-many",
                         *map(str, sorted(notes.iterdir()))])


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
            for label, args in SPLIT.items():
                for phase, seconds in side.phases(args).items():
                    times.setdefault(f"{label}: {phase}", {}).setdefault(
                        side.name, []).append(seconds)
    return {label: {name: p50(found) for name, found in by_side.items()}
            for label, by_side in times.items()}


def measure_helps(sides: list[Side], commands: list[str], runs: int
                  ) -> dict[str, dict[str, dict[str, float]]]:
    """p50 wall and CPU seconds of `liuhen COMMAND --help`, per kind ("wall", "CPU"), side and
    command."""
    times: dict[str, dict[str, dict[str, list[float]]]] = {"wall": {}, "CPU": {}}
    for _ in range(runs):
        for command in commands:
            for side in sides:
                wall, cpu = side.timed(["-m", "logger", command, "--help"])
                times["wall"].setdefault(side.name, {}).setdefault(command, []).append(wall)
                times["CPU"].setdefault(side.name, {}).setdefault(command, []).append(cpu)
    return {kind: {name: {command: p50(found) for command, found in by_command.items()}
                   for name, by_command in by_side.items()}
            for kind, by_side in times.items()}


def line(label: str, by_side: dict[str, float], baseline_name: str | None) -> str:
    text = f"{label:<44}{by_side['working tree']:>14.3f}"
    if baseline_name:
        ratio = by_side[baseline_name] / by_side["working tree"]
        text += f"{by_side[baseline_name]:>18.3f}  ({ratio:.1f}x)"
    return text


def report(figures: dict[str, dict[str, float]], helps: dict[str, dict[str, dict[str, float]]],
           baseline_name: str | None) -> None:
    print(f"{'p50 wall, s':<44}{'working tree':>14}" + (f"{baseline_name:>18}" if baseline_name
                                                         else ""))
    for label, by_side in figures.items():
        if label.endswith("start CPU"):
            continue
        if "" in by_side:
            print(f"{label:<44}{by_side['']:>14.3f}")
        else:
            print(line(label, by_side, baseline_name))
    for label in SPLIT:
        total = {name: sum(figures[f"{label}: {phase}"][name] for phase in PHASES)
                 for name in figures[f"{label}: start"]}
        print(line(f"{label}: start+unlock+work", total, baseline_name))
    for kind, by_side in helps.items():
        suffix = "" if kind == "wall" else ", CPU"
        print(line(f"<command> --help, p50 over commands{suffix}",
                   {name: p50(list(by_command.values())) for name, by_command in by_side.items()},
                   baseline_name))
        print(line(f"<command> --help, slowest{suffix}",
                   {name: max(by_command.values()) for name, by_command in by_side.items()},
                   baseline_name))
    for label in SPLIT:
        print(line(f"{label}: start CPU", figures[f"{label}: start CPU"], baseline_name))
    tree = helps["wall"]["working tree"]
    slow = sorted((seconds, command) for command, seconds in tree.items() if seconds >= GOAL_S)
    print("working tree's helps at or over the goal: "
          + (", ".join(f"{command} {seconds:.3f}" for seconds, command in slow) or "none"))
    starts = {label: figures[f"{label}: start"]["working tree"] for label in SPLIT}
    met = max(tree.values()) < GOAL_S and max(starts.values()) < GOAL_S
    print(f"goal: every `<command> --help` and every start (to the key derivation) under "
          f"{GOAL_S} s: {'met' if met else 'NOT met'} (slowest help "
          f"{max(tree.values()):.3f} s; starts "
          + ", ".join(f"{label} {seconds:.3f} s" for label, seconds in starts.items())
          + f"; CPU: slowest help {max(helps['CPU']['working tree'].values()):.3f} s, starts "
          + ", ".join(f"{label} {figures[f'{label}: start CPU']['working tree']:.3f} s"
                      for label in SPLIT)
          + f"); a database command's floor, `from storage.models import Evidence`: "
          f"{figures[FLOOR]['']:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per figure (p50 of them)")
    parser.add_argument("--help-runs", type=int, default=3,
                        help="runs of each command's --help (p50 of them)")
    parser.add_argument("--items", type=int, default=20, help="notes in the data dir read")
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--cheap-kdf", action="store_true",
                        help="a cheap key derivation (8 MiB, 1 pass) instead of the default")
    args = parser.parse_args()
    if args.runs < 1 or args.help_runs < 1:
        parser.error("--runs and --help-runs must be at least 1")
    if args.items < 0:
        parser.error("--items cannot be negative")
    print(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    sys.path.insert(0, str(ROOT))
    from logger.cli.main import COMMANDS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sides = [Side("working tree", None, folder / "tree" / "data", args.cheap_kdf)]
        if not args.no_baseline:
            sys.path.insert(0, str(ROOT / "bench"))
            from baseline import baseline_tree
            code = baseline_tree(args.baseline, folder / "code", ("logger", "storage", "web"))
            sides.append(Side(f"baseline {args.baseline}", code, folder / "base" / "data",
                              args.cheap_kdf))
        for side in sides:
            side.cwd.mkdir(parents=True)
            side.fill(args.items)
            for command in [*LIUHEN.values(), *SPLIT.values(),
                            *([name, "--help"] for name in sorted(COMMANDS))]:  # warm-up
                side.liuhen(command)
            side.run(PYTHON_ONLY[FLOOR])
        helps = measure_helps(sides, sorted(COMMANDS), args.help_runs)
        figures = measure(sides, args.runs)
    report(figures, helps, sides[1].name if len(sides) > 1 else None)
    print(f"load average at end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
