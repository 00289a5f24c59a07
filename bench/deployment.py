"""Upload-to-transcript latency and throughput of a shared deployment (PostgreSQL + SeaweedFS,
web and workers as separate processes with their own data dirs) with 1, 2 and 4 workers,
against the single-process default (`liuhen serve` over SQLCipher and the local blob folder)
measured in the same run.

    .venv/bin/python bench/deployment.py [--workers 1,2,4]

Every distinct recording of ../shared/testdata/audio (no clip repeated) is uploaded through the
API at once; each clip's latency runs from its upload's reply to the moment its transcription
job is seen done (the API polled every 0.1 s). Workers start cold, so the first clips' figures
include loading the model. Prints, per setup: p50 and max latency, the wall time from the
first upload to the last transcript, and throughput in audio seconds per wall second.
"""

from __future__ import annotations

import argparse
import uuid
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av  # noqa: E402

from tests.support.deployment import Api, Deployment, s3_environment  # noqa: E402
from tests.support.pg import _Cluster, _find_bindir, fresh_database  # noqa: E402
from tests.support.seaweed import running_seaweed  # noqa: E402

TESTDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata" / "audio"


def clips() -> list[Path]:
    return sorted(p for p in TESTDATA.iterdir() if p.suffix in (".wav", ".flac"))


def seconds_of(path: Path) -> float:
    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1e6


def run_clips(api: Api, files: list[Path]) -> dict:
    negotiation = api.json("POST", "/negotiations", {"creditor": "信用飞"})["id"]
    began = time.monotonic()
    sent: dict[int, float] = {}
    for path in files:
        reply = api.upload(negotiation, path.name, path.read_bytes())
        sent[reply["results"][0]["id"]] = time.monotonic()
    done: dict[int, float] = {}
    deadline = time.monotonic() + 1800
    while len(done) < len(sent):
        assert time.monotonic() < deadline, "transcription did not finish within 30 minutes"
        for evidence_id in sent.keys() - done.keys():
            jobs = api.json("GET", f"/evidence/{evidence_id}")["jobs"]
            if any(j["status"] == "failed" for j in jobs):
                raise SystemExit(f"a job failed: {jobs}")
            if jobs and all(j["status"] == "done" for j in jobs):
                done[evidence_id] = time.monotonic()
        time.sleep(0.1)
    latencies = [done[i] - sent[i] for i in sent]
    wall = max(done.values()) - began
    audio = sum(seconds_of(p) for p in files)
    return {"p50": statistics.median(latencies), "max": max(latencies), "wall": wall,
            "audio_per_s": audio / wall}


def single_process(root: Path, files: list[Path]) -> dict:
    """The default: one `liuhen serve` (web + embedded worker) over SQLCipher."""
    d = Deployment(root, "", {})
    try:
        token = d.set_up()
        web = d.start_web("web", worker=True)
        return run_clips(Api(web.url, token), files)
    finally:
        d.stop_all()


def shared(root: Path, files: list[Path], workers: int, pg_admin: str, seaweed) -> dict:
    bucket = f"liuhen-bench-{uuid.uuid4().hex[:12]}"
    seaweed.client().create_bucket(Bucket=bucket)
    with fresh_database(pg_admin, "bench") as url:
        d = Deployment(root, url, s3_environment(seaweed, bucket), lease_seconds=60)
        try:
            token = d.set_up()
            web = d.start_web("web")
            for n in range(workers):
                d.start(f"worker{n + 1}", "worker")
            return run_clips(Api(web.url, token), files)
        finally:
            d.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    files = clips()
    audio = sum(seconds_of(p) for p in files)
    print(f"{len(files)} distinct recordings, {audio:.1f} s of audio, uploaded at once")
    rows = []
    with tempfile.TemporaryDirectory(prefix="liuhen-bench-") as tmp:
        root = Path(tmp)
        rows.append(("single process, SQLCipher + local folder (baseline)",
                     single_process(root / "single", files)))
        cluster = _Cluster(_find_bindir())
        try:
            pg_admin = cluster.start()
            with running_seaweed() as seaweed:
                for count in (int(c) for c in args.workers.split(",")):
                    rows.append((f"PostgreSQL + SeaweedFS, {count} worker(s)",
                                 shared(root / f"shared{count}", files, count, pg_admin,
                                        seaweed)))
        finally:
            cluster.stop()
    print(f"{'setup':<52} {'p50 s':>7} {'max s':>7} {'wall s':>7} {'audio s/s':>9}")
    for label, r in rows:
        print(f"{label:<52} {r['p50']:7.1f} {r['max']:7.1f} {r['wall']:7.1f} "
              f"{r['audio_per_s']:9.2f}")


if __name__ == "__main__":
    main()
