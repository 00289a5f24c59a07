"""End-to-end figures on a real data dir: intake of ~1 GB through `ingest` (sniff, encrypt, hash,
metadata, custody, commit) and `liuhen verify` over the same 1 GB of blobs.

    .venv/bin/python bench/verify_throughput.py [--total-mb 1024] [--files 4]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from logger.accounts import add_user
from logger.config import load_config
from logger.intake.ingest import IncomingFile, ingest
from logger.negotiations import add_negotiation
from logger.services import Services

PASSPHRASE = "bench passphrase"


def write_text_file(path: Path, size: int) -> None:
    """Printable text (accepted at intake as text/plain), incompressible enough."""
    line = os.urandom(3000).hex()[:4095].encode() + b"\n"
    with open(path, "wb") as f:
        for _ in range(size // len(line)):
            f.write(line)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--total-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        tmp = Path(tmp)
        env = {"LIUHEN_DATA_DIR": str(tmp / "data"), "LIUHEN_PASSPHRASE": PASSPHRASE}
        config = load_config(env=env)
        sources = []
        for i in range(args.files):
            path = tmp / f"src-{i}.txt"
            write_text_file(path, args.total_mb * 1024 * 1024 // args.files)
            sources.append(path)
        total = sum(p.stat().st_size for p in sources)

        with Services.create(config, PASSPHRASE) as services, services.session() as session:
            owner = add_user(session, "bench", "bench-password")
            negotiation = add_negotiation(session, owner=owner, creditor="信用飞")
            started = time.perf_counter()
            for path in sources:
                with open(path, "rb") as stream:
                    ingest(session=session, blobs=services.blobs,
                           source=IncomingFile(stream, path.name), negotiation=negotiation,
                           actor=owner, max_bytes=config.intake.max_file_bytes,
                           tz=config.locale.zone)
            intake_s = time.perf_counter() - started
        for path in sources:
            path.unlink()

        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "logger", "verify"],
                                env={**os.environ, **env}, capture_output=True, text=True)
        verify_s = time.perf_counter() - started
        assert result.returncode == 0, result.stdout + result.stderr
        print(f"intake through ingest(): {total / 1e6:.0f} MB in {args.files} file(s), "
              f"{intake_s:.2f} s, {total / 1e6 / intake_s:.0f} MB/s")
        print(f"liuhen verify (whole command, incl. start-up and vault unlock): {verify_s:.2f} s, "
              f"{total / 1e6 / verify_s:.0f} MB/s")
        print(f"  verify said: {result.stderr.strip() or result.stdout.strip()}")


if __name__ == "__main__":
    main()
