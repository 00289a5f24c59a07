"""The job worker: claims jobs from the queue (`logger.jobs.queue`) and runs their handlers.

A handler is a callable taking a `JobContext`; it raises on failure, and the exception's message
becomes the job's error (`PermanentJobError`: failed at once, no retry). Handlers come from the
entry-point group `liuhen.job_handlers` (entry name = the `JobKind` value), so new kinds plug in
without editing this module. While a handler runs, a thread renews the job's lease every third
of it; a worker that dies stops renewing and another one takes the job over when the lease ends.

Used by `liuhen worker`, `liuhen transcribe --wait`, and as a thread inside `liuhen serve`
(`start_embedded`, through the `liuhen.background` entry-point group). A handler opens its own
database sessions from `ctx.services`; the worker never shares one with it.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points

from sqlalchemy.exc import SQLAlchemyError

from logger.errors import LiuhenError, PermanentJobError
from logger.jobs import queue as jobs
from logger.jobs.wakeup import SAFETY_S, Wakeup
from logger.services import Services
from storage.models import Job, JobKind
from storage.models.types import utcnow

log = logging.getLogger(__name__)

HANDLER_GROUP = "liuhen.job_handlers"
# Progress is written at most this often (seconds, on the worker's clock); a report that falls
# inside the interval is kept and written by the lease thread, so the last one before a long
# stretch of work is never lost. A cancellation is still seen at once when the lease thread has
# noticed it.
PROGRESS_INTERVAL_S = 1.0
# The shortest idle wait: a timer found already due means another worker was quicker.
MIN_WAIT_S = 0.05


class JobCancelled(Exception):
    """Raised by `JobContext.progress` when the job was cancelled or another worker took it over.
    A handler may clean up, but should let it propagate; nothing it produced is recorded."""


class JobInterrupted(JobCancelled):
    """Raised by `JobContext.progress` when the worker is stopping: the job goes back to the
    queue without counting the attempt."""


Handler = Callable[["JobContext"], None]


class _Lease:
    """Our claim on one running job: a daemon thread renews it every lease_s/3 (writing first
    the progress report the interval held back) and records when it is lost (cancelled,
    deleted, taken over)."""

    def __init__(self, services: Services, job_id: int, worker_id: str, lease_s: float,
                 stop: threading.Event | None, clock: Callable[[], datetime]) -> None:
        self.services, self.job_id, self.worker_id = services, job_id, worker_id
        self.lease_s, self.stop, self.clock = lease_s, stop, clock
        self.lost = threading.Event()
        self._done = threading.Event()
        # The handler's latest report not yet written, and when the last one was (the clock's).
        self._pending: float | None = None
        self._written_at: datetime | None = None
        self._writing = threading.Lock()
        self._thread = threading.Thread(target=self._renew, name=f"liuhen-lease-{job_id}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join()

    def check(self) -> None:
        if self.lost.is_set():
            raise JobCancelled(f"job #{self.job_id} was cancelled or taken over by another "
                               "worker")
        if self.stop is not None and self.stop.is_set():
            raise JobInterrupted(f"the worker is stopping; job #{self.job_id} goes back to the "
                                 "queue")

    def report(self, fraction: float) -> None:
        """Keep `fraction` as the job's progress: written now when PROGRESS_INTERVAL_S has
        passed on the clock since the last write, else by the lease thread at its next tick.
        Raises JobCancelled when the write finds the job no longer ours, ValueError for NaN
        (here, in the handler's thread, never in the lease thread's)."""
        if fraction != fraction:
            raise ValueError("progress must be a number between 0 and 1, got NaN")
        with self._writing:
            self._pending = fraction
            now = self.clock()
            due = self._written_at is None or \
                (now - self._written_at).total_seconds() >= PROGRESS_INTERVAL_S
            if due:
                self._write_pending(now)
        self.check()

    def flush(self) -> None:
        """Write the report the interval held back, if any (the lease thread's tick)."""
        with self._writing:
            if self._pending is not None:
                self._write_pending(self.clock())

    def _write_pending(self, now: datetime) -> None:
        fraction, self._pending, self._written_at = self._pending, None, now
        try:
            with self.services.session() as session:
                ours = jobs.set_progress(session, self.job_id, worker_id=self.worker_id,
                                         progress=fraction)
        except SQLAlchemyError:
            # Progress is only shown to people: a database hiccup must not fail the job.
            log.warning("could not record the progress of job #%d", self.job_id, exc_info=True)
            return
        if not ours:
            self.lost.set()

    def _renew(self) -> None:
        while not self._done.wait(self.lease_s / 3):
            self.flush()
            try:
                with self.services.session() as session:
                    ours = jobs.renew_lease(session, self.job_id, worker_id=self.worker_id,
                                            lease_s=self.lease_s, now=self.clock())
            except Exception:
                # A database hiccup: try again at the next tick; the lease has slack for two.
                log.warning("could not renew the lease on job #%d", self.job_id, exc_info=True)
                continue
            if not ours:
                self.lost.set()
                return


@dataclass
class JobContext:
    """What a handler gets: the job, its evidence item, its options, which attempt this is
    (1 for the first), and the open data dir (`services.session()`, `services.blobs`)."""

    job_id: int
    evidence_id: int
    kind: JobKind
    options: dict
    attempt: int
    services: Services = field(repr=False)
    _lease: _Lease | None = field(default=None, repr=False, compare=False)

    def progress(self, fraction: float) -> None:
        """Report how far the job is (0..1; written at most once a second of the worker's
        clock, the latest report always). Raises JobCancelled if the job was cancelled or is no
        longer ours, JobInterrupted if the worker is stopping. Without a worker behind it (a
        context built by a test) it does nothing."""
        if self._lease is None:
            return
        self._lease.check()
        self._lease.report(fraction)


def handlers() -> dict[JobKind, Handler]:
    """The installed handlers, from the entry-point group `liuhen.job_handlers`. An entry that
    names no job kind or cannot be loaded is logged and left out (its jobs stay queued)."""
    found: dict[JobKind, Handler] = {}
    for entry in entry_points(group=HANDLER_GROUP):
        try:
            kind = JobKind(entry.name)
        except ValueError:
            log.warning("the job handler %s = %s names no job kind (known: %s); ignored",
                        entry.name, entry.value, ", ".join(JobKind))
            continue
        try:
            found[kind] = entry.load()
        except Exception:
            log.exception("could not load the %s job handler %s; %s jobs will wait until it "
                          "loads (is Liuhen fully installed?)", kind, entry.value, kind)
    return found


def default_worker_id() -> str:
    """host:pid:random, so several workers on one machine, or one restarted, never share it."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Runs jobs of the kinds in `handlers`, one at a time, each in its own database sessions."""

    def __init__(self, services: Services, *, handlers: dict[JobKind, Handler],
                 worker_id: str | None = None, lease_s: float, poll_s: float,
                 retry_backoff_s: float | None = None, evidence_id: int | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        """`retry_backoff_s` defaults to `worker.retry_backoff_seconds`; `evidence_id` limits
        the worker to one item's jobs; `clock` (aware UTC) is what leases and back-offs are
        reckoned by (tests pass one they move on)."""
        if lease_s <= 0 or poll_s <= 0:
            raise ValueError(f"lease_s and poll_s must be positive, got {lease_s} and {poll_s}")
        self.services = services
        self.handlers = dict(handlers)
        self.worker_id = worker_id or default_worker_id()
        self.lease_s, self.poll_s = lease_s, poll_s
        self.retry_backoff_s = (services.config.worker.retry_backoff_seconds
                                if retry_backoff_s is None else retry_backoff_s)
        self.evidence_id = evidence_id
        self.clock = clock
        self._stop: threading.Event | None = None

    @classmethod
    def configured(cls, services: Services, *, handlers: dict[JobKind, Handler],
                   evidence_id: int | None = None) -> Worker:
        """A worker with the lease, poll and back-off of the `[worker]` config section."""
        settings = services.config.worker
        return cls(services, handlers=handlers, lease_s=settings.lease_seconds,
                   poll_s=settings.poll_seconds, evidence_id=evidence_id)

    def process_next(self) -> Job | None:
        """Claim one job and run it to an outcome (done, back to queued for a retry, failed,
        cancelled, or released when stopping). Returns the job as left (the claimed copy if its
        row is gone), None when nothing is claimable now. KeyboardInterrupt and SystemExit give
        the job back to the queue, then propagate."""
        if not self.handlers:
            return None
        with self.services.session() as session:
            job = jobs.claim_next_job(session, worker_id=self.worker_id, kinds=self.handlers,
                                      lease_s=self.lease_s, evidence_id=self.evidence_id,
                                      now=self.clock())
        if job is None:
            return None
        log.info("job #%d (%s, evidence #%d): attempt %d of %d", job.id, job.kind,
                 job.evidence_id, job.attempts, job.max_attempts)
        lease = _Lease(self.services, job.id, self.worker_id, self.lease_s, self._stop,
                       self.clock)
        ctx = JobContext(job_id=job.id, evidence_id=job.evidence_id, kind=job.kind,
                         options=dict(job.options), attempt=job.attempts,
                         services=self.services, _lease=lease)
        started = time.monotonic()
        lease.start()
        try:
            self.handlers[job.kind](ctx)
        except JobInterrupted:
            lease.close()
            self._settle(job, lambda session: self._release(session, job))
        except JobCancelled as cancelled:
            lease.close()
            reason = cancelled
            self._settle(job, lambda session: self._cancelled(session, job, lease, reason))
        except Exception as exc:
            lease.close()
            if isinstance(exc, LiuhenError):
                log.warning("job #%d (%s, evidence #%d) failed: %s", job.id, job.kind,
                            job.evidence_id, exc)
            else:
                log.exception("job #%d (%s, evidence #%d) failed", job.id, job.kind,
                              job.evidence_id)
            error = str(exc) or type(exc).__name__
            # A reason raised as a Text is kept in every language, for the reader's own.
            texts = exc.text.in_each_language() if isinstance(exc, LiuhenError) and \
                exc.text is not None else None
            permanent = isinstance(exc, PermanentJobError)
            self._settle(job, lambda session: jobs.fail_job(
                session, job.id, worker_id=self.worker_id, error=error, error_texts=texts,
                backoff_s=self.retry_backoff_s, permanent=permanent, now=self.clock()))
        except BaseException:
            lease.close()
            self._settle(job, lambda session: self._release(session, job))
            raise
        else:
            lease.close()
            log.info("job #%d (%s, evidence #%d) done in %.1f s", job.id, job.kind,
                     job.evidence_id, time.monotonic() - started)
            self._settle(job, lambda session: jobs.finish_job(
                session, job.id, worker_id=self.worker_id, now=self.clock()))
        return self._as_left(job)

    def run_once(self) -> bool:
        """Process one job if one is claimable now; True if one was processed."""
        return self.process_next() is not None

    def run_until_idle(self) -> int:
        """Process jobs until none is claimable now (retries waiting for their back-off are
        left for later); returns how many were processed."""
        count = 0
        while self.run_once():
            count += 1
        return count

    def run_forever(self, stop: threading.Event) -> None:
        """Process jobs until `stop` is set. When idle, wait until a job is queued (woken at
        once: `logger.jobs.wakeup`), a retry's back-off or a lease ends, or at most `poll_s`
        where no wake-up reaches this process. A job running when `stop` is set goes back to
        the queue at the handler's next progress report (or finishes, if the handler reports
        none). Errors are logged; the loop goes on."""
        self._stop = stop
        if not self.handlers:
            log.warning("worker %s: no job handlers are installed (entry-point group %s); "
                        "queued jobs will wait", self.worker_id, HANDLER_GROUP)
            stop.wait()
            return
        log.info("worker %s: handling %s jobs", self.worker_id,
                 ", ".join(sorted(self.handlers)))
        with Wakeup(self.services.engine, stop=stop) as wakeup:
            while not stop.is_set():
                wakeup.arm()
                try:
                    processed = self.run_once()
                except Exception:
                    log.exception("worker %s: could not claim a job; trying again in %s s",
                                  self.worker_id, self.poll_s)
                    stop.wait(self.poll_s)
                    continue
                if not processed:
                    wakeup.wait(self.idle_wait_s(covered=wakeup.covered))

    def idle_wait_s(self, *, covered: bool) -> float:
        """Seconds to wait with nothing to claim: until the next retry or lease is due, at
        most `poll_s`; when a queued job wakes the worker (`covered`), at most `SAFETY_S` or a
        lease, whichever is shorter (a job claimed since is seen in time if its worker dies)."""
        longest = max(self.poll_s, min(SAFETY_S, self.lease_s)) if covered else self.poll_s
        try:
            with self.services.session() as session:
                due = jobs.next_due(session, kinds=self.handlers, evidence_id=self.evidence_id)
        except Exception:
            log.warning("worker %s: could not read when the next retry is due",
                        self.worker_id, exc_info=True)
            return longest
        if due is None:
            return longest
        return min(longest, max(MIN_WAIT_S, (due - self.clock()).total_seconds()))

    def _release(self, session, job: Job) -> None:
        if jobs.release_job(session, job.id, worker_id=self.worker_id):
            log.info("job #%d: back in the queue (the worker is stopping)", job.id)

    def _cancelled(self, session, job: Job, lease: _Lease, error: JobCancelled) -> None:
        if lease.lost.is_set():
            log.info("job #%d stopped: %s", job.id, error)
        else:
            # The handler gave up on its own: record that as a cancellation.
            jobs.cancel_job(session, job.id, now=self.clock())
            log.info("job #%d cancelled by its handler: %s", job.id, error)

    def _settle(self, job: Job, record: Callable[..., object]) -> None:
        """Record a job's outcome; a job no longer ours, or a database error, is logged (the
        lease then runs out and the job is retried)."""
        try:
            with self.services.session() as session:
                record(session)
        except jobs.JobLost as e:
            log.info("job #%d: %s; its outcome is not recorded", job.id, e)
        except Exception:
            log.exception("could not record the outcome of job #%d; it will be taken up again "
                          "when its lease runs out", job.id)

    def _as_left(self, job: Job) -> Job:
        try:
            with self.services.session() as session:
                return session.get(Job, job.id, populate_existing=True) or job
        except Exception:
            log.warning("could not read job #%d back", job.id, exc_info=True)
            return job


def start_embedded(services: Services, stop: threading.Event) -> threading.Thread:
    """Start a worker thread for `liuhen serve` (entry point `liuhen.background`: worker). It
    runs until `stop` is set. Handlers are loaded in the thread, so serving starts at once; no
    model is loaded until a job needs one."""
    def run() -> None:
        Worker.configured(services, handlers=handlers()).run_forever(stop)

    thread = threading.Thread(target=run, name="liuhen-worker", daemon=True)
    thread.start()
    return thread
