"""The models on a migrated database, SQLCipher and PostgreSQL alike: aware UTC times, exact
money, enums by value, the constraints that refuse duplicates and forks, foreign-key actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import select

from storage.db import session
from storage.models import (
    CustodyAction,
    CustodyEvent,
    Direction,
    Evidence,
    EvidenceKind,
    ExtractedText,
    Job,
    JobKind,
    JobStatus,
    Negotiation,
    Role,
    TextSource,
    User,
    utcnow,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")




@pytest.fixture
def world(engine):
    """A user, one negotiation and one piece of evidence, committed."""
    with session(engine) as s:
        user = User(name="owner", role=Role.owner)
        s.add(user)
        s.flush()
        negotiation = Negotiation(owner_id=user.id, creditor="招商银行")
        s.add(negotiation)
        s.flush()
        evidence = make_evidence(s, negotiation.id)
        s.commit()
        return user, negotiation, evidence


def make_evidence(s, negotiation_id: int, n: int = 1, **kw) -> Evidence:
    fields = dict(kind=EvidenceKind.call, original_filename=f"call-{n}.m4a",
                  media_type="audio/mp4", size=5 * 2**30, sha256=f"{n:064x}", blob_id=f"{n:032x}")
    item = Evidence(negotiation_id=negotiation_id, **{**fields, **kw})
    s.add(item)
    s.flush()
    return item


def test_datetimes_come_back_as_the_same_instant_in_utc(engine, world):
    _, _, evidence = world
    local = datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    with session(engine) as s:
        s.get(Evidence, evidence.id).occurred_at = local
        s.commit()
    with session(engine) as s:
        back = s.get(Evidence, evidence.id)
        assert back.occurred_at == local
        assert back.occurred_at.tzinfo is UTC
        assert back.occurred_at.hour == 1
        assert back.created_at.tzinfo is UTC
        # Comparison in SQL goes through the same conversion.
        found = s.exec(select(Evidence).where(
            Evidence.occurred_at < datetime(2024, 3, 1, 9, 31, tzinfo=SHANGHAI))).all()
        assert [e.id for e in found] == [evidence.id]


def test_a_naive_datetime_is_refused(engine, world):
    _, _, evidence = world
    with session(engine) as s:
        s.get(Evidence, evidence.id).occurred_at = datetime(2024, 3, 1, 9, 30)
        with pytest.raises(StatementError, match="naive datetime") as caught:
            s.commit()
        assert isinstance(caught.value.orig, ValueError)


def test_money_round_trips_exactly(engine, world):
    user, _, _ = world
    with session(engine) as s:
        s.add(Negotiation(owner_id=user.id, creditor="花呗", principal=Decimal("12345.67"),
                          outstanding=Decimal("98765432109876543.21")))
        s.commit()
    with session(engine) as s:
        got = s.exec(select(Negotiation).where(Negotiation.creditor == "花呗")).one()
        assert got.principal == Decimal("12345.67") and str(got.principal) == "12345.67"
        assert str(got.outstanding) == "98765432109876543.21"
        assert got.currency == "CNY"


def test_a_float_amount_is_refused(engine, world):
    user, _, _ = world
    with session(engine) as s:
        s.add(Negotiation(owner_id=user.id, creditor="x", principal=0.1))
        with pytest.raises(StatementError, match="float"):
            s.commit()


def test_enums_are_stored_by_value(engine, world):
    _, _, evidence = world
    with session(engine) as s:
        s.get(Evidence, evidence.id).direction = Direction.from_them
        s.commit()
    with engine.connect() as c:
        raw = c.execute(text("SELECT kind, direction FROM evidence")).one()
    assert tuple(raw) == ("call", "from_them")
    with session(engine) as s:
        assert s.get(Evidence, evidence.id).direction is Direction.from_them


def test_defaults_and_json_changes_in_place_are_saved(engine, world):
    _, _, evidence = world
    with session(engine) as s:
        item = s.get(Evidence, evidence.id)
        assert item.extracted_metadata == {} and item.direction is Direction.unknown
        item.extracted_metadata["duration_s"] = 61.5
        job = Job(kind=JobKind.transcribe, evidence_id=item.id)
        s.add(job)
        s.commit()
        assert (job.status, job.attempts, job.progress) == (JobStatus.queued, 0, 0.0)
        before = job.updated_at
        job.progress = 0.5
        s.commit()
    with session(engine) as s:
        assert s.get(Evidence, evidence.id).extracted_metadata == {"duration_s": 61.5}
        assert s.get(Job, job.id).updated_at > before


def test_size_holds_files_of_several_gigabytes(engine, world):
    with session(engine) as s:
        assert s.get(Evidence, world[2].id).size == 5 * 2**30


def test_the_same_file_twice_in_one_negotiation_is_refused(engine, world):
    user, negotiation, _ = world
    with session(engine) as s:
        s.add(Evidence(negotiation_id=negotiation.id, kind=EvidenceKind.call,
                       original_filename="again.m4a", media_type="audio/mp4", size=1,
                       sha256=f"{1:064x}", blob_id="f" * 32))
        with pytest.raises(IntegrityError):
            s.commit()
    with session(engine) as s:  # the same content in another negotiation is fine
        other = Negotiation(owner_id=user.id, creditor="other")
        s.add(other)
        s.flush()
        make_evidence(s, other.id, n=1, blob_id="e" * 32)
        s.commit()


def test_custody_chain_cannot_fork(engine, world):
    genesis = "0" * 64
    with session(engine) as s:
        s.add(CustodyEvent(seq=7, action=CustodyAction.intake, prev_hash=genesis, hash="a" * 64,
                           details={"sha256": "x"}))
        s.commit()
        assert s.exec(select(CustodyEvent.seq)).all() == [7]  # kept as given, not generated
    with session(engine) as s:
        s.add(CustodyEvent(seq=8, action=CustodyAction.export, prev_hash=genesis, hash="b" * 64))
        with pytest.raises(IntegrityError):
            s.commit()


def test_foreign_keys_are_enforced(engine, world):
    with session(engine) as s:
        with pytest.raises(IntegrityError):
            make_evidence(s, negotiation_id=999_999, n=2)


def test_deleting_evidence_removes_its_text_and_jobs_and_keeps_its_children(engine, world):
    user, negotiation, evidence = world
    with session(engine) as s:
        child = make_evidence(s, negotiation.id, n=2, parent_id=evidence.id)
        s.add(ExtractedText(evidence_id=evidence.id, source=TextSource.transcript, text="hello"))
        s.add(Job(kind=JobKind.transcribe, evidence_id=evidence.id))
        s.add(CustodyEvent(seq=1, action=CustodyAction.deletion, actor_id=user.id,
                           evidence_id=evidence.id, negotiation_id=negotiation.id,
                           prev_hash="0" * 64, hash="c" * 64))
        s.commit()
    with session(engine) as s:
        s.delete(s.get(Evidence, evidence.id))
        s.commit()
    with session(engine) as s:
        assert s.exec(select(ExtractedText)).all() == []
        assert s.exec(select(Job)).all() == []
        assert s.get(Evidence, child.id).parent_id is None
        assert s.get(CustodyEvent, 1).evidence_id == evidence.id  # history outlives the item


def test_a_negotiation_with_evidence_or_an_actor_in_the_log_cannot_be_deleted(engine, world):
    user, negotiation, _ = world
    with session(engine) as s:
        s.delete(s.get(Negotiation, negotiation.id))
        with pytest.raises(IntegrityError):
            s.commit()
    with session(engine) as s:
        s.add(CustodyEvent(seq=1, action=CustodyAction.intake, actor_id=user.id,
                           prev_hash="0" * 64, hash="d" * 64))
        s.commit()
        for item in s.exec(select(Evidence)).all():
            s.delete(item)
        s.delete(s.get(Negotiation, negotiation.id))
        s.commit()
        s.delete(s.get(User, user.id))
        with pytest.raises(IntegrityError):
            s.commit()


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
