"""The job worker (logger.jobs.worker) with fake handlers on real evidence: outcomes, retries,
cancellation, lease renewal, a worker killed mid-job, stopping, `liuhen transcribe --wait` and
`liuhen worker`, the embedded worker of `liuhen serve`, and handlers found by entry point."""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from logger.errors import LiuhenError, PermanentJobError
from logger.intake.ingest import IncomingFile, ingest
from logger.jobs import queue as jobs
from logger.jobs import worker as worker_module
from logger.jobs.worker import JobCancelled, JobContext, Worker
from storage.models import Job, JobKind, JobStatus, utcnow
from tests.support.common import PASSPHRASE

TEXT = JobKind.extract_text   # what intake queues for a .txt file


@pytest.fixture
def add_items(services, session, negotiation, owner):
    """add_items(n): ids of n text files through intake, each with its queued extract_text job."""
    numbers = itertools.count()
    return lambda count=1: [
        ingest(session=session, blobs=services.blobs,
               source=IncomingFile(io.BytesIO(f"电话记录 {i}\n".encode()), f"n{i}.txt"),
               negotiation=negotiation, actor=owner, max_bytes=1 << 20,
               tz=services.config.locale.zone).id for i in itertools.islice(numbers, count)]


def job_of(services, evidence_id: int, kind: JobKind = TEXT) -> Job:
    with services.session() as session:
        return session.exec(select(Job).where(Job.evidence_id == evidence_id,
                                              Job.kind == kind)).one()


def make_worker(services, handler, **kw) -> Worker:
    kw.setdefault("lease_s", 5)
    kw.setdefault("poll_s", 0.05)
    return Worker(services, handlers={TEXT: handler}, **kw)


class Clock:
    """The worker's clock in a test: it stands still until the test moves it on, so a lease or a
    back-off runs out when the test says, however busy the machine is."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def wait_for(condition, timeout=15.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


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
        try:
            deadline = time.monotonic() + 60   # a generous bound: the cancel ends it first
            while time.monotonic() < deadline:
                ctx.progress(0.2)
                time.sleep(0.05)
        except JobCancelled as e:
            seen.append(e)
            raise

    assert make_worker(services, handler, lease_s=0.3).run_once()
    assert len(seen) == 1
    cancelled = job_of(services, item)
    assert (cancelled.status, cancelled.error) == (JobStatus.cancelled, None)

    [quitting] = add_items()      # a handler that gives up on its own cancels its job
    assert make_worker(services, lambda ctx: (_ for _ in ()).throw(JobCancelled("no"))).run_once()
    assert job_of(services, quitting).status == JobStatus.cancelled


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


SLOW_WORKER = """
    import sys, time
    from pathlib import Path
    from storage.models import JobKind
    from logger.jobs import worker as worker_module

    def slow(ctx):
        Path("started").write_text(str(ctx.job_id))
        while True:
            ctx.progress(0.5)
            time.sleep(0.02)

    if sys.argv[1] == "liuhen worker":
        from logger.cli.main import main
        worker_module.handlers = lambda: {JobKind.extract_text: slow}
        sys.argv = ["liuhen", "worker"]
        main()
    else:
        from logger.config import load_config
        from logger.services import Services
        with Services.open(load_config(), sys.argv[2]) as services:
            worker_module.Worker(services, handlers={JobKind.extract_text: slow},
                                 worker_id="doomed", lease_s=1, poll_s=0.1).run_once()
