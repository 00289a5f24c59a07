"""The order jobs are taken in (issue 17, `logger.jobs.fair`), on SQLCipher and PostgreSQL: a
file uploaded on its own goes before a 10,000-message mailbox queued earlier; negotiations take
turns; kinds take turns; what makes a job bulk; a batch places its jobs without a query per job;
and migration 0020 both ways. Time is the queue's injected clock (`now=`), never a sleep."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event, text

from logger.accounts import add_user
from logger.jobs import queue as jobs
from logger.jobs.fair import JobPriority
from storage.models import Evidence, EvidenceKind, Job, JobKind, utcnow
from tests.support.common import make_negotiation_in
from tests.support.jobs import assert_claim_walks_index
from tests.support.migrations import downgrade, insert_old_rows, old_engine, upgrade

PARSE, OCR, T = JobKind.parse_email, JobKind.ocr, JobKind.transcribe
T0 = utcnow()


@pytest.fixture
def world(any_db):
    """An open data dir and two negotiations of one owner."""
    with any_db.session() as session:
        owner = add_user(session, "owner", "owner-password")
        first, second = (make_negotiation_in(session, owner).id for _ in range(2))
    return any_db, first, second


def items(session, negotiation_id: int, count: int, *, parent: int | None = None) -> list[int]:
    """`count` evidence rows (the queue reads rows, not blobs), children of `parent`."""
    rows = [Evidence(negotiation_id=negotiation_id, kind=EvidenceKind.email,
                     original_filename=f"m{i}.eml", media_type="message/rfc822", size=1,
                     sha256=secrets.token_hex(32), blob_id=secrets.token_hex(16),
                     parent_id=parent) for i in range(count)]
    session.add_all(rows)
    session.flush()
    return rows


def mailbox(services, negotiation_id: int, messages: int, kind: JobKind = PARSE) -> list[int]:
    """A mailbox split into `messages` items, each with its job, queued in one transaction (as
    a batching intake does); returns the jobs' ids in order."""
    with services.session() as session:
        [box] = items(session, negotiation_id, 1)
        queued = [jobs.add_job(session, child, kind)
                  for child in items(session, negotiation_id, messages, parent=box.id)]
        session.commit()
        return [job.id for job in queued]


def upload(services, negotiation_id: int, kind: JobKind = JobKind.extract_pdf) -> Job:
    """A file uploaded on its own (its own request, so its own session), and its job."""
    with services.session() as session:
        [item] = items(session, negotiation_id, 1)
        job = jobs.add_job(session, item, kind)
        session.commit()
        return job


def take(services, n: int, kinds=tuple(JobKind)) -> Job | None:
    """Claim the next job at second `n` and finish it."""
    now = T0 + timedelta(seconds=n)
    with services.session() as session:
        job = jobs.claim_next_job(session, worker_id="w", kinds=kinds, lease_s=60, now=now)
        if job is not None:
            jobs.finish_job(session, job.id, worker_id="w", now=now)
    return job


def test_an_upload_goes_before_a_ten_thousand_message_mailbox(world):
    services, negotiation, _ = world
    # Uploads done before: the upload's place in its own line is ahead of the mailbox's.
    earlier = [upload(services, negotiation).id for _ in range(10)]
    assert [take(services, n).id for n in range(10)] == earlier
    bulk = mailbox(services, negotiation, 10_000)
    assert take(services, 10).id == bulk[0]         # the worker is on the mailbox
    mine = upload(services, negotiation)
    assert mine.priority == JobPriority.interactive and mine.fair_seq > 1
    assert take(services, 11).id == mine.id
    assert [take(services, 12 + n).id for n in range(3)] == bulk[1:4]


def test_two_negotiations_take_turns(world):
    services, first, second = world
    a = mailbox(services, first, 30)
    b = mailbox(services, second, 30)
    taken = [take(services, n).id for n in range(20)]
    assert taken == [job for pair in zip(a[:10], b[:10]) for job in pair]


def test_a_transcription_backlog_does_not_hold_back_ocr(world):
    services, negotiation, _ = world
    backlog = mailbox(services, negotiation, 200, kind=T)
    first = [take(services, n).id for n in range(5)]
    scans = mailbox(services, negotiation, 3, kind=OCR)
    after = [take(services, 5 + n).id for n in range(6)]
    assert first == backlog[:5]
    # Turns: the first scan next, then one of each kind.
    assert after == [scans[0], backlog[5], scans[1], backlog[6], scans[2], backlog[7]]


def test_what_makes_a_job_bulk(world):
    services, negotiation, _ = world
    with services.session() as session:
        alone, second = items(session, negotiation, 2)
        classes = [jobs.add_job(session, alone, OCR).priority,
                   jobs.add_job(session, alone, T).priority,        # same item: same class
                   jobs.add_job(session, second, OCR).priority]     # many files: bulk
        [child] = items(session, negotiation, 1, parent=alone.id)
        classes.append(jobs.add_job(session, child, OCR).priority)  # taken from another
        session.commit()
    with services.session() as session:
        again = session.get(Evidence, alone.id)
        # Its own session, but the item has children: the rest of a mailbox's split.
        classes.append(jobs.add_job(session, again, PARSE).priority)
        session.commit()
    with services.session() as session:
        [rerun] = items(session, negotiation, 1)
        classes.append(jobs.add_job(session, rerun, OCR, bulk=True).priority)
        session.commit()
    assert classes == [JobPriority.interactive] * 2 + [JobPriority.bulk] * 4


