"""The job queue: background work on evidence (transcribe, OCR, parse) kept as `Job` rows.

A job is queued, claimed by one worker at a time under a lease it renews while working, then
done, failed (with a message), or cancelled by a person. Jobs are taken by class (a file a
person uploaded before a mailbox's messages), then in their fair place in line
(`logger.jobs.fair`: negotiations and kinds take turns), then oldest first. Queuing a job wakes
idle workers (`logger.jobs.wakeup`). A worker that dies simply stops renewing: once its lease has
passed, another worker claims the job again (counting an attempt). Workers anywhere claim
safely: PostgreSQL with `SELECT ... FOR UPDATE SKIP LOCKED`, SQLite with a compare-and-set
UPDATE. No threads here; `logger.jobs.worker` runs jobs.

Every function that changes a job commits. Times are aware UTC and come from this machine's
clock, so workers on several machines need their clocks in step (NTP) to within a small part of
the lease. Each function that reads the clock takes `now=` (an aware UTC datetime) instead, so
tests move time on without waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from logger.errors import NotFound
from logger.jobs import fair, wakeup
from logger.jobs.states import JobLost, JobStateError, one_transcription
from storage.models import Evidence, Job, JobKind, JobStatus
from storage.models.types import utcnow

# Seconds before a failed job's first retry; each further retry waits four times as long.
DEFAULT_BACKOFF_S = 30.0
BACKOFF_FACTOR = 4
# Candidates read per round by the SQLite claim; each is then tried with a compare-and-set.
_SQLITE_CANDIDATES = 8


def enqueue(session: Session, *, evidence_id: int, kind: JobKind, options: dict | None = None,
            max_attempts: int = 3, bulk: bool | None = None) -> Job:
    """Queue a job on an evidence item and commit (see `add_job`). Raises NotFound if there is
    no such item, ValueError if max_attempts < 1."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(f"no evidence #{evidence_id} to queue a {kind} job for")
    with one_transcription(session, evidence_id, kind):
        job = add_job(session, evidence, kind, options=options, max_attempts=max_attempts,
                      bulk=bulk)
        session.commit()
    return job


def add_job(session: Session, evidence: Evidence, kind: JobKind, *,
            options: dict | None = None, max_attempts: int = 3,
            bulk: bool | None = None) -> Job:
    """Add a queued job on `evidence` (a row already flushed) to the session, in its class and
    fair place in line (`bulk` given decides the class; else `logger.jobs.fair` does); the
    caller commits (intake, with the item), which wakes idle workers. Raises ValueError if
    max_attempts < 1."""
    job = Job(**_job_row(session, evidence, kind, options=options, max_attempts=max_attempts,
                         bulk=bulk))
    session.add(job)
    wakeup.announce(session)
    return job


def add_jobs(session: Session, wanted: Iterable[tuple[Evidence, JobKind, dict | None]]) -> None:
    """`add_job` (its defaults) for each (evidence, kind, options), in one INSERT and without
    making a Job object for each (at an import of small files, making them was a tenth of the
    CPU). The caller commits."""
    rows = [_job_row(session, evidence, kind, options=options)
            for evidence, kind, options in wanted]
    if rows:
        session.execute(sa.insert(Job), rows)
        wakeup.announce(session)


def _job_row(session: Session, evidence: Evidence, kind: JobKind, *, options: dict | None,
             max_attempts: int = 3, bulk: bool | None = None) -> dict:
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    kind = JobKind(kind)
    priority = fair.priority_of(session, evidence, bulk=bulk)
    flow = fair.flow_of(evidence, kind)
    return dict(evidence_id=evidence.id, kind=kind, options=dict(options or {}),
                max_attempts=max_attempts, group_key=fair.group_of(session, evidence),
                flow_key=flow, priority=priority,
                fair_seq=fair.place_in_line(session, flow, priority))


def claim_next_job(session: Session, *, worker_id: str, kinds: Collection[JobKind],
                   lease_s: float, evidence_id: int | None = None,
                   now: datetime | None = None) -> Job | None:
    """Claim the next claimable job of `kinds` (of one evidence item when `evidence_id` is
    given) for `worker_id` and commit; None when there is none right now.

    Claimable: queued with `not_before` passed or unset, or running with its lease expired (its
    worker died). Next: a job whose worker died first (it was taken before), then the queued
    one of the first class (`Job.priority`) lowest in line (`Job.fair_seq`), then the oldest.
    The claimed job is running with `attempts` one higher, `started_at` now and a lease of
    `lease_s` seconds. A job with an expired lease whose attempts are used up is marked failed
    (a worker stopped on it every time) instead, and the search goes on.
    """
    if not kinds:
        return None
    kinds = [JobKind(k) for k in kinds]
    clock = utcnow if now is None else lambda: now
    if session.get_bind().dialect.name == "postgresql":
        return _claim_skip_locked(session, worker_id, kinds, lease_s, evidence_id, clock)
    return _claim_compare_and_set(session, worker_id, kinds, lease_s, evidence_id, clock)