"""


def start_slow_worker(how: str, tmp_path, cli_env) -> subprocess.Popen:
    """A worker process (Worker.run_once, or `liuhen worker`) whose handler writes ./started
    and then reports progress forever."""
    (tmp_path / "slow_worker.py").write_text(textwrap.dedent(SLOW_WORKER))
    proc = subprocess.Popen([sys.executable, "slow_worker.py", how, PASSPHRASE],
                            env={**os.environ, **cli_env}, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: (tmp_path / "started").exists() or proc.poll() is not None, 60, "the job")
    if proc.poll() is not None:
        pytest.fail(f"the worker process ended early: {proc.communicate()[0].decode()}")
    return proc


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
        while ctx.evidence_id == slow:
            running.set()
            ctx.progress(0.5)
            time.sleep(0.02)

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


def fake_handlers(monkeypatch, handler):
    monkeypatch.setattr(worker_module, "handlers", lambda: {TEXT: handler})


def test_transcribe_wait_runs_the_queue_and_reports_each_job(services, add_items, cli,
                                                             monkeypatch):
    good, bad = add_items(2)

    def handler(ctx):
        if ctx.evidence_id == bad:
            raise PermanentJobError("no speech found in this recording")

    fake_handlers(monkeypatch, handler)
    listed = cli("transcribe", "--json")
    assert listed.exit_code == 0
    assert [(j["id"], j["status"]) for j in json.loads(listed.stdout)] == \
        [(job_of(services, good).id, "queued"), (job_of(services, bad).id, "queued")]

    only_good = cli("transcribe", "--wait", "--evidence", good)
    assert only_good.exit_code == 0, only_good.output
    assert only_good.stdout == \
        f"job #{job_of(services, good).id} extract_text, evidence #{good}: done\n"
    assert job_of(services, bad).status == JobStatus.queued

    rest = cli("transcribe", "--wait", "--json")
    assert rest.exit_code == 1
    assert json.loads(rest.stdout) == [{
        "id": job_of(services, bad).id, "evidence_id": bad, "kind": "extract_text",
        "status": "failed", "attempts": 1, "max_attempts": 3, "progress": 0.0,
        "options": {}, "not_before": None, "error": "no speech found in this recording"}]

    idle = cli("transcribe", "--wait")
    assert (idle.exit_code, idle.stdout) == (0, "no jobs to run\n")


def test_transcribe_wait_exits_1_when_a_job_waits_for_a_retry(services, add_items, cli,
                                                              monkeypatch):
    [item] = add_items()
    fake_handlers(monkeypatch, lambda ctx: (_ for _ in ()).throw(OSError("disk full")))
    result = cli("transcribe", "--wait")
    assert result.exit_code == 1
    assert "attempt 1 of 3 failed, retried after" in result.stdout and "disk full" in result.stdout
    assert job_of(services, item).status == JobStatus.queued


def test_transcribe_and_worker_say_what_is_wrong(services, cli, monkeypatch):
    fake_handlers(monkeypatch, lambda ctx: None)
    missing = cli("transcribe", "--wait", "--evidence", 99)
    assert (missing.exit_code, missing.stderr) == (1, "liuhen: no evidence #99\n")
    monkeypatch.setattr(worker_module, "handlers", lambda: {})
    for command in (("transcribe", "--wait"), ("worker",)):
        result = cli(*command)
        assert result.exit_code == 1 and "no job handlers are installed" in result.stderr


def test_liuhen_worker_stops_on_sigterm_and_gives_the_job_back(services, add_items, cli_env,
                                                               tmp_path):
    [item] = add_items()
    proc = start_slow_worker("liuhen worker", tmp_path, cli_env)
    try:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == 0, output
    assert "stopping after the current job" in output and "back in the queue" in output
    back = job_of(services, item)
    assert (back.status, back.attempts, back.worker_id) == (JobStatus.queued, 0, None)


def test_serve_starts_the_embedded_worker_through_its_entry_point(services, add_items,
                                                                  monkeypatch):
    import logger.cli.main  # noqa: F401  (first: web.cli imported on its own is a circular import)
    from importlib.metadata import entry_points

    from web.cli import BACKGROUND_GROUP, start_background
    [item] = add_items()
    ran = []
    fake_handlers(monkeypatch, lambda ctx: ran.append(ctx.job_id))
    stop = threading.Event()
    others = {e.name for e in entry_points(group=BACKGROUND_GROUP)} - {"worker"}
    assert start_background(services, stop, skip=others | {"worker"}) == []
    threads = start_background(services, stop, skip=others)
    try:
        assert [t.name for t in threads] == ["liuhen-worker"]
        wait_for(lambda: job_of(services, item).status == JobStatus.done)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert ran == [job_of(services, item).id] and not threads[0].is_alive()


def test_handlers_come_from_the_entry_point_group(tmp_path, monkeypatch, caplog, services):
    dist = tmp_path / "liuhen_fake_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: liuhen-fake-plugin\n"
                                   "Version: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[liuhen.job_handlers]\nocr = liuhen_fake_ocr:run\nshred = liuhen_fake_ocr:run\n"
        "parse_email = liuhen_fake_missing:run\n")
    (tmp_path / "liuhen_fake_ocr.py").write_text("def run(ctx):\n    ctx.progress(1.0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "liuhen_fake_ocr", raising=False)
    # Only this plugin's entries: Liuhen's own handlers for ocr and parse_email are installed
    # too, and which of two entries for one kind comes last depends on the path order.
    from importlib.metadata import Distribution
    plugin = Distribution.at(dist)
    monkeypatch.setattr(worker_module, "entry_points", lambda group: [
        e for e in plugin.entry_points if e.group == group])

    with caplog.at_level(logging.WARNING, logger="logger.jobs.worker"):
        found = worker_module.handlers()
    assert found[JobKind.ocr] is sys.modules["liuhen_fake_ocr"].run
    assert JobKind.parse_email not in found
    assert "shred" in caplog.text and "names no job kind" in caplog.text
    assert "could not load the parse_email job handler" in caplog.text
    # A context built without a worker (as a handler's own tests do) reports to nobody.
    found[JobKind.ocr](JobContext(job_id=1, evidence_id=1, kind=JobKind.ocr, options={},
                                  attempt=1, services=services))
