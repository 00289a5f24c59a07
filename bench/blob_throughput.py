"""Blob store throughput against plain SHA-256, and the memory it takes.

    .venv/bin/python bench/blob_throughput.py [--size-mb 1024] [--repeat 3] [--dir DIR]

Creates a random file of --size-mb MiB under a temp dir (in --dir), then, --repeat times:
  (a) hashlib.sha256 alone, reading the file in the same block size the store uses;
  (b) BlobStore.write of the file (read, hash, encrypt, write, fsync, rename);
  (c) BlobStore.digest of that blob (read, decrypt + authenticate, hash: what `verify` does).
Prints MB/s (10**6 bytes per second) for each, the ratio (b)/(a) per run and of the medians,
and the peak RSS of each phase above the idle process.

Memory is measured two ways: the kernel's high-water mark VmHWM from /proc/self/status, reset
before each phase by writing "5" to /proc/self/clear_refs (exact; Linux >= 4.0), and a thread
sampling VmRSS every millisecond (a cross-check, may miss short peaks). The idle figure is
VmRSS after the imports, before the test file is made (so anything the process keeps from
making the file counts against the phases: a conservative figure).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

from storage.blobs.store import BLOCK_SIZE, BlobStore  # noqa: E402

MB = 1_000_000


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class RssSampler:
    def __init__(self, interval: float = 0.001):
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, status_kib("VmRSS"))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak_kib = status_kib("VmRSS")
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, status_kib("VmRSS"))


def make_random_file(path: Path, size: int) -> None:
    """Pseudo-random bytes (AES-256-CTR keystream from a random key), written 4 MiB at a time."""
    enc = Cipher(algorithms.AES(os.urandom(32)), modes.CTR(os.urandom(16))).encryptor()
    zeros = bytes(4 << 20)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, len(zeros))
            f.write(enc.update(zeros[:n]))
            left -= n
        f.flush()
        os.fsync(f.fileno())  # so its writeback does not overlap the first measured run


def sha_only(path: Path) -> str:
    h = hashlib.sha256()
    buf = memoryview(bytearray(BLOCK_SIZE))
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(buf[:n])
    return h.hexdigest()


def measure(fn, hwm_ok: bool) -> tuple[float, object, int, int]:
    """(seconds, result, peak VmHWM KiB, peak sampled VmRSS KiB)."""
    gc.collect()
    if hwm_ok:
        reset_hwm()
    with RssSampler() as sampler:
        t0 = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - t0
    hwm = status_kib("VmHWM") if hwm_ok else 0
    return seconds, result, hwm, sampler.peak_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB (1024)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each phase (3)")
    parser.add_argument("--dir", default=None, help="where to put the temp dir")
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    gc.collect()
    idle_kib = status_kib("VmRSS")  # after the imports, before anything is allocated

    with tempfile.TemporaryDirectory(prefix="liuhen-bench-", dir=args.dir) as tmp:
        src = Path(tmp) / "input.bin"
        make_random_file(src, size)
        store = BlobStore(Path(tmp) / "blobs", os.urandom(32))
        sha_only(src)  # warm the page cache and the code paths
        hwm_ok = reset_hwm()

        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, file {size / MB:.0f} MB "
              f"({args.size_mb} MiB) in {tmp}, block {BLOCK_SIZE // 1024} KiB")
        print(f"idle VmRSS {idle_kib / 1024:.1f} MiB; peak memory measured as "
              + ("VmHWM reset per phase via /proc/self/clear_refs, cross-checked by "
                 if hwm_ok else "(clear_refs unavailable) ")
              + "1 ms VmRSS sampling")
        rows: dict[str, list[float]] = {"a": [], "b": [], "c": []}
        peaks: dict[str, list[int]] = {"a": [], "b": [], "c": []}
        blob_id = None
        for run in range(1, args.repeat + 1):
            if blob_id is not None:
                store.delete(blob_id)
                os.sync()  # settle the deletion before timing the next run
            ta, expected, ha, sa = measure(lambda: sha_only(src), hwm_ok)

            def write():
                with open(src, "rb") as f:
                    return store.write(f)

            tb, stored, hb, sb = measure(write, hwm_ok)
            assert stored.sha256 == expected and stored.size == size
            blob_id = stored.blob_id
            tc, (dsize, dsha), hc, sc = measure(lambda: store.digest(blob_id), hwm_ok)
            assert (dsize, dsha) == (size, expected)
            for key, seconds, hwm, sampled in (("a", ta, ha, sa), ("b", tb, hb, sb),
                                               ("c", tc, hc, sc)):
                rows[key].append(size / seconds / MB)
                peaks[key].append(max(hwm, sampled) - idle_kib)
            print(f"run {run}: (a) sha256 {rows['a'][-1]:7.0f} MB/s  (b) write "
                  f"{rows['b'][-1]:7.0f} MB/s  (c) digest {rows['c'][-1]:7.0f} MB/s  "
                  f"ratio b/a {rows['b'][-1] / rows['a'][-1]:.3f}  c/a "
                  f"{rows['c'][-1] / rows['a'][-1]:.3f}  | peak RSS over idle: "
                  f"a {(ha - idle_kib) / 1024:.1f}/{(sa - idle_kib) / 1024:.1f}  "
                  f"b {(hb - idle_kib) / 1024:.1f}/{(sb - idle_kib) / 1024:.1f}  "
                  f"c {(hc - idle_kib) / 1024:.1f}/{(sc - idle_kib) / 1024:.1f} MiB "
                  "(HWM/sampled)")
        med = {k: statistics.median(v) for k, v in rows.items()}
        print(f"median: (a) sha256 alone {med['a']:.0f} MB/s, (b) BlobStore.write "
              f"{med['b']:.0f} MB/s, (c) BlobStore.digest {med['c']:.0f} MB/s")
        print(f"ratio (b)/(a) of medians: {med['b'] / med['a']:.3f} (goal >= 0.85); "
              f"(c)/(a): {med['c'] / med['a']:.3f}")
        print(f"peak RSS over idle, worst run: write {max(peaks['b']) / 1024:.1f} MiB, "
              f"digest {max(peaks['c']) / 1024:.1f} MiB (goal < 100 MB)")


if __name__ == "__main__":
    main()
