"""Intake in batches (issue 17): many files to one transaction, each still an item of its own
with its own hash and custody event, the chain whole and verifiable; duplicates and refusals
inside a batch; a failure anywhere in a batch leaves nothing, and the blobs of a batch share
one folder, made durable before the rows that name them."""

import fcntl
import hashlib
import io
import json
import os

import pytest
from sqlmodel import select

from logger.accounts import add_user
from logger.errors import DuplicateEvidence, UnsupportedFile
from logger.intake import ingest as intake_module
from logger.intake.ingest import IncomingFile, IntakeBatch, ingest
from logger.record.custody import verify_chain
from logger.record.verify import verify
from storage.models import CustodyEvent, Evidence, Job
from tests.support.common import make_negotiation_in
from tests.support.intake import make_world


def batch_of(services, session, negotiation, owner) -> IntakeBatch:
    return IntakeBatch(session=session, blobs=services.blobs, negotiation=negotiation,
                       actor=owner, max_bytes=services.config.intake.max_file_bytes,
                       tz=services.config.locale.zone)


def note(number: int) -> bytes:
    return f"还款记录 {number}：本月已还 1000 元。\n".encode() * 20


def add(batch, data: bytes, name: str):
    return batch.add(IncomingFile(io.BytesIO(data), name, source="test"))


class Commits:
    """Counts the database commits of a session."""

    def __init__(self, session, monkeypatch):
        self.count = 0
        commit = session.commit

        def counted():
            self.count += 1
            commit()
        monkeypatch.setattr(session, "commit", counted)


def test_a_batch_commits_once_and_each_file_is_an_item_with_its_own_custody_event(
        services, session, negotiation, owner, monkeypatch):
    ingest(session=session, blobs=services.blobs, source=IncomingFile(io.BytesIO(note(0)),
           "before.txt"), negotiation=negotiation, actor=owner, max_bytes=1 << 20,
           tz=services.config.locale.zone)
    commits = Commits(session, monkeypatch)
    with batch_of(services, session, negotiation, owner) as batch:
        for number in range(1, 31):
            add(batch, note(number), f"记录{number}.txt")
        outcomes = batch.commit()
    assert commits.count == 1
    assert [o.filename for o in outcomes] == [f"记录{n}.txt" for n in range(1, 31)]
    assert all(o.error is None for o in outcomes)
    for number, outcome in enumerate(outcomes, 1):
        item = session.get(Evidence, outcome.evidence.id)
        assert item.sha256 == hashlib.sha256(note(number)).hexdigest()
        with services.blobs.open(item.blob_id) as reader:
            assert reader.read() == note(number)
        [event] = session.exec(select(CustodyEvent).where(
            CustodyEvent.evidence_id == item.id)).all()
        assert (event.action, event.details["sha256"]) == ("intake", item.sha256)
        assert [j.kind for j in session.exec(select(Job).where(Job.evidence_id == item.id))] \
            == ["extract_text"]
    events = session.exec(select(CustodyEvent).order_by(CustodyEvent.seq)).all()
    assert [e.seq for e in events] == list(range(1, 32))
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:]))
    assert verify_chain(session) == (31, [])
    # The batch's blobs went into one folder.
    assert len({services.blobs.path_for(o.evidence.blob_id).parent for o in outcomes}) == 1
    assert verify(session, services.blobs).ok


def test_duplicates_and_refusals_in_a_batch_do_not_stop_the_others(
        services, session, negotiation, owner):
    existing = ingest(session=session, blobs=services.blobs,
                      source=IncomingFile(io.BytesIO(note(1)), "已有.txt"),
                      negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                      tz=services.config.locale.zone)
    with batch_of(services, session, negotiation, owner) as batch:
        add(batch, note(1), "again.txt")      # already evidence
        add(batch, b"", "empty.txt")          # refused
        add(batch, note(2), "new.txt")
        add(batch, note(2), "new copy.txt")   # the same bytes twice in one batch
        again, empty, new, copy = batch.commit()
    assert isinstance(again.error, DuplicateEvidence)
    assert again.error.existing_id == existing.id
    assert isinstance(empty.error, UnsupportedFile)
    assert new.error is None and new.evidence.id is not None
    assert isinstance(copy.error, DuplicateEvidence)
    assert copy.error.existing_id == new.evidence.id
    assert len(session.exec(select(Evidence)).all()) == 2
    # No blob of a duplicate is left behind.
    assert sorted(services.blobs.ids()) == sorted([existing.blob_id, new.evidence.blob_id])
    assert services.blobs.temp_files() == []
    assert verify(session, services.blobs).ok


