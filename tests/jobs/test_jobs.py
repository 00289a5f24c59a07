"""The job queue (logger.jobs.queue) on SQLCipher and PostgreSQL: claim order and filters,
concurrent claimers, leases that run out (on a clock the test moves), attempts, back-off, cancel
and retry; and migration 0002."""

from __future__ import annotations

import dataclasses
import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text, update
from sqlmodel import delete, select

from logger.accounts import add_user
from logger.errors import NotFound
from logger.intake.ingest import IncomingFile, ingest
from logger.jobs import queue as jobs
from logger.services import Services
from storage.db import migrate
from storage.models import Job, JobKind, JobStatus, utcnow
from tests.support.common import PASSPHRASE
from tests.support.migrations import downgrade, insert_old_rows, old_engine, upgrade
from tests.support.common import make_negotiation_in

# The queue's own rules, on kinds an item may have several jobs of at once (a transcription
# waits or runs once per item: test_one_transcription_of_an_item_at_a_time).
T, OCR = JobKind.extract_text, JobKind.ocr


@pytest.fixture
def queue(any_db):
    """An open data dir whose database is SQLCipher, or PostgreSQL."""
    return any_db


def make_items(services, count: int) -> list[int]:
    """`count` evidence items (small text files through intake), without the jobs intake
    queued for them: each test queues its own."""
    with services.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation = make_negotiation_in(session, owner)
        ids = [ingest(session=session, blobs=services.blobs,
                      source=IncomingFile(io.BytesIO(f"note {i}\n".encode()), f"n{i}.txt"),
                      negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                      tz=services.config.locale.zone).id for i in range(count)]
        session.exec(delete(Job))
        session.commit()
    return ids


def get(services, job_id: int) -> Job:
    with services.session() as session:
        return session.get(Job, job_id)


def claim(services, worker_id="w1", kinds=(T,), lease_s=30.0, **kw) -> Job | None:
    with services.session() as session:
        return jobs.claim_next_job(session, worker_id=worker_id, kinds=kinds, lease_s=lease_s,
                                   **kw)


def enqueue(services, evidence_id, kind=T, **kw) -> Job:
    with services.session() as session:
        return jobs.enqueue(session, evidence_id=evidence_id, kind=kind, **kw)


def test_claim_takes_the_first_job_in_line_of_the_kinds_asked(queue):
    # Each item is its own group: one job of each in turn, a group's own jobs oldest first
    # (the fair order itself: tests/security/test_fair_queue.py).
    first, second = make_items(queue, 2)
    older = enqueue(queue, first, T, options={"model": "small"})
    ocr = enqueue(queue, first, OCR)
    newer = enqueue(queue, second, T)

    before = utcnow()
    got = claim(queue, "w1", lease_s=30)
    assert got.id == older.id and got.options == {"model": "small"}
    assert (got.status, got.worker_id, got.attempts) == (JobStatus.running, "w1", 1)
    assert before <= got.started_at <= utcnow()
    assert timedelta(seconds=29) < got.lease_expires_at - before < timedelta(seconds=31)
    assert get(queue, older.id).status == JobStatus.running

    assert claim(queue, "w2", evidence_id=first) is None       # first's job is taken
    assert claim(queue, "w2").id == newer.id
    assert claim(queue, "w2") is None                          # ocr was never asked for
    assert claim(queue, "w2", kinds=()) is None
    assert claim(queue, "w3", kinds=(T, OCR)).id == ocr.id


def test_enqueue_refuses_evidence_that_does_not_exist(queue):
    with queue.session() as session, pytest.raises(NotFound, match="no evidence #999"):
        jobs.enqueue(session, evidence_id=999, kind=T)


def test_concurrent_claimers_never_get_the_same_job(queue):
    items = make_items(queue, 3)
    ids = {enqueue(queue, items[i % 3]).id for i in range(40)}
    taken: dict[str, list[int]] = {}
    start = threading.Barrier(4)
    errors = []

    def claimer(name: str) -> None:
        try:
            start.wait()
            with queue.session() as session:
                while (job := jobs.claim_next_job(session, worker_id=name, kinds=[T],
                                                  lease_s=30)) is not None:
                    taken.setdefault(name, []).append(job.id)
                    jobs.finish_job(session, job.id, worker_id=name)
        except Exception as e:   # surfaced below: an assertion in a thread is lost
            errors.append(e)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    processed = [job_id for got in taken.values() for job_id in got]
    assert sorted(processed) == sorted(ids), "every job processed exactly once"
    with queue.session() as session:
        rows = session.exec(select(Job)).all()
        assert {(j.status, j.attempts) for j in rows} == {(JobStatus.done, 1)}
        assert all(j.worker_id in taken and j.id in taken[j.worker_id] for j in rows)


