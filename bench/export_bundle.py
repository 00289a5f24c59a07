"""Figures for evidence bundles: exporting ~1 GB of originals (call recordings) as a bundle,
against `zip -0` of the same plaintext files, and the process's memory while it runs.

    .venv/bin/python bench/export_bundle.py [--total-mb 1024] [--files 8] [--rounds 2]
                                            [--dir FOLDER]   (default: the current folder;
                                                              /dev/shm takes the disk out)

Both runs read warm files (the originals were just written, the blobs just stored). The bundle
decrypts every blob, hashes it (SHA-256, compared with the hash taken at intake) and stores it
in the ZIP; `zip -0` reads, checksums (CRC-32) and stores. Memory is the resident set size
sampled every 10 ms: before the export, and its peak during an export of an eighth of the files
and of all of them (flat: the peak does not grow with the bundle).
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from logger.accounts import add_user
from logger.bundles.build import BundleRequest, build_bundle
from logger.bundles.items import BundleGroup, BundlePurpose
from logger.bundles.pdf import cjk_font
from logger.config import load_config
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import add_negotiation
from logger.services import Services
from storage.models import Direction

PASSPHRASE = "bench passphrase"


def write_wav(path: Path, size: int) -> None:
    """A 16 kHz mono PCM WAV of random samples: as incompressible as a real recording."""
    data_size = size - 44
    header = (b"RIFF" + struct.pack("<I", 36 + data_size) + b"WAVEfmt "
              + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
              + b"data" + struct.pack("<I", data_size))
    with open(path, "wb") as f:
        f.write(header)
        left = data_size
        while left:
            block = os.urandom(min(left, 8 << 20))
            f.write(block)
            left -= len(block)


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """The highest resident set size seen while the block runs."""

    def __enter__(self):
        self.peak, self._stop = rss_mib(), threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def export(services, session, negotiation, owner, items, out: Path, purpose: str):
    request = BundleRequest(negotiation=negotiation, purpose=BundlePurpose(purpose),
                            language="zh", party="张三",
                            groups=[BundleGroup("证明双方协商还款的通话内容", [i.id for i in items])])
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    with PeakRss() as memory:
        build_bundle(session=session, services=services, request=request, out=out, actor=owner)
    return time.perf_counter() - started, memory.peak


def zip_store(sources: list[Path], out: Path) -> float:
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(["zip", "-0", "-q", "-j", str(out), *map(str, sources)], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--total-mb", type=int, default=1024)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=Path.cwd(),
                        help="where the data dir, the originals and the ZIPs are written")
    args = parser.parse_args()
    if shutil.which("zip") is None:
        sys.exit("bench: the zip program is missing (apt-get install zip)")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        tmp = Path(tmp)
        config = load_config(env={"LIUHEN_DATA_DIR": str(tmp / "data")})
        sources = []
        for i in range(args.files):
            path = tmp / f"通话录音 1380013800{i} 2024120{i % 9 + 1}_153012.wav"
            write_wav(path, args.total_mb * 1024 * 1024 // args.files)
            sources.append(path)
        total = sum(p.stat().st_size for p in sources)
        with Services.create(config, PASSPHRASE) as services, services.session() as session:
            owner = add_user(session, "bench", "bench-password")
            negotiation = add_negotiation(session, owner=owner, creditor="信用飞")
            items = []
            for path in sources:
                with open(path, "rb") as stream:
                    items.append(ingest(
                        session=session, blobs=services.blobs,
                        source=IncomingFile(stream, path.name), negotiation=negotiation,
                        actor=owner, max_bytes=config.intake.max_file_bytes,
                        tz=config.locale.zone,
                        details=EvidenceDetails(direction=Direction.from_them)))
            cjk_font()  # once per process, whatever the size: not part of the figures
            before = rss_mib()
            _, small_peak = export(services, session, negotiation, owner,
                                   items[:max(1, len(items) // 8)], tmp / "small.zip", "backup")
            timings: dict[str, list[float]] = {"backup": [], "court": [], "zip": []}
            peaks = []
            for _ in range(args.rounds):
                for purpose in ("backup", "court"):
                    seconds, peak = export(services, session, negotiation, owner, items,
                                           tmp / "bundle.zip", purpose)
                    timings[purpose].append(seconds)
                    peaks.append(peak)
                timings["zip"].append(zip_store(sources, tmp / "plain.zip"))
        zip_s = min(timings["zip"])
        print(f"originals: {len(sources)} files, {total / 2**20:.0f} MiB "
              f"(machine: {os.cpu_count()} cores)")
        print(f"zip -0 of the plaintext files: {zip_s:.2f} s ({total / 2**20 / zip_s:.0f} MiB/s)")
        for purpose in ("backup", "court"):
            best = min(timings[purpose])
            print(f"bundle ({purpose}): {best:.2f} s ({total / 2**20 / best:.0f} MiB/s), "
                  f"ratio to zip -0: {best / zip_s:.2f} (runs: "
                  + ", ".join(f"{t:.2f}" for t in timings[purpose]) + ")")
        print(f"resident memory: {before:.0f} MiB before; peak {small_peak:.0f} MiB exporting "
              f"{total / 8 / 2**20:.0f} MiB, {max(peaks):.0f} MiB exporting "
              f"{total / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
