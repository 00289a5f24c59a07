"""The job worker (logger.jobs.worker) with fake handlers on real evidence: outcomes, retries,
cancellation, lease renewal, a worker killed mid-job, stopping. Its commands:
test_worker_commands.py."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

from logger.errors import LiuhenError, PermanentJobError
from logger.jobs import queue as jobs
from logger.jobs.worker import JobCancelled, JobContext, Worker
from storage.models import Job, JobKind, JobStatus, utcnow
from tests.support.common import wait_for
from tests.support.jobs import TEXT, Clock, job_of, make_worker, start_slow_worker


def test_run_once_hands_the_job_to_its_handler_and_marks_it_done(services, add_items):
    first, second = add_items(2)
    seen = []

    def handler(ctx: JobContext) -> None:
        ctx.progress(0.5)
        with ctx.services.session() as s:
            progress = s.get(Job, ctx.job_id).progress
        seen.append((ctx.evidence_id, ctx.kind, ctx.attempt, ctx.options, progress))

    worker = make_worker(services, handler)
    assert worker.run_once()
    assert seen == [(first, TEXT, 1, {}, 0.5)]
    done = job_of(services, first)
    assert (done.status, done.progress, done.worker_id) == (JobStatus.done, 1.0, worker.worker_id)
    assert worker.run_until_idle() == 1 and seen[1][0] == second
    assert not worker.run_once() and worker.run_until_idle() == 0


def test_options_reach_the_handler(services, add_items):
    [item] = add_items()
    with services.session() as session:
        jobs.enqueue(session, evidence_id=item, kind=JobKind.transcribe,
                     options={"model": "small"})
    got = []
    worker = Worker(services, handlers={JobKind.transcribe: lambda ctx: got.append(ctx.options)},
                    lease_s=5, poll_s=0.05)
    assert worker.run_until_idle() == 1
    assert got == [{"model": "small"}]
    assert job_of(services, item, JobKind.transcribe).status == JobStatus.done
    assert job_of(services, item).status == JobStatus.queued   # not a kind it handles


def test_a_failing_handler_fails_the_job_after_max_attempts_with_its_message(services, add_items,
                                                                             caplog):
    [item] = add_items()
    attempts = []

    def broken(ctx):
        attempts.append(ctx.attempt)
        raise RuntimeError("the recording could not be decoded")

    with caplog.at_level(logging.INFO, logger="logger.jobs.worker"):
        assert make_worker(services, broken, retry_backoff_s=0).run_until_idle() == 3
    assert attempts == [1, 2, 3]
    failed = job_of(services, item)
    assert (failed.status, failed.attempts, failed.error) == \
        (JobStatus.failed, 3, "the recording could not be decoded")
    tracebacks = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(tracebacks) == 3, "an unexpected handler error is logged with its traceback"


def test_a_failure_is_retried_after_the_back_off_and_can_then_succeed(services, add_items):
    [item] = add_items()
    calls = []

    def flaky(ctx):
        calls.append(ctx.attempt)
        if ctx.attempt == 1:
            raise LiuhenError("the blob store was not mounted")

    clock = Clock()
    worker = make_worker(services, flaky, retry_backoff_s=1, clock=clock)
    assert worker.run_until_idle() == 1
    waiting = job_of(services, item)
    assert (waiting.status, waiting.error) == (JobStatus.queued, "the blob store was not mounted")
    clock.advance(0.95)
    assert worker.run_until_idle() == 0                    # still in its back-off
    clock.advance(0.1)
    assert worker.run_until_idle() == 1
    done = job_of(services, item)
    assert (calls, done.status, done.attempts, done.error) == ([1, 2], JobStatus.done, 2, None)


def test_an_empty_message_becomes_the_exception_name_and_permanent_errors_fail_at_once(
        services, add_items):
    nameless, hopeless = add_items(2)

    def handler(ctx):
        if ctx.evidence_id == nameless:
            raise ValueError()
        raise PermanentJobError("this file holds no sound at all")

    assert make_worker(services, handler, retry_backoff_s=0).run_until_idle() == 4
    assert (job_of(services, nameless).status, job_of(services, nameless).error) == \
        (JobStatus.failed, "ValueError")
    gave_up = job_of(services, hopeless)
    assert (gave_up.status, gave_up.attempts, gave_up.error) == \
        (JobStatus.failed, 1, "this file holds no sound at all")


def test_a_job_cancelled_while_running_stops_at_the_next_progress_report(services, add_items):
    [item] = add_items()
    seen = []

    def handler(ctx):
        ctx.progress(0.1)                  # written; the next reports fall in the 1 s throttle,
        with ctx.services.session() as s:  # so only the lease thread can notice the cancel
            jobs.cancel_job(s, ctx.job_id)
        def cancel_noticed() -> bool:
            try:
                ctx.progress(0.2)
            except JobCancelled as e:
                seen.append(e)
                return True
            return False

        wait_for(cancel_noticed, timeout=60, what="the lease thread noticing the cancel")
        raise seen[-1]

    assert make_worker(services, handler, lease_s=0.3).run_once()
    assert len(seen) == 1
    cancelled = job_of(services, item)
    assert (cancelled.status, cancelled.error) == (JobStatus.cancelled, None)

    [quitting] = add_items()      # a handler that gives up on its own cancels its job
    assert make_worker(services, lambda ctx: (_ for _ in ()).throw(JobCancelled("no"))).run_once()
    assert job_of(services, quitting).status == JobStatus.cancelled


def test_the_last_report_before_a_long_stretch_of_work_is_written(services, add_items):
    """Engines report in bursts (a window's segments at once, then minutes on the next one):
    a report inside the interval is held back and written by the lease thread, never lost."""
    [item] = add_items()

    def handler(ctx):
        ctx.progress(0.25)   # written at once
        ctx.progress(0.5)    # the clock stands still: inside the interval
        wait_for(lambda: job_of(services, item).progress == 0.5, timeout=20,
                 what="the held-back report being written")

    assert make_worker(services, handler, lease_s=0.3, clock=Clock()).run_once()
    assert job_of(services, item).status == JobStatus.done


def test_lease_renewal_keeps_a_long_job_from_being_stolen(services, add_items):
    [item] = add_items()
    clock, release, stolen = Clock(), threading.Event(), []
    # No progress reports: only the renewal thread (every third of the 1 s lease, in real time)
    # keeps the lease alive while the clock both workers read moves on by three leases.
    slow = make_worker(services, lambda ctx: release.wait(30), worker_id="slow", lease_s=1,
                       clock=clock)
    thief = make_worker(services, lambda ctx: stolen.append(ctx.job_id), worker_id="thief",
                        lease_s=1, clock=clock)
    running = threading.Thread(target=slow.run_once)
    running.start()
    try:
        wait_for(lambda: job_of(services, item).status == JobStatus.running)
        for _ in range(6):
            clock.advance(0.5)
            renewed_until = clock.now + timedelta(seconds=1)
            wait_for(lambda: job_of(services, item).lease_expires_at >= renewed_until,
                     what="a renewal of the lease")
            assert not thief.run_once()
    finally:
        release.set()
        running.join()
    done = job_of(services, item)
    assert (stolen, done.status, done.worker_id, done.attempts) == \
        ([], JobStatus.done, "slow", 1)


def test_a_worker_killed_mid_job_loses_the_job_to_another_after_its_lease(
        services, add_items, tmp_path, cli_env):
    [item] = add_items()
    rescued, clock = [], Clock()
    rescuer = make_worker(services, lambda ctx: rescued.append(ctx.attempt), worker_id="rescuer",
                          clock=clock)
    doomed = start_slow_worker("Worker", tmp_path, cli_env)
    try:
        first = job_of(services, item).lease_expires_at
        # Renewals keep it: once the lease was renewed past its first end, the rescuer, at a
        # time the first lease would have run out, finds nothing to take.
        wait_for(lambda: job_of(services, item).lease_expires_at >= first
                 + timedelta(seconds=0.5), 30, "a renewal of the doomed worker's lease")
        clock.now = first + timedelta(seconds=0.25)
        assert rescuer.run_until_idle() == 0
        assert job_of(services, item).worker_id == "doomed"
        doomed.send_signal(signal.SIGKILL)
        assert doomed.wait(10) == -signal.SIGKILL
    finally:
        doomed.kill()
        doomed.communicate()
    # The lease it held ends at most one lease (1 s) after now; the job is the rescuer's from
    # that moment on, not before.
    expires = job_of(services, item).lease_expires_at
    assert expires <= utcnow() + timedelta(seconds=1)
    clock.now = expires - timedelta(milliseconds=10)
    assert not rescuer.run_once()
    clock.now = expires + timedelta(milliseconds=10)
    assert rescuer.run_once()
    done = job_of(services, item)
    assert (rescued, done.status, done.worker_id, done.attempts) == \
        ([2], JobStatus.done, "rescuer", 2)


def test_run_forever_survives_a_blow_up_and_stopping_gives_the_running_job_back(
        services, add_items, caplog):
    bad, good, slow = add_items(3)
    running = threading.Event()

    def handler(ctx):
        if ctx.evidence_id == bad:
            raise KeyError("segments")
        if ctx.evidence_id == slow:
            running.set()
            # progress raises once the worker is told to stop
            wait_for(lambda: bool(ctx.progress(0.5)), timeout=60, what="the stop")

    stop = threading.Event()
    thread = threading.Thread(target=make_worker(services, handler).run_forever, args=(stop,))
    with caplog.at_level(logging.INFO, logger="logger.jobs.worker"):
        thread.start()
        assert running.wait(15)
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert (job_of(services, bad).error, job_of(services, good).status) == \
        ("'segments'", JobStatus.done)
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
    back = job_of(services, slow)
    assert (back.status, back.attempts, back.worker_id) == (JobStatus.queued, 0, None)