def test_an_expired_lease_is_taken_over_and_the_attempt_counted(queue):
    [item] = make_items(queue, 1)
    job = enqueue(queue, item)
    start = utcnow()
    assert claim(queue, "dead", lease_s=1, now=start).id == job.id
    assert claim(queue, "alive", now=start + timedelta(seconds=0.9)) is None  # the lease holds
    later = start + timedelta(seconds=1.1)
    again = claim(queue, "alive", lease_s=30, now=later)
    assert (again.id, again.worker_id, again.attempts) == (job.id, "alive", 2)

    with queue.session() as session:
        assert not jobs.renew_lease(session, job.id, worker_id="dead", lease_s=30, now=later)
        assert not jobs.set_progress(session, job.id, worker_id="dead", progress=0.5)
        with pytest.raises(jobs.JobLost, match="taken over by worker alive"):
            jobs.finish_job(session, job.id, worker_id="dead")
        with pytest.raises(jobs.JobLost):
            jobs.fail_job(session, job.id, worker_id="dead", error="x")
        assert jobs.renew_lease(session, job.id, worker_id="alive", lease_s=30)
        assert jobs.set_progress(session, job.id, worker_id="alive", progress=7)
        assert get(queue, job.id).progress == 1.0                 # clamped
        jobs.finish_job(session, job.id, worker_id="alive")
    done = get(queue, job.id)
    assert (done.status, done.progress, done.lease_expires_at) == (JobStatus.done, 1.0, None)
    assert done.finished_at is not None


def test_a_job_whose_worker_stops_every_time_is_failed_not_claimed(queue):
    [item] = make_items(queue, 1)
    job = enqueue(queue, item)
    moment = utcnow()
    for attempt in (1, 2, 3):
        assert claim(queue, f"w{attempt}", lease_s=1, now=moment).attempts == attempt
        moment += timedelta(seconds=2)                         # each worker dies: no renewal
    later = enqueue(queue, item)
    assert claim(queue, "w4", now=moment).id == later.id       # the worn-out job is skipped
    failed = get(queue, job.id)
    assert (failed.status, failed.attempts) == (JobStatus.failed, 3)
    assert "stopped 3 times while working on it" in failed.error
    assert failed.finished_at is not None


def fail_timed(services, job_id, error, backoff_s):
    """fail_job, and the earliest and latest not_before it may have set after `backoff_s`."""
    with services.session() as session:
        before = utcnow()
        job = jobs.fail_job(session, job_id, worker_id="w1", error=error, backoff_s=backoff_s)
        return job, before, utcnow()


def skip_the_wait(services) -> None:
    with services.session() as session:
        session.execute(update(Job).values(not_before=utcnow() - timedelta(seconds=1)))
        session.commit()


def test_a_failed_attempt_is_retried_after_a_growing_back_off(queue):
    [item] = make_items(queue, 1)
    job = enqueue(queue, item)
    claim(queue)
    back, before, after = fail_timed(queue, job.id, "the file is too short", backoff_s=60)
    assert (back.status, back.error, back.worker_id) == (JobStatus.queued,
                                                         "the file is too short", None)
    wait = timedelta(seconds=60)
    assert before + wait <= back.not_before <= after + wait
    assert claim(queue) is None                                # not before not_before
    skip_the_wait(queue)
    assert claim(queue).attempts == 2
    back, before, after = fail_timed(queue, job.id, "again", backoff_s=60)
    assert before + 4 * wait <= back.not_before <= after + 4 * wait
    assert claim(queue) is None

    skip_the_wait(queue)
    claim(queue)
    last, _, _ = fail_timed(queue, job.id, "still broken", backoff_s=60)
    assert (last.status, last.attempts, last.error) == (JobStatus.failed, 3, "still broken")
    skip_the_wait(queue)
    assert claim(queue) is None


def test_a_permanent_failure_is_not_retried(queue):
    [item] = make_items(queue, 1)
    job = enqueue(queue, item)
    claim(queue)
    with queue.session() as session:
        failed = jobs.fail_job(session, job.id, worker_id="w1", error="not audio",
                               permanent=True)
    assert (failed.status, failed.attempts, failed.error) == (JobStatus.failed, 1, "not audio")


def test_cancel_a_queued_or_running_job(queue):
    [item] = make_items(queue, 1)
    waiting, running = enqueue(queue, item), enqueue(queue, item)
    with queue.session() as session:
        assert jobs.cancel_job(session, waiting.id).status == JobStatus.cancelled
    assert claim(queue).id == running.id
    with queue.session() as session:
        cancelled = jobs.cancel_job(session, running.id)
        assert cancelled.status == JobStatus.cancelled and cancelled.finished_at is not None
        assert jobs.cancel_job(session, running.id).status == JobStatus.cancelled  # again: fine
        assert not jobs.renew_lease(session, running.id, worker_id="w1", lease_s=30)
        assert not jobs.set_progress(session, running.id, worker_id="w1", progress=0.5)
        with pytest.raises(jobs.JobLost, match="cancelled"):
            jobs.finish_job(session, running.id, worker_id="w1")
        with pytest.raises(NotFound):
            jobs.cancel_job(session, 999)
    assert claim(queue) is None
    assert get(queue, running.id).status == JobStatus.cancelled


