"""Promises in writing (logger.promises.writing): the evidence kind `agreement`, a promise from a
call not yet in writing until a person links a written item (custody events with the actor),
refusals that change nothing, and a promise or plan accepted from an agreement's own text
linked to it on acceptance."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from logger.promises.promises import PromiseTerms, change_promise, instalments_of
from logger.promises.writing import (WritingError, link_written, needs_writing, not_in_writing,
                                     unlink_written, written_item_id)
from logger.record.evidence import CONTACT_KINDS
from storage.models import CustodyAction, CustodyEvent, Direction, EvidenceKind
from storage.models.promises import PromiseKind, PromiseParty
from tests.support.agreements import (PLAN_WORDS, accept_first, agreement_with, call_with,
                                      stored)
from tests.support.common import make_negotiation_in
from tests.support.promises import local


def writing_events(session) -> list[CustodyEvent]:
    return [e for e in session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.promise).order_by(CustodyEvent.seq))
        if e.details.get("event", "").startswith("written_")]


def test_an_agreement_is_stored_as_its_own_kind_and_is_not_a_contact(services, session,
                                                                      negotiation, owner):
    item = stored(services, session, negotiation, owner, "signed.txt",
                  kind=EvidenceKind.agreement)
    session.commit()
    session.expire_all()
    assert session.get(type(item), item.id).kind == EvidenceKind.agreement
    assert EvidenceKind.agreement not in CONTACT_KINDS
    assert len(EvidenceKind.agreement.value) <= 32   # the VARCHAR of str_enum


def test_a_promise_from_a_call_is_not_in_writing_until_a_written_item_is_linked(
        services, session, negotiation, owner):
    call = call_with(services, session, negotiation, owner)
    promise = accept_first(session, call, owner)
    assert promise.written_evidence_id is None and needs_writing(promise)
    assert not_in_writing(session, negotiation) == [promise]
    letter = stored(services, session, negotiation, owner, "reply.txt",
                    kind=EvidenceKind.sms, direction=Direction.from_them)

    link_written(session, promise, letter, actor=owner)
    assert written_item_id(session, promise) == letter.id
    assert not_in_writing(session, negotiation) == []
    unlink_written(session, promise, actor=owner)
    assert promise.written_evidence_id is None
    assert not_in_writing(session, negotiation) == [promise]

    linked, unlinked = writing_events(session)
    assert linked.details["event"] == "written_linked" and linked.actor_id == owner.id
    assert linked.evidence_id == letter.id and linked.details["promise_id"] == promise.id
    assert unlinked.details["event"] == "written_unlinked" and unlinked.actor_id == owner.id
    assert unlinked.details["written_evidence_id"] == letter.id


@pytest.mark.parametrize("kind, direction", [(EvidenceKind.call, Direction.from_them),
                                              (EvidenceKind.note, Direction.unknown),
                                              (EvidenceKind.email, Direction.from_me)])
def test_an_item_that_holds_no_writing_of_theirs_is_refused_and_nothing_changes(
        services, session, negotiation, owner, kind, direction):
    promise = accept_first(session, call_with(services, session, negotiation, owner), owner)
    item = stored(services, session, negotiation, owner, "x.txt", kind=kind,
                  direction=direction)
    with pytest.raises(WritingError) as refused:
        link_written(session, promise, item, actor=owner)
    assert f"#{item.id}" in refused.value.in_language("zh")
    session.rollback()
    session.expire_all()
    assert promise.written_evidence_id is None and writing_events(session) == []


def test_an_item_of_another_negotiation_and_an_instalment_are_refused(services, session,
                                                                      negotiation, owner):
    plan = accept_first(session, call_with(services, session, negotiation, owner, PLAN_WORDS),
                        owner)
    other = make_negotiation_in(session, owner, creditor="另一家")
    elsewhere = agreement_with(services, session, other, owner)
    with pytest.raises(WritingError, match="another negotiation"):
        link_written(session, plan, elsewhere, actor=owner)
    here = stored(services, session, negotiation, owner, "ok.txt", kind=EvidenceKind.agreement)
    first = instalments_of(session, plan)[0]
    with pytest.raises(WritingError, match="link the writing to the plan"):
        link_written(session, first, here, actor=owner)
    link_written(session, plan, here, actor=owner)
    # The plan's writing covers its instalments.
    assert [written_item_id(session, p) for p in instalments_of(session, plan)] == [here.id] * 3


def test_a_promise_accepted_from_an_agreements_text_is_linked_to_it(services, session,
                                                                    negotiation, owner):
    agreement = agreement_with(services, session, negotiation, owner)
    promise = accept_first(session, agreement, owner)
    assert (promise.party, promise.kind, promise.amount) == \
        (PromiseParty.me, PromiseKind.payment, Decimal("3000"))
    assert promise.written_evidence_id == agreement.id and not needs_writing(promise)
    assert not_in_writing(session, negotiation) == []
    (event,) = writing_events(session)
    assert event.actor_id == owner.id and event.evidence_id == agreement.id
    assert event.details["reason"] == "accepted from the agreement's text"


def test_a_plan_stated_in_an_agreement_is_linked_with_its_instalments(services, session,
                                                                      negotiation, owner):
    agreement = agreement_with(services, session, negotiation, owner, PLAN_WORDS)
    plan = accept_first(session, agreement, owner)
    assert plan.kind == PromiseKind.instalment_plan
    assert plan.written_evidence_id == agreement.id
    assert {written_item_id(session, p) for p in instalments_of(session, plan)} == {agreement.id}


def test_the_same_words_in_a_call_are_not_linked(services, session, negotiation, owner):
    promise = accept_first(session, call_with(services, session, negotiation, owner), owner)
    assert promise.written_evidence_id is None and writing_events(session) == []


def test_a_new_due_date_is_not_covered_by_the_old_writing(services, session, negotiation,
                                                          owner):
    agreement = agreement_with(services, session, negotiation, owner)
    promise = accept_first(session, agreement, owner)
    moved = change_promise(session, promise, actor=owner, terms=PromiseTerms(
        PromiseParty.me, PromiseKind.payment, Decimal("3000"),
        due_at=local("2026-12-20 18:00")))
    assert moved.id != promise.id and moved.written_evidence_id is None
    assert not_in_writing(session, negotiation) == [moved]


def test_a_changed_amount_is_not_covered_by_the_old_writing(services, session, negotiation,
                                                            owner):
    agreement = agreement_with(services, session, negotiation, owner)
    promise = accept_first(session, agreement, owner)
    changed = change_promise(session, promise, actor=owner, terms=PromiseTerms(
        PromiseParty.me, PromiseKind.payment, Decimal("2500"), due_at=promise.due_at,
        due_precision=promise.due_precision))
    assert changed.id == promise.id and changed.written_evidence_id is None
    event = session.exec(select(CustodyEvent).order_by(CustodyEvent.seq.desc())).first()
    assert event.details["event"] == "changed"
    assert event.details["written_unlinked"] == agreement.id and event.actor_id == owner.id
