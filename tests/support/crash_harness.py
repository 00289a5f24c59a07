"""Kill `liuhen import` with SIGKILL at random moments (each round two imports, one after the
other), then check what is left.

Used by tests/test_crash.py (50 rounds) and bench/crash_import.py (as many as asked)."""

from __future__ import annotations

import os
import random
import shlex
import signal
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CrashStats:
    rounds: int = 0
    killed: int = 0
    finished: int = 0
    stored_after: list[int] = field(default_factory=list)   # evidence count after each round
    full_run_s: float = 0.0


def make_files(folder: Path, rng: random.Random, count: int) -> list[Path]:
    """Fresh text files (so nothing is a duplicate of an earlier round), 20 KB to 2 MB."""
    folder.mkdir(parents=True)
    paths = []
    alphabet = (string.ascii_letters + string.digits + " \n").encode()
    for i in range(count):
        size = rng.randint(20_000, 2_000_000)
        line = bytes(rng.choice(alphabet) for _ in range(997)) + b"\n"
        body = f"round file {folder.name}-{i} {rng.random()}\n".encode() + line * (size // 998)
        path = folder / f"note-{i}.txt"
        path.write_bytes(body)
        paths.append(path)
    return paths


def import_command(paths: list[Path], negotiation_id: int) -> list[str]:
    """One `liuhen import` of `paths` (one batch: one commit, at its end), then another of the
    rest: a commit lands halfway, so a kill at a random moment finds committed items to keep
    about half the time, not only in the moment between the one commit and the exit."""
    half = len(paths) // 2
    imports = [[sys.executable, "-m", "logger", "import", "--negotiation", str(negotiation_id),
                *map(str, part)] for part in (paths[:half], paths[half:]) if part]
    return ["sh", "-c", " && ".join(shlex.join(command) for command in imports)]


def crash_rounds(*, workdir: Path, env: dict[str, str], negotiation_id: int, rounds: int,
                 seed: int, files_per_round: int = 8, count_items=None) -> CrashStats:
    """Run `rounds` imports, each killed after a random delay between 0 and the time a full
    import takes (measured first, uncut). `count_items()` is called after each kill and must
    open the database (so a kill that left it unopenable fails right there)."""
    rng = random.Random(seed)
    stats = CrashStats()
    started = time.monotonic()
    full = subprocess.run(import_command(make_files(workdir / "calibrate", rng, files_per_round),
                                         negotiation_id),
                          env=env, capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    stats.full_run_s = time.monotonic() - started

    for round_no in range(rounds):
        paths = make_files(workdir / f"round-{round_no}", rng, files_per_round)
        proc = subprocess.Popen(import_command(paths, negotiation_id), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        time.sleep(rng.uniform(0, stats.full_run_s))
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # the shell and the import it runs
        except ProcessLookupError:
            pass   # both imports were done

        code = proc.wait()
        stats.rounds += 1
        if code == -signal.SIGKILL:
            stats.killed += 1
        else:
            stats.finished += 1
        if count_items is not None:
            stats.stored_after.append(count_items())
        for path in paths:
            path.unlink()
    return stats


def base_env(data_dir: Path, passphrase: str, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIUHEN_")}
    return {**env, "LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_PASSPHRASE": passphrase, **extra}