def test_a_finished_job_cannot_be_cancelled(queue):
    [item] = make_items(queue, 1)
    job = enqueue(queue, item)
    claim(queue)
    with queue.session() as session:
        jobs.finish_job(session, job.id, worker_id="w1")
        with pytest.raises(jobs.JobStateError, match="already done"):
            jobs.cancel_job(session, job.id)


def test_retry_queues_a_failed_or_cancelled_job_with_attempts_reset(queue):
    [item] = make_items(queue, 1)
    failed, cancelled, waiting = (enqueue(queue, item, max_attempts=1) for _ in range(3))
    claim(queue)
    with queue.session() as session:
        jobs.fail_job(session, failed.id, worker_id="w1", error="broken")
        jobs.cancel_job(session, cancelled.id)
        for job_id in (failed.id, cancelled.id):
            again = jobs.retry_job(session, job_id)
            assert (again.status, again.attempts, again.error, again.finished_at) == \
                (JobStatus.queued, 0, None, None)
        with pytest.raises(jobs.JobStateError, match="only failed or cancelled"):
            jobs.retry_job(session, waiting.id)
        with pytest.raises(NotFound):
            jobs.retry_job(session, 999)
    assert [claim(queue).id for _ in range(3)] == [failed.id, cancelled.id, waiting.id]


def test_release_gives_the_job_back_without_counting_the_attempt(queue):
    [item] = make_items(queue, 1)
    job = enqueue(queue, item)
    claim(queue)
    with queue.session() as session:
        assert jobs.release_job(session, job.id, worker_id="w1")
        assert not jobs.release_job(session, job.id, worker_id="w1")
    back = get(queue, job.id)
    assert (back.status, back.attempts, back.worker_id) == (JobStatus.queued, 0, None)
    assert claim(queue, "w2").attempts == 1


@pytest.mark.postgres
def test_postgres_claims_skip_a_row_another_transaction_holds(postgres_db_url, config):
    config = dataclasses.replace(config, storage=dataclasses.replace(
        config.storage, database_url=postgres_db_url))
    with Services.create(config, PASSPHRASE) as services:
        [item] = make_items(services, 1)
        held, free = enqueue(services, item), enqueue(services, item)
        with services.session() as holder:
            holder.exec(select(Job).where(Job.id == held.id).with_for_update()).one()
            got = []
            claimer = threading.Thread(target=lambda: got.append(claim(services, "w2")))
            claimer.start()
            claimer.join(10)
            assert not claimer.is_alive(), "the claim waited for the locked row"
            assert got[0].id == free.id
            holder.rollback()
        assert claim(services, "w3").id == held.id


def test_sqlite_claim_that_loses_the_race_takes_the_next_job(services):
    [item] = make_items(services, 1)
    first, second = enqueue(services, item), enqueue(services, item)
    rival: list[Job] = []

    # Just before our compare-and-set UPDATE runs, another connection claims the same row.
    def interleave(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE JOB") and not rival:
            rival.append(None)
            rival[0] = claim(services, "rival")

    event.listen(services.engine, "before_cursor_execute", interleave)
    try:
        ours = claim(services, "us")
    finally:
        event.remove(services.engine, "before_cursor_execute", interleave)
    assert (rival[0].id, rival[0].worker_id) == (first.id, "rival")
    assert (ours.id, ours.worker_id, ours.attempts) == (second.id, "us", 1)
    assert get(services, first.id).attempts == 1


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_migration_0002_fills_old_jobs_and_downgrades_cancelled_to_failed(request, tmp_path,
                                                                          backend):
    engine = old_engine(request, tmp_path, backend)
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            insert_old_rows(connection, "INSERT INTO job (id, kind, evidence_id, status, attempts, "
                            "progress, created_at, updated_at) VALUES "
                            "(1, 'transcribe', 1, 'queued', 0, 0, :t, :t)")
        migrate(engine)
        with engine.connect() as connection:
            row = connection.execute(text("SELECT options, max_attempts FROM job")).one()
        assert (row.options in ({}, "{}"), row.max_attempts) == (True, 3)
        with engine.begin() as connection:
            connection.execute(text("UPDATE job SET status = 'cancelled'"))
        downgrade(engine, "0001")
        with engine.connect() as connection:
            row = connection.execute(text("SELECT status, error FROM job")).one()
        assert (row.status, row.error) == ("failed", "cancelled by a person")
    finally:
        engine.dispose()
