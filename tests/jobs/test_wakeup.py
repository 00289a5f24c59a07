"""An idle worker wakes when a job is queued, not at its next poll (issue 17,
`logger.jobs.wakeup`): by NOTIFY from another connection on PostgreSQL, by the doorbell in the
same process, by data_version moving across processes on SQLite; and on its own timers
(a retry's back-off) reckoned by the worker's injected clock. Every worker here polls every 60 s,
so a job started within seconds was started by the wake-up."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta

import pytest

from logger.accounts import add_user
from logger.jobs import queue as jobs
from logger.jobs.wakeup import Wakeup
from logger.jobs.worker import Worker
from logger.services import Services
from storage.models import Evidence, EvidenceKind, JobKind, JobStatus, utcnow
from tests.support.common import PASSPHRASE, make_negotiation_in, wait_for

OCR = JobKind.ocr
POLL_S = 60.0
# Well before the poll: what a wake-up must beat.
WOKEN_WITHIN_S = 10.0


@pytest.fixture
def item(any_db) -> int:
    with any_db.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation = make_negotiation_in(session, owner)
        row = Evidence(negotiation_id=negotiation.id, kind=EvidenceKind.document,
                       original_filename="a.jpg", media_type="image/jpeg", size=1,
                       sha256=secrets.token_hex(32), blob_id=secrets.token_hex(16))
        session.add(row)
        session.commit()
        return row.id


@pytest.fixture
def elsewhere(any_db):
    """The same database through an engine of its own: another process's connection, as far
    as the wake-up can tell (no shared doorbell)."""
    with Services.open(any_db.config, PASSPHRASE) as other:
        yield other


def queue_job(services, item: int) -> int:
    with services.session() as session:
        return jobs.enqueue(session, evidence_id=item, kind=OCR).id


def waiting(wakeup: Wakeup) -> tuple[threading.Thread, dict]:
    """`wakeup.wait(POLL_S)` in a thread; the dict gets its reason and how long it took."""
    wakeup.arm()
    seen: dict = {}

    def run() -> None:
        started = time.monotonic()
        seen["reason"] = wakeup.wait(POLL_S)
        seen["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, seen


@pytest.mark.postgres
@pytest.mark.parametrize("any_db", ["postgres"], indirect=True)
def test_postgres_wakes_a_waiting_worker_by_notify(any_db, elsewhere, item):
    with Wakeup(any_db.engine) as wakeup:
        wait_for(wakeup.listening.is_set, what="LISTEN")
        assert wakeup.covered
        thread, seen = waiting(wakeup)
        queue_job(elsewhere, item)
        thread.join(WOKEN_WITHIN_S)
    assert seen.get("reason") == "notify", seen
    assert seen["seconds"] < WOKEN_WITHIN_S


@pytest.mark.parametrize("any_db", ["sqlite"], indirect=True)
def test_the_doorbell_rings_on_commit_not_on_rollback(any_db, item):
    with Wakeup(any_db.engine, watch_commits=False) as wakeup:
        wakeup.arm()
        with any_db.session() as session:
            jobs.add_job(session, session.get(Evidence, item), OCR)
            session.flush()
            session.rollback()
        assert wakeup.wait(0) == "timer"     # rung in the committing thread, or never
        wakeup.arm()
        queue_job(any_db, item)
        assert wakeup.wait(0) == "doorbell"


@pytest.mark.parametrize("any_db", ["sqlite"], indirect=True)
def test_sqlite_rings_the_doorbell_in_the_same_process(any_db, item):
    with Wakeup(any_db.engine, watch_commits=False) as wakeup:
        thread, seen = waiting(wakeup)
        queue_job(any_db, item)
        thread.join(WOKEN_WITHIN_S)
    assert seen.get("reason") == "doorbell", seen
    assert seen["seconds"] < WOKEN_WITHIN_S


@pytest.mark.parametrize("any_db", ["sqlite"], indirect=True)
def test_sqlite_sees_a_job_queued_by_another_connection(any_db, elsewhere, item):
    with Wakeup(any_db.engine) as wakeup:
        thread, seen = waiting(wakeup)
        queue_job(elsewhere, item)
        thread.join(WOKEN_WITHIN_S)
    assert seen.get("reason") == "commit", seen


@pytest.mark.parametrize("origin", ["this process", "another connection"])
def test_a_worker_waiting_on_a_60_s_poll_starts_a_new_job_at_once(any_db, elsewhere, item,
                                                                  origin):
    ran: list[int] = []
    worker = Worker(any_db, handlers={OCR: lambda ctx: ran.append(ctx.job_id)}, lease_s=60,
                    poll_s=POLL_S)
    waits, covered = [], []
    idle_wait_s = worker.idle_wait_s

    def record_idle(**kw) -> float:
        waits.append(idle_wait_s(**kw))
        covered.append(kw["covered"])
        return waits[-1]

    worker.idle_wait_s = record_idle
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        # Idle, and told of new jobs (on PostgreSQL once it LISTENs, which rings it again).
        wait_for(lambda: True in covered, what="the worker waiting for a wake-up")
        job = queue_job(any_db if origin == "this process" else elsewhere, item)
        wait_for(lambda: ran == [job], timeout=WOKEN_WITHIN_S, what="the job starting")
    finally:
        stop.set()
        thread.join(WOKEN_WITHIN_S)
    assert not thread.is_alive(), "the worker did not stop when told"
    assert waits[0] >= POLL_S      # it was waiting a full poll, not looking every few seconds


def test_an_idle_worker_wakes_when_a_retry_or_a_lease_is_due(any_db, item):
    t0 = utcnow()
    worker = Worker(any_db, handlers={OCR: lambda ctx: None}, lease_s=20, poll_s=2,
                    clock=lambda: t0)
    # Woken by new jobs, it still looks once a lease (a job claimed since may lose its worker).
    assert worker.idle_wait_s(covered=True) == 20
    assert worker.idle_wait_s(covered=False) == 2           # nothing wakes it: the old poll
    with any_db.session() as session:
        job = jobs.enqueue(session, evidence_id=item, kind=OCR)
        jobs.claim_next_job(session, worker_id="w", kinds=[OCR], lease_s=15, now=t0)
        assert worker.idle_wait_s(covered=True) == 15       # that lease running out
        failed = jobs.fail_job(session, job.id, worker_id="w", error="boom", backoff_s=10,
                               now=t0)
    assert (failed.status, failed.not_before) == (JobStatus.queued, t0 + timedelta(seconds=10))
    assert worker.idle_wait_s(covered=True) == 10           # the retry's back-off ending
