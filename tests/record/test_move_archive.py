"""Moving an item to the right negotiation (logger.record.moving) and archiving a negotiation
that is over (logger.record.archive): reminders and conduct checks stop for it; both logged."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.accounts import add_user
from logger.conduct.report import conduct_report
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.archive import ArchiveError, archive, reopen
from logger.record.custody import verify_chain
from logger.record.evidence import evidence_history, list_evidence
from logger.record.moving import MoveError, move
from logger.reminders.scheduler import ReminderScheduler
from storage.models import (Channel, CustodyAction, CustodyEvent, Direction, EvidenceKind, Job,
                            JobKind)
from tests.support.common import make_negotiation_in
from tests.support.promises import local, my_payment

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add(services, session, negotiation, owner, data: bytes, name: str = "x.txt", **details):
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), name), negotiation=negotiation,
                  actor=owner, max_bytes=10**8, tz=SHANGHAI,
                  details=EvidenceDetails(**details) if details else None)


def test_an_item_moves_with_its_children_and_jobs_logged(services, session, negotiation,
                                                         owner):
    right = make_negotiation_in(session, owner, creditor="借呗")
    parent = add(services, session, negotiation, owner, b"mailbox\n", "box.txt")
    child = add(services, session, negotiation, owner, b"message\n", "m.txt")
    child.parent_id = parent.id
    session.add(child)
    session.add(Job(kind=JobKind.extract_text, evidence_id=child.id))
    session.commit()

    assert {e.id for e in move(session, parent, right, actor=owner)} == {parent.id, child.id}
    assert list_evidence(session, negotiation.id) == []
    assert {e.id for e in list_evidence(session, right.id)} == {parent.id, child.id}
    event = evidence_history(session, child)[-1]
    assert (event.action, event.negotiation_id, event.details) == \
        (CustodyAction.move, right.id, {"from": negotiation.id, "to": right.id,
                                        "with": parent.id})
    assert session.exec(select(Job).where(Job.evidence_id == child.id)).all()   # they follow
    assert verify_chain(session)[1] == []


def test_a_move_is_refused_when_the_target_holds_the_same_bytes(services, session, negotiation,
                                                                owner):
    right = make_negotiation_in(session, owner, creditor="借呗")
    add(services, session, right, owner, b"same bytes\n", "there.txt")
    here = add(services, session, negotiation, owner, b"same bytes\n", "here.txt")
    with pytest.raises(MoveError, match="already holds the same file"):
        move(session, here, right, actor=owner)
    assert here.negotiation_id == negotiation.id
    assert len(evidence_history(session, here)) == 1


def test_a_move_to_another_owners_negotiation_or_of_a_child_is_refused(services, session,
                                                                      negotiation, owner):
    theirs = make_negotiation_in(session, add_user(session, "other", "pw-other-123"))
    parent = add(services, session, negotiation, owner, b"p\n")
    child = add(services, session, negotiation, owner, b"c\n")
    child.parent_id = parent.id
    session.commit()
    with pytest.raises(MoveError, match="same owner"):
        move(session, parent, theirs, actor=owner)
    right = make_negotiation_in(session, owner, creditor="借呗")
    with pytest.raises(MoveError, match=f"move #{parent.id}"):
        move(session, child, right, actor=owner)


def test_cli_move(cli, services, session, negotiation, owner):
    right = make_negotiation_in(session, owner, creditor="借呗")
    item = add(services, session, negotiation, owner, b"x\n")
    ids = (item.id, right.id)
    services.close()
    out = json.loads(cli("evidence", "move", ids[0], "--to", ids[1], "--json").stdout)
    assert out == {"moved": [ids[0]], "to": ids[1]}


def test_archive_stops_reminders_and_reopen_lets_the_due_ones_go(services, session,
                                                                 negotiation, owner):
    my_payment(session, negotiation, owner, "1000", "2024-12-13 23:59")
    scheduler = ReminderScheduler(services)
    assert [s.offset for s in scheduler.run(local("2024-12-10 09:00")).sent] == ["3d"]
    archive(session, negotiation, actor=owner, reason="settled")
    assert scheduler.run(local("2024-12-12 09:00")).sent == []
    assert scheduler.run(local("2024-12-14 09:00")).sent == []   # no missed notice either
    reopen(session, negotiation, actor=owner)
    assert scheduler.run(local("2024-12-14 09:05")).sent != []


def test_archive_stops_conduct_checks_and_is_logged(services, session, negotiation, owner):
    add(services, session, negotiation, owner, b"late call\n", kind=EvidenceKind.call,
        channel=Channel.call, direction=Direction.from_them,
        occurred_at=datetime(2024, 12, 3, 23, 30, tzinfo=SHANGHAI))
    assert conduct_report(session, negotiation, default_zone=SHANGHAI).findings
    archive(session, negotiation, actor=owner, reason="paid off")
    assert conduct_report(session, negotiation, default_zone=SHANGHAI).findings == ()
    with pytest.raises(ArchiveError, match="already archived"):
        archive(session, negotiation, actor=owner)
    reopen(session, negotiation, actor=owner)
    assert conduct_report(session, negotiation, default_zone=SHANGHAI).findings
    actions = [e.action for e in session.exec(select(CustodyEvent).where(
        CustodyEvent.negotiation_id == negotiation.id, CustodyEvent.evidence_id.is_(None))
        .order_by(CustodyEvent.seq))]
    assert actions[-2:] == [CustodyAction.archive, CustodyAction.reopen]


def test_cli_archive_and_reopen(cli, services, session, negotiation, owner):
    negotiation_id = negotiation.id
    services.close()
    assert cli("negotiation", "archive", negotiation_id, "--reason", "settled").stdout == \
        f"negotiation #{negotiation_id} archived\n"
    listed = json.loads(cli("negotiation", "list", "--json").stdout)
    assert [(d["archived"], d["archive_reason"]) for d in listed] == [(True, "settled")]
    assert cli("negotiation", "list").stdout.rstrip().endswith("(archived)")
    again = cli("negotiation", "archive", negotiation_id)
    assert again.exit_code != 0 and "already archived" in again.output
    assert cli("negotiation", "reopen", negotiation_id).exit_code == 0