def renew_lease(session: Session, job_id: int, *, worker_id: str, lease_s: float,
                now: datetime | None = None) -> bool:
    """Extend our lease on a running job to `lease_s` seconds from now and commit. False if the
    job is no longer ours (cancelled, deleted, or claimed by another worker)."""
    now = now or utcnow()
    return _update_ours(session, job_id, worker_id,
                        {"lease_expires_at": now + timedelta(seconds=lease_s)})


def set_progress(session: Session, job_id: int, *, worker_id: str, progress: float) -> bool:
    """Record how far a running job of ours is (clamped to 0..1) and commit; the lease is not
    renewed. False if the job is no longer ours. Raises ValueError for NaN."""
    if progress != progress:
        raise ValueError("progress must be a number between 0 and 1, got NaN")
    return _update_ours(session, job_id, worker_id,
                        {"progress": min(1.0, max(0.0, float(progress)))})


def finish_job(session: Session, job_id: int, *, worker_id: str,
               now: datetime | None = None) -> None:
    """Mark our running job done (progress 1, `finished_at` now, error cleared) and commit.
    Raises JobLost if it is no longer ours."""
    if not _update_ours(session, job_id, worker_id, {
            "status": JobStatus.done, "progress": 1.0, "error": None, "lease_expires_at": None,
            "finished_at": now or utcnow()}):
        raise _lost(session, job_id, worker_id)


def fail_job(session: Session, job_id: int, *, worker_id: str, error: str,
             backoff_s: float = DEFAULT_BACKOFF_S, permanent: bool = False,
             now: datetime | None = None, error_texts: dict[str, str] | None = None) -> Job:
    """Record that an attempt of our running job failed with `error` (plain words; in each
    language `error_texts` where it has them) and commit.

    With attempts left (and not `permanent`) the job goes back to queued, not claimable for
    `backoff_s * 4**(attempts-1)` seconds, the error kept for people to see; otherwise it is
    failed. Never done. Returns the job as stored; raises JobLost if it is no longer ours.
    """
    job = _fresh(session, job_id)
    if job is None or job.status != JobStatus.running or job.worker_id != worker_id:
        raise _lost(session, job_id, worker_id)
    error = error.strip() or "failed without saying why"
    now = now or utcnow()
    if permanent or job.attempts >= job.max_attempts:
        changes = dict(status=JobStatus.failed, finished_at=now)
    else:
        delay = backoff_s * BACKOFF_FACTOR ** max(0, job.attempts - 1)
        changes = dict(status=JobStatus.queued, worker_id=None,
                       not_before=now + timedelta(seconds=delay))
        wakeup.announce(session)  # idle workers set their timers to the retry
    # attempts in the condition: the row read above is the row changed.
    if not _update_ours(session, job_id, worker_id,
                        {"error": error, "error_texts": error_texts, "lease_expires_at": None,
                         **changes},
                        expect_attempts=job.attempts):
        raise _lost(session, job_id, worker_id)
    return _fresh(session, job_id)


def release_job(session: Session, job_id: int, *, worker_id: str) -> bool:
    """Give our running job back to the queue without counting the attempt (the worker is
    stopping, not failing) and commit. False if it was no longer ours."""
    job = _fresh(session, job_id)
    if job is None or job.status != JobStatus.running or job.worker_id != worker_id:
        return False
    wakeup.announce(session)
    return _update_ours(session, job_id, worker_id, {
        "status": JobStatus.queued, "attempts": max(0, job.attempts - 1), "worker_id": None,
        "lease_expires_at": None, "started_at": None, "progress": 0.0,
    }, expect_attempts=job.attempts)


