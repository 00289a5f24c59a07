"""The job queue (issue 17): upload-to-start latency with an idle worker, and how long an upload
waits behind a 10,000-message mailbox. Goal: p95 ≤ 0.5 s from an upload's commit to its job
starting; an upload's job next in line whatever bulk work is queued.

    .venv/bin/python bench/job_queue.py [--uploads 20] [--items 10000] [--no-postgres]

Latency: `--uploads` small text files through intake, one at a time, each after a random pause
of up to the old poll interval (so the old loop's phase is random); from the commit to the
handler starting, p50 and p95. Three setups: SQLCipher with the worker in the same process
(doorbell), SQLCipher with the worker in another process (the file watch), PostgreSQL with the
worker in another process (LISTEN/NOTIFY); each beside the old loop (a look every 2 s, measured
in the same run on the same setup).

Fairness (SQLCipher, worker in the same process, each bulk job ~2 ms of work): `--items` jobs of
a mailbox's messages queued in one transaction (the cost per job of placing it in line, beside
inserting bare rows), the worker let through a few of them, then one upload: its wait until it
starts, beside the wait plain FIFO order would give it (the jobs ahead of it in id order times
the time per job measured in the same run).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import multiprocessing
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from logger.accounts import add_user  # noqa: E402
from logger.config import Config, VaultConfig, load_config  # noqa: E402
from logger.intake.ingest import IncomingFile, ingest  # noqa: E402
from logger.jobs import queue as jobs  # noqa: E402
from logger.jobs.worker import Worker  # noqa: E402
from logger.negotiations import add_negotiation  # noqa: E402
from logger.services import Services  # noqa: E402
from storage.models import (Evidence, EvidenceKind, Job, JobKind, JobStatus,  # noqa: E402
                            Negotiation, User)

PASSPHRASE = "bench passphrase"
OLD_POLL_S = 2.0
BULK_WORK_S = 0.002
# Bulk jobs the worker takes before the upload arrives, and after it.
BEFORE, AFTER = 20, 20


def bench_config(data_dir: Path, database_url: str = "") -> Config:
    config = dataclasses.replace(load_config(env={}).with_data_dir(data_dir),
                                 vault=VaultConfig(kdf_memory_mib=8, kdf_iterations=1))
    return dataclasses.replace(config, storage=dataclasses.replace(config.storage,
                                                                   database_url=database_url))


def run_worker(worker: Worker, stop: threading.Event, mode: str) -> None:
    """The worker's loop: "wake" is today's `run_forever`; "poll" the old loop, a look every
    2 s when idle."""
    if mode == "wake":
        worker.run_forever(stop)
        return
    while not stop.is_set():
        if not worker.run_once():
            stop.wait(OLD_POLL_S)


def recording_handlers(started) -> dict:
    """Handlers that put (evidence id, kind, monotonic time) on `started` as they begin."""
    def record(ctx) -> None:
        started.put((ctx.evidence_id, ctx.kind, time.monotonic()))
        if ctx.kind == JobKind.parse_email:
            time.sleep(BULK_WORK_S)
    return {JobKind.extract_text: record, JobKind.parse_email: record}


def worker_process(data_dir: str, database_url: str, mode: str, started, stop_event) -> None:
    """A worker in a process of its own (multiprocessing, spawned)."""
    with Services.open(bench_config(Path(data_dir), database_url), PASSPHRASE) as services:
        stop = threading.Event()
        threading.Thread(target=lambda: (stop_event.wait(), stop.set()), daemon=True).start()
        worker = Worker(services, handlers=recording_handlers(started), lease_s=60,
                        poll_s=OLD_POLL_S)
        run_worker(worker, stop, mode)


def upload(services: Services, negotiation_id: int, n: int) -> tuple[int, float]:
    """One small text file through intake; its evidence id and when its commit returned."""
    with services.session() as session:
        owner = session.execute(sa.select(User).limit(1)).scalar_one()
        item = ingest(session=session, blobs=services.blobs,
                      source=IncomingFile(io.BytesIO(f"催收电话记录 {n} {random.random()}\n"
                                                     .encode()), f"upload-{n}.txt",
                                          source="web"),
                      negotiation=session.get(Negotiation, negotiation_id),
                      actor=owner, max_bytes=1 << 20,
                      tz=services.config.locale.zone)
        return item.id, time.monotonic()


def wait_start(started, evidence_id: int, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while True:
        item, _, at = started.get(timeout=max(0.01, deadline - time.monotonic()))
        if item == evidence_id:
            return at


def latencies(services: Services, negotiation_id: int, started, uploads: int) -> list[float]:
    seconds = []
    for n in range(uploads):
        time.sleep(random.uniform(0, OLD_POLL_S))
        item, committed = upload(services, negotiation_id, n)
        seconds.append(wait_start(started, item) - committed)
    return seconds


def new_world(config: Config) -> tuple[Services, int]:
    services = Services.create(config, PASSPHRASE)
    with services.session() as session:
        owner = add_user(session, "bench", "bench-password")
        negotiation = add_negotiation(session, owner=owner, creditor="信用飞").id
    return services, negotiation


def latency_case(root: Path, label: str, mode: str, where: str, uploads: int,
                 database_url: str = "") -> tuple[str, list[float]]:
    config = bench_config(root / f"{label}-{mode}", database_url)
    services, negotiation = new_world(config)
    try:
        if where == "thread":
            started: queue.Queue = queue.Queue()
            stop = threading.Event()
            worker = Worker(services, handlers=recording_handlers(started), lease_s=60,
                            poll_s=OLD_POLL_S)
            thread = threading.Thread(target=run_worker, args=(worker, stop, mode), daemon=True)
            thread.start()
            try:
                return label, latencies(services, negotiation, started, uploads)
            finally:
                stop.set()
                thread.join(10)
        spawn = multiprocessing.get_context("spawn")
        started, stop_event = spawn.Queue(), spawn.Event()
        child = spawn.Process(target=worker_process, args=(str(config.storage.data_dir),
                                                           database_url, mode, started,
                                                           stop_event))
        child.start()
        try:
            # The first upload waits for the child to start; it is not counted.
            item, _ = upload(services, negotiation, -1)
            wait_start(started, item, timeout=120)
            return label, latencies(services, negotiation, started, uploads)
        finally:
            stop_event.set()
            child.join(15)
    finally:
        services.close()


def place_bulk(services: Services, negotiation_id: int, count: int) -> tuple[float, float]:
    """Seconds per job to queue `count` messages' jobs in one transaction through `add_job`,
    and to insert the same rows bare (no class, no place in line; removed again)."""
    with services.session() as session:
        box = Evidence(negotiation_id=negotiation_id, kind=EvidenceKind.email,
                       original_filename="box.mbox", media_type="application/mbox", size=1,
                       sha256="0" * 64, blob_id="0" * 32)
        session.add(box)
        session.flush()
        session.execute(sa.insert(Evidence.__table__), [dict(
            negotiation_id=negotiation_id, kind=EvidenceKind.email, parent_id=box.id,
            original_filename=f"{n:05d}.eml", media_type="message/rfc822", size=1,
            sha256=f"{n:064x}", blob_id=f"{n:032x}", extracted_metadata={}) for n in
            range(1, count + 1)])
        session.commit()
        children = session.execute(sa.select(Evidence).where(Evidence.parent_id == box.id)
                                   .order_by(Evidence.id)).scalars().all()
        began = time.perf_counter()
        for child in children:
            session.add(Job(evidence_id=child.id, kind=JobKind.parse_email, options={}))
        session.commit()
        bare = (time.perf_counter() - began) / count
        session.execute(sa.delete(Job))
        session.commit()
        began = time.perf_counter()
        for child in children:
            jobs.add_job(session, child, JobKind.parse_email)
        session.commit()
        placed = (time.perf_counter() - began) / count
    return placed, bare


def fairness_case(root: Path, items: int) -> dict:
    services, negotiation = new_world(bench_config(root / "fairness"))
    try:
        placed, bare = place_bulk(services, negotiation, items)
        started: queue.Queue = queue.Queue()
        stop = threading.Event()
        worker = Worker(services, handlers=recording_handlers(started), lease_s=60,
                        poll_s=OLD_POLL_S)
        thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        thread.start()
        bulk_starts = [started.get(timeout=60)[2] for _ in range(BEFORE)]
        item, committed = upload(services, negotiation, 0)
        with services.session() as session:
            job_id = session.execute(sa.select(Job.id).where(Job.evidence_id == item)).scalar()
            ahead_fifo = session.execute(sa.select(sa.func.count()).where(
                Job.status.in_([JobStatus.queued, JobStatus.running]), Job.id < job_id)).scalar()
        taken_before = 0
        while True:
            evidence, _, at = started.get(timeout=60)
            if evidence == item:
                wait = at - committed
                break
            taken_before += at > committed
            bulk_starts.append(at)
        bulk_starts += [started.get(timeout=60)[2] for _ in range(AFTER)]
        stop.set()
        thread.join(10)
    finally:
        services.close()
    per_job = (bulk_starts[-1] - bulk_starts[0]) / (len(bulk_starts) - 1)
    return dict(placed=placed, bare=bare, wait=wait, taken_before=taken_before,
                ahead_fifo=ahead_fifo, per_job=per_job, fifo_wait=ahead_fifo * per_job)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--no-postgres", action="store_true",
                        help="Leave out the PostgreSQL case (it starts a throwaway server).")
    args = parser.parse_args()
    if args.uploads < 2 or args.items < BEFORE + AFTER + 1:
        parser.error(f"--uploads must be at least 2 and --items at least {BEFORE + AFTER + 1}")
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="liuhen-bench-") as tmp:
        root = Path(tmp)
        for mode in ("wake", "poll"):
            rows.append((mode, *latency_case(root, "SQLCipher, worker in serve's process", mode,
                                             "thread", args.uploads)))
            rows.append((mode, *latency_case(root, "SQLCipher, worker in its own process", mode,
                                             "process", args.uploads)))
        if not args.no_postgres:
            from tests.support.pg import _Cluster, _find_bindir, fresh_database
            cluster = _Cluster(_find_bindir())
            try:
                admin = cluster.start()
                for mode in ("wake", "poll"):
                    with fresh_database(admin, "bench") as url:
                        rows.append((mode, *latency_case(
                            root, "PostgreSQL, worker in its own process", mode, "process",
                            args.uploads, url)))
            finally:
                cluster.stop()
        fair = fairness_case(root, args.items)
    print(f"\nupload-to-start with an idle worker, {args.uploads} uploads each (seconds)")
    print(f"{'setup':<40} {'wake-up p50':>11} {'p95':>6}   {'old 2 s poll p50':>16} {'p95':>6}")
    for label in dict.fromkeys(label for _, label, _ in rows):
        new = next(s for m, lb, s in rows if lb == label and m == "wake")
        old = next(s for m, lb, s in rows if lb == label and m == "poll")
        print(f"{label:<40} {statistics.median(new):11.3f} {percentile(new, 0.95):6.3f}   "
              f"{statistics.median(old):16.3f} {percentile(old, 0.95):6.3f}")
    print(f"\nfairness: {args.items:,} bulk jobs queued, then one upload (SQLCipher, in process)")
    print(f"  placing a job in line: {fair['placed'] * 1e6:.0f} µs per job "
          f"(bare row insert: {fair['bare'] * 1e6:.0f} µs)")
    print(f"  the upload's wait until start: {fair['wait']:.3f} s, "
          f"{fair['taken_before']} bulk job(s) started after its commit and before it")
    print(f"  plain FIFO: {fair['ahead_fifo']:,} jobs ahead × {fair['per_job'] * 1000:.1f} ms "
          f"per job = {fair['fifo_wait']:.1f} s")
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
