"""Many small files through `liuhen import`, end to end, beside what storing them costs at the
least: reading, hashing, copying and fsyncing each file, measured on the same files in the same
run (issue 17, goal: at least 0.3 of the baseline's files per second).

    .venv/bin/python bench/file_import.py [--files 2000] [--size 2000]

The import runs as its own process (`python -m logger import ... --allow-many`), start-up
included, its bytecode written by a warm-up import of one file first (as an installed liuhen
has it); the files are text of about `--size` bytes, each different. Prints both rates, their
ratio, the import's CPU seconds and the load average."""

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import func, select  # noqa: E402

from logger.accounts import add_user  # noqa: E402
from logger.config import load_config  # noqa: E402
from logger.negotiations import add_negotiation  # noqa: E402
from logger.services import Services  # noqa: E402
from storage.models import Evidence  # noqa: E402

PASSPHRASE = "file import bench passphrase"
CHEAP = {"LIUHEN_VAULT_KDF_MEMORY_MIB": "8", "LIUHEN_VAULT_KDF_ITERATIONS": "1"}


def make_files(folder: Path, count: int, size: int) -> list[Path]:
    folder.mkdir()
    line = "还款记录：本月已还 1000 元，剩余 5000 元。Payment noted.\n"
    paths = []
    for number in range(count):
        path = folder / f"记录-{number:05d}.txt"
        path.write_text(f"{folder.name} {number}\n" + line * max(1, size // len(line.encode())))
        paths.append(path)
    return paths


def baseline(paths: list[Path], out: Path) -> float:
    """Seconds to read, hash, copy and fsync each file (one fsync per file)."""
    out.mkdir()
    started = time.perf_counter()
    for path in paths:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        with open(out / digest, "wb") as copy:
            copy.write(data)
            copy.flush()
            os.fsync(copy.fileno())
    return time.perf_counter() - started


def run_import(paths: list[Path], env: dict, negotiation_id: int) -> tuple[float, float]:
    """Seconds `liuhen import` takes in a process of its own, start-up included, and the CPU
    seconds it used."""
    command = [sys.executable, "-m", "logger", "import", "--negotiation", str(negotiation_id),
               "--allow-many", *map(str, paths)]
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"liuhen import failed:\n{done.stderr[-2000:]}")
    return elapsed, _children_cpu() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_files(root / "in", args.files, args.size)
        data = root / "data"
        config = load_config(env={"LIUHEN_DATA_DIR": str(data), **CHEAP})
        with Services.create(config, PASSPHRASE) as services, services.session() as session:
            owner = add_user(session, "bench", "bench-password")
            negotiation_id = add_negotiation(session, owner=owner, creditor="信用飞").id
        # Bytecode written once, by a warm-up import of one other file, and read after, as an
        # installed liuhen has it (even where PYTHONDONTWRITEBYTECODE is set); kept apart from
        # the code.
        env = {**{k: v for k, v in os.environ.items()
                  if not k.startswith("LIUHEN_") and k != "PYTHONDONTWRITEBYTECODE"},
               "LIUHEN_DATA_DIR": str(data), "LIUHEN_PASSPHRASE": PASSPHRASE, **CHEAP,
               "PYTHONPYCACHEPREFIX": str(root / "bytecode")}
        run_import(make_files(root / "warm-up", 1, args.size), env, negotiation_id)
        base_s = baseline(paths, root / "copies")
        import_s, cpu_s = run_import(paths, env, negotiation_id)
        with Services.open(config, PASSPHRASE) as services, services.session() as session:
            items = session.exec(select(func.count(Evidence.id))).one() - 1  # the warm-up's
    base_rate, rate = args.files / base_s, args.files / import_s
    print(f"{args.files} files of about {args.size} bytes; {items} items stored")
    print(f"hash + copy + fsync baseline: {base_rate:.0f} files/s")
    print(f"liuhen import, end to end:    {rate:.0f} files/s "
          f"({rate / base_rate:.2f} of the baseline; goal 0.3)")
    print(f"CPU of the import: {cpu_s:.2f} s, {cpu_s / args.files * 1000:.2f} ms per file "
          "(start-up included; what the load does not change)")
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
