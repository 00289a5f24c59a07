"""A fair job queue (issue 19, item 5): one bulk import's thousands of jobs no longer hold back a
file uploaded after it. Jobs carry the import they came from (the item at the root of their
evidence) and a place in line; workers take one job of each import in turn. On SQLCipher and
PostgreSQL, with the queue's injected clock (`now=`), never a sleep; with concurrent workers,
leases and retries as before; and the claim reads an index, not the whole queue, with 10,000
jobs waiting."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from logger.accounts import add_user
from logger.jobs import queue as jobs
from storage.models import (Evidence, EvidenceKind, Job, JobKind, JobStatus, Negotiation,
                            User, utcnow)
from tests.support.common import make_negotiation_in
from tests.support.jobs import assert_claim_walks_index
from tests.support.migrations import downgrade, insert_old_rows, old_engine, upgrade

PARSE = JobKind.parse_email
KINDS = tuple(JobKind)
T0 = utcnow()


def make_evidence(session, negotiation_id: int, count: int, *, parent: int | None = None,
                  kind: EvidenceKind = EvidenceKind.email) -> list[int]:
    """`count` evidence rows (the queue reads rows, not blobs), children of `parent`."""
    rows = [Evidence(negotiation_id=negotiation_id, kind=kind, original_filename=f"m{i}.eml",
                     media_type="message/rfc822", size=1, sha256=secrets.token_hex(32),
                     blob_id=secrets.token_hex(16), parent_id=parent) for i in range(count)]
    session.add_all(rows)
    session.commit()
    return [row.id for row in rows]


@pytest.fixture
def world(any_db):
    with any_db.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation = make_negotiation_in(session, owner)
        [mailbox] = make_evidence(session, negotiation.id, 1)
    return any_db, negotiation.id, mailbox


def import_jobs(services, negotiation_id: int, mailbox: int, count: int) -> list[int]:
    """What a mailbox's split leaves: `count` messages, children of `mailbox`, each with its
    parse_email job, queued one after the other (as the split commits each message)."""
    with services.session() as session:
        children = make_evidence(session, negotiation_id, count, parent=mailbox)
        return [jobs.enqueue(session, evidence_id=child, kind=PARSE).id for child in children]


def upload_job(services, negotiation_id: int) -> int:
    """A file uploaded on its own, and its job."""
    with services.session() as session:
        [item] = make_evidence(session, negotiation_id, 1, kind=EvidenceKind.document)
        return jobs.enqueue(session, evidence_id=item, kind=JobKind.extract_pdf).id


def claim(services, n: int, worker: str = "w1") -> Job | None:
    with services.session() as session:
        return jobs.claim_next_job(session, worker_id=worker, kinds=KINDS, lease_s=60,
                                   now=T0 + timedelta(seconds=n))


def finish(services, job: Job, n: int) -> None:
    with services.session() as session:
        jobs.finish_job(session, job.id, worker_id=job.worker_id,
                        now=T0 + timedelta(seconds=n))


def test_an_upload_after_a_bulk_import_is_taken_within_the_first_claims(world):
    services, negotiation, mailbox = world
    bulk = import_jobs(services, negotiation, mailbox, 1000)
    upload = upload_job(services, negotiation)

    order = []
    for n in range(3):
        job = claim(services, n)
        order.append(job.id)
        finish(services, job, n)
    assert upload in order[:2], f"the upload's job #{upload} was not among {order}"
    # The import's own jobs keep their order, and none is skipped.
    rest = [claim(services, 10).id for _ in range(20)]
    assert [j for j in order + rest if j != upload] == bulk[:22]
    with services.session() as session:
        waiting = session.execute(sa.select(Job.id).where(Job.status == JobStatus.queued)
                                  .order_by(Job.id)).scalars().all()
    assert waiting == bulk[22:]


def test_an_upload_during_the_import_is_taken_after_the_job_being_worked_on(world):
    services, negotiation, mailbox = world
    with services.session() as session:
        split = jobs.enqueue(session, evidence_id=mailbox, kind=PARSE)
    running = claim(services, 0)
    assert running.id == split.id
    # While the mailbox's job runs, it queues one job per message.
    bulk = import_jobs(services, negotiation, mailbox, 300)
    finish(services, running, 1)
    for n in range(2, 12):  # the worker is ten messages in
        job = claim(services, n)
        assert job.id == bulk[n - 2]
        finish(services, job, n)
    upload = upload_job(services, negotiation)
    assert claim(services, 20).id == upload


def test_two_imports_take_turns_and_each_keeps_its_order(world):
    # In two negotiations: one negotiation's imports of one kind go in order (issue 17).
    services, negotiation, first_box = world
    with services.session() as session:
        owner = session.get(User, session.get(Negotiation, negotiation).owner_id)
        other = make_negotiation_in(session, owner).id
        [second_box] = make_evidence(session, other, 1)
    first = import_jobs(services, negotiation, first_box, 100)
    second = import_jobs(services, other, second_box, 100)

    taken = []
    for n in range(40):
        job = claim(services, n)
        taken.append(job.id)
        finish(services, job, n)
    from_first = [j for j in taken if j in set(first)]
    from_second = [j for j in taken if j in set(second)]
    assert from_first == first[:20] and from_second == second[:20]
    # Turns: never two of one import in a row while both are waiting.
    groups = ["a" if j in set(first) else "b" for j in taken]
    assert all(x != y for x, y in zip(groups, groups[1:])), "".join(groups)


def test_attachments_of_the_messages_belong_to_the_import(world):
    services, negotiation, mailbox = world
    with services.session() as session:
        [message] = make_evidence(session, negotiation, 1, parent=mailbox)
        [attachment] = make_evidence(session, negotiation, 1, parent=message,
                                     kind=EvidenceKind.document)
        job = jobs.enqueue(session, evidence_id=attachment, kind=JobKind.extract_pdf)
        mine = jobs.enqueue(session, evidence_id=mailbox, kind=PARSE)
    assert job.group_key == mine.group_key == f"evidence:{mailbox}"


def test_concurrent_workers_take_each_job_once_in_fair_order(world):
    services, negotiation, mailbox = world
    bulk = import_jobs(services, negotiation, mailbox, 100)
    uploads = [upload_job(services, negotiation) for _ in range(10)]
    taken: dict[str, list[int]] = {}
    start = threading.Barrier(4)
    errors = []

    def work(worker: str) -> None:
        try:
            start.wait()
            mine = taken.setdefault(worker, [])
            while (job := claim(services, 0, worker)) is not None:
                mine.append(job.id)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    every = [j for ids in taken.values() for j in ids]
    assert sorted(every) == sorted(bulk + uploads)  # each job exactly once


def test_a_dead_workers_job_and_a_retry_keep_their_place(world):
    services, negotiation, mailbox = world
    bulk = import_jobs(services, negotiation, mailbox, 50)
    first = claim(services, 0, "dies")
    assert first.id == bulk[0]
    # The lease (60 s) runs out: the job is taken again before anything else.
    again = claim(services, 61, "w2")
    assert (again.id, again.attempts) == (first.id, 2)
    with services.session() as session:
        retry = jobs.fail_job(session, again.id, worker_id="w2", error="boom", backoff_s=30,
                              now=T0 + timedelta(seconds=62))
    meanwhile = claim(services, 63)                  # backing off: the next one meanwhile
    assert meanwhile.id == bulk[1]
    finish(services, meanwhile, 64)
    after = (retry.not_before - T0).total_seconds() + 1
    assert claim(services, after).id == first.id     # then it is first in line again


def test_the_claim_walks_an_index_with_ten_thousand_jobs_queued(world):
    services, negotiation, mailbox = world
    [item] = import_jobs(services, negotiation, mailbox, 1)
    with services.session() as session:
        session.execute(sa.insert(Job), [
            {"kind": PARSE, "evidence_id": mailbox, "status": JobStatus.queued, "options": {},
             "group_key": f"evidence:{mailbox}", "fair_seq": n, "attempts": 0,
             "max_attempts": 3, "progress": 0.0, "created_at": T0, "updated_at": T0}
            for n in range(1, 10_001)])
        session.commit()
        assert_claim_walks_index(session, KINDS, T0)
        # And the claims themselves: one job of the line each.
        session.commit()
    assert claim(services, 0).id == item


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_0010_keeps_old_queued_jobs_first_and_downgrades(request, tmp_path, backend):
    engine = old_engine(request, tmp_path, backend)
    try:
        upgrade(engine, "0009")
        with engine.begin() as connection:
            insert_old_rows(connection, "INSERT INTO job (id, kind, evidence_id, status, attempts, "
                            "progress, options, max_attempts, created_at, updated_at) VALUES "
                            "(1, 'transcribe', 1, 'queued', 0, 0, '{}', 3, :t, :t)")
        upgrade(engine, "0010")
        with engine.connect() as connection:
            row = connection.execute(text("SELECT group_key, fair_seq FROM job")).one()
        assert tuple(row) == (None, 0)
        downgrade(engine, "0009")
        with engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("job")}
            indexes = {i["name"] for i in sa.inspect(connection).get_indexes("job")}
        assert not {"group_key", "fair_seq"} & columns
        assert not {"ix_job_claim", "ix_job_group"} & indexes
    finally:
        engine.dispose()