def test_a_batch_reads_each_flow_once(world):
    services, negotiation, _ = world
    statements = []
    engine = services.engine

    def count(conn, cursor, statement, *args) -> None:
        if "max(job.fair_seq)" in statement.lower():
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        mailbox(services, negotiation, 500)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The flow's last place and the place served now (running, then done): three seeks, not
    # three per job.
    assert len(statements) <= 3, statements


def test_jobs_added_together_are_the_jobs_added_one_by_one(world):
    """`add_jobs` (one INSERT, as intake queues a batch's jobs) stores what `add_job` would."""
    services, first, second = world
    columns = ("evidence_id", "kind", "status", "options", "group_key", "flow_key", "priority",
               "fair_seq", "attempts", "max_attempts", "not_before", "progress")
    stored = []
    for negotiation, together in ((first, False), (second, True)):
        with services.session() as session:
            [box] = items(session, negotiation, 1)
            wanted = [(item, kind, {"n": n}) for n, item in enumerate(
                [box, *items(session, negotiation, 3, parent=box.id)]) for kind in (OCR, PARSE)]
            if together:
                jobs.add_jobs(session, wanted)
            else:
                for item, kind, options in wanted:
                    jobs.add_job(session, item, kind, options=options)
            session.commit()
            rows = session.exec(sa.select(Job).join(Evidence).where(
                Evidence.negotiation_id == negotiation).order_by(Job.id)).scalars().all()
            stored.append([{c: getattr(job, c) for c in columns} for job in rows])
            assert all(job.created_at is not None and job.updated_at is not None for job in rows)
    one_by_one, together = stored
    offset = together[0]["evidence_id"] - one_by_one[0]["evidence_id"]
    assert len(together) == len(one_by_one) == 8
    assert [{**row, "evidence_id": row["evidence_id"] - offset,
             "flow_key": row["flow_key"].replace(f"negotiation:{second}", f"negotiation:{first}"),
             "group_key": f"evidence:{int(row['group_key'].split(':')[1]) - offset}"}
            for row in together] == one_by_one


def test_the_claim_walks_the_class_and_line_index(world):
    services, negotiation, _ = world
    mailbox(services, negotiation, 2_000)
    upload(services, negotiation)
    with services.session() as session:
        assert_claim_walks_index(session, JobKind, T0)
        session.commit()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_migration_0020_fills_class_and_flow_and_downgrades(request, tmp_path, backend):
    engine = old_engine(request, tmp_path, backend)
    try:
        upgrade(engine, "0019")
        with engine.begin() as connection:
            insert_old_rows(
                connection,
                "INSERT INTO evidence (id, negotiation_id, kind, direction, original_filename, "
                "media_type, size, sha256, blob_id, extracted_metadata, created_at, parent_id) "
                "VALUES (2, 1, 'email', 'unknown', 'm.eml', 'message/rfc822', 1, 'cd', 'b2', "
                "'{}', :t, 1)",
                *(f"INSERT INTO job (id, kind, evidence_id, status, attempts, progress, options, "
                  f"max_attempts, fair_seq, created_at, updated_at) VALUES ({n}, 'ocr', {n}, "
                  f"'queued', 0, 0, '{{}}', 3, 7, :t, :t)" for n in (1, 2)))
        upgrade(engine, "0020")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, flow_key, priority, fair_seq FROM job "
                                           "ORDER BY id")).all()
            indexes = {i["name"]: i["column_names"]
                       for i in sa.inspect(connection).get_indexes("job")}
        assert [tuple(r) for r in rows] == [(1, "negotiation:1/ocr", 0, 7),
                                            (2, "negotiation:1/ocr", 1, 7)]
        assert indexes["ix_job_claim"] == ["status", "priority", "fair_seq", "id"]
        assert {"ix_job_flow", "ix_job_backoff"} <= set(indexes)
        assert "ix_job_group" not in indexes
        downgrade(engine, "0019")
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("job")}
            indexes = {i["name"]: i["column_names"]
                       for i in sa.inspect(connection).get_indexes("job")}
            kept = connection.execute(text("SELECT count(*) FROM job")).scalar()
        assert not {"flow_key", "priority"} & columns
        assert indexes["ix_job_claim"] == ["status", "fair_seq", "id"]
        assert indexes["ix_job_group"] == ["group_key", "fair_seq"]
        assert not {"ix_job_flow", "ix_job_backoff"} & set(indexes)
        assert kept == 2
    finally:
        engine.dispose()


def test_a_failed_upload_is_retried_before_the_bulk_work(world):
    services, negotiation, _ = world
    bulk = mailbox(services, negotiation, 5)
    mine = upload(services, negotiation)
    with services.session() as session:
        job = jobs.claim_next_job(session, worker_id="w", kinds=tuple(JobKind), lease_s=60,
                                  now=T0)
        assert job.id == mine.id
        jobs.fail_job(session, job.id, worker_id="w", error="boom", backoff_s=30, now=T0)
    assert take(services, 1).id == bulk[0]        # backing off: the bulk work meanwhile
    assert take(services, 31).id == mine.id       # then first again
    with services.session() as session:
        due = jobs.next_due(session, kinds=tuple(JobKind))
    assert due is None