def cancel_job(session: Session, job_id: int, *, now: datetime | None = None) -> Job:
    """Cancel a queued or running job and commit; a running worker notices at its next progress
    report or lease renewal and stops. Cancelling a cancelled job changes nothing. Raises
    NotFound, or JobStateError for a job already done or failed."""
    result = session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status.in_([JobStatus.queued, JobStatus.running]))
        .values(status=JobStatus.cancelled, lease_expires_at=None, not_before=None,
                finished_at=now or utcnow())
        .execution_options(synchronize_session=False))
    session.commit()
    job = _fresh(session, job_id)
    if job is None:
        raise NotFound(f"no job #{job_id}")
    if result.rowcount == 0 and job.status != JobStatus.cancelled:
        raise JobStateError(f"job #{job_id} is already {job.status}; there is nothing to cancel")
    return job


def retry_job(session: Session, job_id: int) -> Job:
    """Queue a failed or cancelled job again with its attempts reset, and commit. Raises
    NotFound, or JobStateError for a job that is queued, running or done."""
    wakeup.announce(session)
    job = _fresh(session, job_id)
    if job is None:
        raise NotFound(f"no job #{job_id}")
    with one_transcription(session, job.evidence_id, job.kind):
        result = session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status.in_([JobStatus.failed, JobStatus.cancelled]))
            .values(status=JobStatus.queued, attempts=0, error=None, progress=0.0,
                    worker_id=None, lease_expires_at=None, not_before=None, started_at=None,
                    finished_at=None)
            .execution_options(synchronize_session=False))
        session.commit()
    job = _fresh(session, job_id)
    if result.rowcount == 0:
        hint = " (to run it again with other options, queue a new job)" \
            if job.status == JobStatus.done else ""
        raise JobStateError(f"job #{job_id} is {job.status}; only failed or cancelled jobs can "
                            f"be retried{hint}")
    return job


def list_jobs(session: Session, *, kinds: Iterable[JobKind] | None = None,
              evidence_id: int | None = None,
              statuses: Iterable[JobStatus] | None = None) -> list[Job]:
    """Jobs matching every filter given, oldest first."""
    query = select(Job).order_by(Job.id)
    if kinds is not None:
        query = query.where(Job.kind.in_(list(kinds)))
    if evidence_id is not None:
        query = query.where(Job.evidence_id == evidence_id)
    if statuses is not None:
        query = query.where(Job.status.in_(list(statuses)))
    return list(session.exec(query.execution_options(populate_existing=True)).all())


def next_due(session: Session, *, kinds: Collection[JobKind], evidence_id: int | None = None
             ) -> datetime | None:
    """When a job of `kinds` that is not claimable now may become so without anyone queuing
    it: the earliest retry back-off to end or lease to run out; None when there is neither."""
    if not kinds:
        return None
    scope = [Job.kind.in_([JobKind(k) for k in kinds])]
    if evidence_id is not None:
        scope.append(Job.evidence_id == evidence_id)
    backoff = sa.select(sa.func.min(Job.not_before)).where(
        Job.status == JobStatus.queued, Job.not_before.is_not(None), *scope)
    lease = sa.select(sa.func.min(Job.lease_expires_at)).where(
        Job.status == JobStatus.running, *scope)
    times = [t for t in (session.execute(backoff).scalar(), session.execute(lease).scalar())
             if t is not None]
    session.commit()
    return min(times, default=None)


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(Job.status == JobStatus.queued,
                sa.or_(Job.not_before.is_(None), Job.not_before <= now)),
        sa.and_(Job.status == JobStatus.running, Job.lease_expires_at < now),
    )


def _filters(kinds: list[JobKind], evidence_id: int | None, now: datetime) -> list:
    conditions = [Job.kind.in_(kinds), _claimable(now)]
    if evidence_id is not None:
        conditions.append(Job.evidence_id == evidence_id)
    return conditions


def _in_line(kinds: list[JobKind], evidence_id: int | None, now: datetime) -> list:
    """The claimable jobs in the order they are taken, as two queries (each walks ix_job_claim
    in order and stops at the first that fits, where one query with an OR would sort the whole
    queue): running jobs whose lease has passed, then queued ones."""
    def in_order(*conditions) -> sa.Select:
        if evidence_id is not None:
            conditions = (*conditions, Job.evidence_id == evidence_id)
        return select(Job).where(Job.kind.in_(kinds), *conditions) \
            .order_by(Job.priority, Job.fair_seq, Job.id).execution_options(populate_existing=True)
    return [in_order(Job.status == JobStatus.running, Job.lease_expires_at < now),
            in_order(Job.status == JobStatus.queued,
                     sa.or_(Job.not_before.is_(None), Job.not_before <= now))]