@pytest.mark.parametrize("where", ["append_events", "add_jobs"])
def test_a_failure_while_the_rows_are_written_leaves_nothing_of_the_batch(
        services, session, negotiation, owner, monkeypatch, where):
    kept = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(note(0)), "kept.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                  tz=services.config.locale.zone)
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("disk on fire")
    target = intake_module.custody if where == "append_events" else intake_module
    monkeypatch.setattr(target, where, broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        with batch_of(services, session, negotiation, owner) as batch:
            for number in range(1, 6):
                add(batch, note(number), f"{number}.txt")
            batch.commit()
    assert calls
    assert [e.id for e in session.exec(select(Evidence))] == [kept.id]
    assert list(services.blobs.ids()) == [kept.blob_id]
    assert services.blobs.temp_files() == []


def test_leaving_the_block_without_committing_keeps_nothing(services, session, negotiation,
                                                             owner):
    with batch_of(services, session, negotiation, owner) as batch:
        add(batch, note(1), "1.txt")
        add(batch, note(2), "2.txt")
    assert session.exec(select(Evidence)).all() == []
    assert list(services.blobs.ids()) == [] and services.blobs.temp_files() == []


def test_until_the_commit_a_batchs_blobs_are_temp_files_then_blobs(services, session,
                                                                    negotiation, owner):
    """Killed before its commit, a batch leaves temp files (or, once settled, orphan blobs)
    that verify names and --repair removes; never a row without its blob."""
    with batch_of(services, session, negotiation, owner) as batch:
        add(batch, note(1), "1.txt")
        add(batch, note(2), "2.txt")
        assert list(services.blobs.ids()) == []
        assert len(services.blobs.temp_files()) == 2
        batch.commit()
        assert len(list(services.blobs.ids())) == 2
        assert services.blobs.temp_files() == []


def test_an_import_cut_short_and_run_again_stores_the_rest_once(cli, tmp_path, monkeypatch,
                                                                services_for):
    world = make_world(cli)
    paths = []
    for number in range(7):
        paths.append(tmp_path / f"记录{number}.txt")
        paths[-1].write_bytes(note(number))
    monkeypatch.setattr(intake_module, "BATCH_ITEMS", 3)
    jobs_added = []
    add_jobs = intake_module.add_jobs

    def dying(*args, **kwargs):   # the process dies while its second batch is written
        jobs_added.append(1)
        if len(jobs_added) > 1:
            raise RuntimeError("killed")
        return add_jobs(*args, **kwargs)
    monkeypatch.setattr(intake_module, "add_jobs", dying)
    with pytest.raises(RuntimeError, match="killed"):
        cli("import", "--negotiation", world, *paths)
    monkeypatch.setattr(intake_module, "add_jobs", add_jobs)

    out = cli("import", "--negotiation", world, *paths, "--json")
    rows = json.loads(out.stdout)
    assert [r["status"] for r in rows] == ["duplicate"] * 3 + ["stored"] * 4
    with services_for() as services, services.session() as session:
        items = session.exec(select(Evidence).order_by(Evidence.id)).all()
        assert [i.original_filename for i in items] == [p.name for p in paths]
        assert verify(session, services.blobs).ok


def test_a_batch_on_either_database(any_db):
    """The same batch, duplicates and chain on SQLCipher and on PostgreSQL."""
    services = any_db
    with services.session() as session:
        owner = add_user(session, "小王", "xiaowang-password")
        negotiation = make_negotiation_in(session, owner)
        with batch_of(services, session, negotiation, owner) as batch:
            for number in range(5):
                add(batch, note(number), f"{number}.txt")
            add(batch, note(0), "again.txt")
            outcomes = batch.commit()
        assert [o.error is None for o in outcomes] == [True] * 5 + [False]
        assert outcomes[-1].error.existing_id == outcomes[0].evidence.id
        assert verify_chain(session) == (5, [])
        assert verify(session, services.blobs).ok


def test_verify_repair_waits_for_a_batch_only_until_its_commit(services, session,
                                                               negotiation, owner):
    """From a batch's first file to its commit the intake lock is held (a repair cannot take
    the batch's blobs for orphans); between batches it is free."""
    def repair_could_start() -> bool:
        fd = os.open(services.blobs.lock_dir / ".intake.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)

    with batch_of(services, session, negotiation, owner) as batch:
        add(batch, note(1), "1.txt")
        assert not repair_could_start()
        batch.commit()
        assert repair_could_start()
        add(batch, note(2), "2.txt")
        assert not repair_could_start()
    assert repair_could_start()
