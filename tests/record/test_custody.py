"""The custody log is a hash chain: edits and removals are found and named."""

import hashlib
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from logger.intake.ingest import IncomingFile, ingest
from logger.record import custody
from storage.models import CustodyAction, CustodyEvent


def add_items(services, session, negotiation, owner, n=4):
    items = []
    for i in range(n):
        items.append(ingest(session=session, blobs=services.blobs,
                            source=IncomingFile(io.BytesIO(f"note number {i}\n".encode()),
                                                f"n{i}.txt"),
                            negotiation=negotiation, actor=owner, max_bytes=10**6,
                            tz=services.config.locale.zone))
    return items


def problems(session):
    session.expire_all()
    count, found = custody.verify_chain(session)
    return count, [p.message for p in found]


def test_intact_chain_verifies_and_links(services, session, negotiation, owner):
    items = add_items(services, session, negotiation, owner)
    assert problems(session) == (4, [])
    events = session.exec(select(CustodyEvent).order_by(CustodyEvent.seq)).all()
    assert events[0].prev_hash == custody.GENESIS_HASH
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
    assert [e.evidence_id for e in events] == [i.id for i in items]


def test_hash_is_sha256_of_the_published_canonical_form(services, session, negotiation, owner):
    add_items(services, session, negotiation, owner, n=1)
    event = session.exec(select(CustodyEvent)).one()
    canonical = custody.canonical_bytes(
        seq=event.seq, at=event.at, actor_id=event.actor_id, action=event.action,
        negotiation_id=event.negotiation_id, evidence_id=event.evidence_id,
        details=event.details, prev_hash=event.prev_hash)
    assert hashlib.sha256(canonical).hexdigest() == event.hash
    assert b'"action":"intake"' in canonical


def test_edited_event_is_reported_with_its_item(services, session, negotiation, owner):
    items = add_items(services, session, negotiation, owner)
    session.execute(text("UPDATE custody_event SET details = :d WHERE seq = 2"),
                    {"d": '{"sha256": "forged"}'})
    session.commit()
    count, found = problems(session)
    assert found == [f"custody log: event 2 (evidence #{items[1].id}) was altered after it "
                     "was written (intake)"]


def test_edited_event_with_recomputed_hash_breaks_the_next_link(services, session,
                                                               negotiation, owner):
    items = add_items(services, session, negotiation, owner)
    event = session.get(CustodyEvent, 2)
    event.details = {**event.details, "original_filename": "forged.txt"}
    event.hash = custody.event_hash(event)
    session.add(event)
    session.commit()
    _, found = problems(session)
    assert found == [f"custody log: event 3 (evidence #{items[2].id}) does not follow event 2 "
                     "(the chain was altered)"]


def test_deleted_event_is_reported_with_its_item(services, session, negotiation, owner):
    items = add_items(services, session, negotiation, owner)
    session.execute(text("DELETE FROM custody_event WHERE seq = 2"))
    session.commit()
    _, found = problems(session)
    assert f"custody log: event 2 missing before event 3 (evidence #{items[2].id})" in found
    assert (f"custody log: evidence #{items[1].id} has no intake event (its history was "
            "removed)") in found


def test_deleting_the_last_event_is_found_too(services, session, negotiation, owner):
    items = add_items(services, session, negotiation, owner)
    session.execute(text("DELETE FROM custody_event WHERE seq = 4"))
    session.commit()
    _, found = problems(session)
    assert found == [f"custody log: evidence #{items[3].id} has no intake event (its history "
                     "was removed)"]


def test_two_appends_cannot_fork_the_chain(services, session, negotiation, owner):
    add_items(services, session, negotiation, owner, n=1)
    head = session.exec(select(CustodyEvent)).one()
    fork = CustodyEvent(seq=99, at=head.at, actor_id=None, action=CustodyAction.export,
                        details={}, prev_hash=head.prev_hash, hash="0" * 64)
    session.add(fork)
    with pytest.raises(IntegrityError):
        session.commit()