def _exhausted(job: Job) -> bool:
    return job.status == JobStatus.running and job.attempts >= job.max_attempts


def _stopped_message(job: Job) -> str:
    times = "once" if job.attempts == 1 else f"{job.attempts} times"
    return (f"the worker stopped {times} while working on it (crashed, killed or lost its "
            "database connection); retry it once the cause is fixed")


def _claim_values(worker_id: str, lease_s: float, now: datetime) -> dict:
    return dict(status=JobStatus.running, worker_id=worker_id, attempts=Job.attempts + 1,
                lease_expires_at=now + timedelta(seconds=lease_s), started_at=now,
                finished_at=None, not_before=None, progress=0.0)


def _claim_skip_locked(session: Session, worker_id: str, kinds: list[JobKind], lease_s: float,
                       evidence_id: int | None, clock: Callable[[], datetime]) -> Job | None:
    while True:
        now = clock()
        # Rows another transaction is claiming are skipped, not waited for; READ COMMITTED
        # re-checks the WHERE clause on a row changed since the statement began.
        job = None
        for query in _in_line(kinds, evidence_id, now):
            job = session.exec(query.limit(1).with_for_update(skip_locked=True)).first()
            if job is not None:
                break
        if job is None:
            session.commit()
            return None
        if _exhausted(job):
            job.status, job.error, job.finished_at = JobStatus.failed, _stopped_message(job), now
            job.lease_expires_at = None
            session.commit()
            continue
        session.execute(sa.update(Job).where(Job.id == job.id)
                        .values(**_claim_values(worker_id, lease_s, now))
                        .execution_options(synchronize_session=False))
        session.commit()
        return _fresh(session, job.id)


def _claim_compare_and_set(session: Session, worker_id: str, kinds: list[JobKind],
                           lease_s: float, evidence_id: int | None,
                           clock: Callable[[], datetime]) -> Job | None:
    while True:
        now = clock()
        candidates = [job for query in _in_line(kinds, evidence_id, now)
                      for job in session.exec(query.limit(_SQLITE_CANDIDATES)).all()]
        # End the read before writing: a write in a transaction that began with a read fails at
        # once (SQLITE_BUSY_SNAPSHOT) if another connection wrote in between.
        session.commit()
        if not candidates:
            return None
        for job in candidates:
            # The same conditions again, in the UPDATE: it changes nothing if another worker
            # claimed (or a person cancelled) the job since it was read.
            still = [Job.id == job.id, *_filters(kinds, evidence_id, now)]
            if _exhausted(job):
                values = dict(status=JobStatus.failed, error=_stopped_message(job),
                              finished_at=now, lease_expires_at=None)
                still.append(Job.attempts == job.attempts)
            else:
                values = _claim_values(worker_id, lease_s, now)
            result = session.execute(sa.update(Job).where(*still).values(**values)
                                     .execution_options(synchronize_session=False))
            session.commit()
            if result.rowcount == 1 and values["status"] == JobStatus.running:
                return _fresh(session, job.id)


def _update_ours(session: Session, job_id: int, worker_id: str, values: dict, *,
                 expect_attempts: int | None = None) -> bool:
    conditions = [Job.id == job_id, Job.worker_id == worker_id, Job.status == JobStatus.running]
    if expect_attempts is not None:
        conditions.append(Job.attempts == expect_attempts)
    result = session.execute(sa.update(Job).where(*conditions).values(**values)
                             .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def _fresh(session: Session, job_id: int) -> Job | None:
    job = session.exec(select(Job).where(Job.id == job_id)
                       .execution_options(populate_existing=True)).first()
    # Reading begins a transaction on PostgreSQL; end it so the session holds nothing open
    # (commit, not rollback: a rollback would expire the objects returned to the caller).
    session.commit()
    return job


def _lost(session: Session, job_id: int, worker_id: str) -> JobLost:
    job = _fresh(session, job_id)
    if job is None:
        return JobLost(f"job #{job_id} no longer exists (its evidence was deleted)")
    if job.status == JobStatus.cancelled:
        return JobLost(f"job #{job_id} was cancelled while it ran")
    if job.worker_id != worker_id:
        return JobLost(f"job #{job_id} was taken over by worker {job.worker_id} after this "
                       "worker's lease ran out (the machine was too busy to renew it, or its "
                       "clock is off)")
    return JobLost(f"job #{job_id} is {job.status}, no longer running here")
