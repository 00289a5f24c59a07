"""One transcription of an item waiting or running at a time, held by the database
(ix_job_one_active_transcription, revision 0022): two requests that both passed
`request_transcription`'s check at the same moment queue one job, and the other is told why;
retrying an old transcription while another waits is refused the same way. A database that
already held two keeps the oldest when it is migrated."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from logger.jobs import queue as jobs
from logger.jobs.queue import JobStateError
from storage.models import Job, JobKind, JobStatus
from tests.jobs.test_jobs import make_items
from tests.support.migrations import downgrade, insert_old_rows, old_engine, upgrade

T = JobKind.transcribe


def active(services, item: int) -> list[int]:
    with services.session() as session:
        return list(session.exec(sa.select(Job.id).where(
            Job.evidence_id == item, Job.kind == T,
            Job.status.in_([JobStatus.queued, JobStatus.running]))).scalars())


def test_a_second_transcription_queued_at_the_same_moment_is_refused(any_db):
    services = any_db
    item, other = make_items(services, 2)
    # two sessions that have both checked and found nothing waiting
    with services.session() as first, services.session() as second:
        jobs.enqueue(first, evidence_id=item, kind=T)
        with pytest.raises(JobStateError, match="already waiting or running"):
            jobs.enqueue(second, evidence_id=item, kind=T)
        jobs.enqueue(second, evidence_id=other, kind=T)   # the session is usable after
        jobs.enqueue(second, evidence_id=item, kind=JobKind.ocr)  # other kinds are not limited
    assert len(active(services, item)) == 1 and len(active(services, other)) == 1


def test_retrying_an_old_transcription_while_another_waits_is_refused(any_db):
    services = any_db
    [item] = make_items(services, 1)
    with services.session() as session:
        old = jobs.enqueue(session, evidence_id=item, kind=T).id
        jobs.cancel_job(session, old)
        new = jobs.enqueue(session, evidence_id=item, kind=T).id
        with pytest.raises(JobStateError, match="already waiting or running"):
            jobs.retry_job(session, old)
    assert active(services, item) == [new]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_migration_0022_keeps_the_oldest_of_two_waiting_transcriptions(request, tmp_path,
                                                                       backend):
    engine = old_engine(request, tmp_path, backend)
    try:
        upgrade(engine, "0021")
        rows = [f"INSERT INTO job (id, kind, evidence_id, status, attempts, progress, options, "
                f"max_attempts, fair_seq, priority, created_at, updated_at) VALUES ({n}, "
                f"'{kind}', 1, '{status}', 0, 0, '{{}}', 3, {n}, 0, :t, :t)"
                for n, kind, status in ((1, "transcribe", "running"), (2, "transcribe", "queued"),
                                        (3, "transcribe", "done"), (4, "ocr", "queued"))]
        with engine.begin() as connection:
            insert_old_rows(connection, *rows)
        upgrade(engine, "0022")
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT id, status, error FROM job ORDER BY id")).all()
            indexes = {i["name"] for i in sa.inspect(connection).get_indexes("job")}
        assert [(r.id, r.status) for r in kept] == [(1, "running"), (2, "cancelled"),
                                                    (3, "done"), (4, "queued")]
        assert "revision 0022" in kept[1].error
        assert "ix_job_one_active_transcription" in indexes
        downgrade(engine, "0021")
        with engine.connect() as connection:
            indexes = {i["name"] for i in sa.inspect(connection).get_indexes("job")}
        assert "ix_job_one_active_transcription" not in indexes
    finally:
        engine.dispose()
