"""Promises (logger.promises) and the suggestions they come from (logger.promises.suggestions):
stored per evidence item when text is extracted, accepted (possibly edited) or dismissed by a
person, plans as dated instalments, changes, cancellation, custody events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.support.promises import ZONE, add_text, local, make_item, my_payment
from sqlmodel import select

from logger.promises.ledger import timeline_items
from logger.promises.promises import (InstalmentTerms, PromiseError, PromiseTerms, add_plan, cancel_promise,
                             change_promise, instalments_of, list_promises, mark_promise,
                             next_promised_payment)
from logger.promises.suggestions import (accept_suggestion, dismiss_suggestion, open_suggestions,
                                        suggested_terms)
from logger.record import custody
from storage.models import CustodyAction, CustodyEvent, JobKind
from storage.models.promises import (DeliveryStatus, Promise, PromiseKind, PromiseParty,
                                     PromiseStatus, PromiseSuggestion, Reminder, ReminderChannel,
                                     SuggestionStatus)


def promise_events(session) -> list[CustodyEvent]:
    return list(session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.promise).order_by(CustodyEvent.seq)))


def test_a_promise_records_who_what_when_and_its_custody_event(session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "3000", "2024-12-13 23:59",
                         conditions="if they waive the penalty")
    stored = session.get(Promise, promise.id)
    assert (stored.party, stored.kind, stored.amount, stored.currency) == \
        (PromiseParty.me, PromiseKind.payment, Decimal("3000"), "CNY")
    assert stored.due_at == local("2024-12-13 23:59") and stored.timezone == "Asia/Shanghai"
    assert stored.status == PromiseStatus.pending
    [event] = promise_events(session)
    assert event.details["event"] == "added" and event.details["promise_id"] == promise.id
    assert event.details["terms"]["due_at"] == "2024-12-13T15:59:00Z"
    assert custody.verify_chain(session)[1] == []


def test_suggestions_are_stored_per_item_with_their_quote_and_moment(services, session,
                                                                    negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    text = add_text(session, item, "喂你好。我下周五还你3000。好的。", segments=[
        {"start": 0.0, "end": 1.5, "text": "喂你好"},
        {"start": 12.5, "end": 15.0, "text": "我下周五还你3000"},
        {"start": 15.0, "end": 16.0, "text": "好的"}])
    [suggestion] = open_suggestions(session, item.id)
    assert (suggestion.party, suggestion.kind, suggestion.amount) == \
        ("me", PromiseKind.payment, Decimal("3000"))
    assert suggestion.quote == "我下周五还你3000"
    assert (suggestion.text_id, suggestion.segment_index, suggestion.start) == (text.id, 1, 12.5)
    assert suggestion.due_at == local("2024-12-13 23:59")   # 下周五 from Tue 3 Dec 2024
    assert session.exec(select(Promise)).all() == []        # nothing without a person


def test_a_later_text_of_the_item_offers_nothing_already_offered(services, session,
                                                                 negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "我下周五还你3000")
    dismiss_suggestion(session, open_suggestions(session, item.id)[0], actor=owner)
    add_text(session, item, "我下周五还你3000。另外，月底前我再还2000。")
    offered = session.exec(select(PromiseSuggestion).where(
        PromiseSuggestion.evidence_id == item.id)).all()
    assert sorted((s.quote, s.status) for s in offered) == [
        ("另外，月底前我再还2000。", SuggestionStatus.open),
        ("我下周五还你3000", SuggestionStatus.dismissed)]


def test_accepting_creates_the_promise_from_its_source_with_the_persons_edits(
        services, session, negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "", segments=[{"start": 40.0, "end": 44.0,
                                           "text": "我下周五还你3000"}])
    [suggestion] = open_suggestions(session, item.id)
    edited = PromiseTerms(PromiseParty.me, PromiseKind.payment, Decimal("2500"),
                          due_at=local("2024-12-13 18:00"))
    promise = accept_suggestion(session, suggestion, actor=owner, terms=edited)
    assert (promise.amount, promise.due_at) == (Decimal("2500"), local("2024-12-13 18:00"))
    assert (promise.source_evidence_id, promise.source_segment, promise.source_start,
            promise.source_quote) == (item.id, 0, 40.0, "我下周五还你3000")
    assert suggestion.status == SuggestionStatus.accepted and suggestion.promise_id == promise.id
    [event] = promise_events(session)
    assert event.details["event"] == "accepted_edited" and event.evidence_id == item.id
    with pytest.raises(PromiseError, match="already accepted"):
        accept_suggestion(session, suggestion, actor=owner)
    assert len(session.exec(select(Promise)).all()) == 1


def test_dismissing_is_recorded_and_makes_no_promise(services, session, negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "你15号前还3000我们就给你减免罚息")
    [suggestion] = open_suggestions(session, item.id)
    assert suggested_terms(suggestion).party == PromiseParty.them
    dismiss_suggestion(session, suggestion, actor=owner)
    assert open_suggestions(session, item.id) == []
    assert session.exec(select(Promise)).all() == []
    [event] = promise_events(session)
    assert event.details == {"event": "suggestion_dismissed", "suggestion_id": suggestion.id,
                             "quote": "你15号前还3000我们就给你减免罚息"}


def test_an_accepted_plan_becomes_its_dated_instalments(services, session, negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "我们可以给你分3期，每月15号还1000")
    [suggestion] = open_suggestions(session, item.id)
    plan = accept_suggestion(session, suggestion, actor=owner)
    # The collector offered the plan; the instalments are the debtor's to pay.
    assert (plan.kind, plan.party, plan.amount) == \
        (PromiseKind.instalment_plan, PromiseParty.them, Decimal("3000"))
    parts = instalments_of(session, plan)
    assert [(p.instalment, p.party, p.kind, p.amount, p.due_at) for p in parts] == [
        (1, PromiseParty.me, PromiseKind.payment, Decimal("1000"), local("2024-12-15 23:59")),
        (2, PromiseParty.me, PromiseKind.payment, Decimal("1000"), local("2025-01-15 23:59")),
        (3, PromiseParty.me, PromiseKind.payment, Decimal("1000"), local("2025-02-15 23:59"))]
    assert all(p.source_evidence_id == item.id for p in parts)
    assert next_promised_payment(session, negotiation).id == parts[0].id
    [event] = promise_events(session)
    assert len(event.details["instalments"]) == 3


def test_a_plan_by_hand_with_edited_instalments(session, negotiation, owner):
    plan = add_plan(session, negotiation=negotiation, actor=owner, party=PromiseParty.me,
                    tz=ZONE, instalments=[InstalmentTerms(local("2025-01-10 23:59"),
                                                          Decimal("500")),
                                          InstalmentTerms(local("2025-02-10 23:59"), None)])
    assert plan.amount is None   # one sum was not said: the total is unknown
    assert [p.amount for p in instalments_of(session, plan)] == [Decimal("500"), None]


def test_changing_the_due_date_supersedes_and_cancels_unsent_reminders(session, negotiation,
                                                                      owner):
    promise = my_payment(session, negotiation, owner, "3000", "2024-12-13 23:59")
    session.add(Reminder(promise_id=promise.id, offset="1d", channel=ReminderChannel.app,
                         send_at=local("2024-12-12 09:00")))
    session.commit()
    later = change_promise(session, promise, actor=owner, terms=PromiseTerms(
        PromiseParty.me, PromiseKind.payment, Decimal("3000"), due_at=local("2024-12-20 23:59")))
    assert later.id != promise.id and later.supersedes_id == promise.id
    assert session.get(Promise, promise.id).status == PromiseStatus.superseded
    assert session.exec(select(Reminder.status)).all() == [DeliveryStatus.cancelled]
    same_day = change_promise(session, later, actor=owner, terms=PromiseTerms(
        PromiseParty.me, PromiseKind.payment, Decimal("2800"), due_at=local("2024-12-20 23:59")))
    assert same_day.id == later.id and same_day.amount == Decimal("2800")
    assert [e.details["event"] for e in promise_events(session)] == \
        ["added", "superseded", "changed"]
    with pytest.raises(PromiseError, match="superseded"):
        cancel_promise(session, session.get(Promise, promise.id), actor=owner)


def test_cancelling_a_plan_cancels_its_open_instalments(session, negotiation, owner):
    plan = add_plan(session, negotiation=negotiation, actor=owner, party=PromiseParty.me,
                    tz=ZONE, instalments=[InstalmentTerms(local(f"2025-0{m}-15 23:59"),
                                                          Decimal("1000")) for m in (1, 2)])
    first = instalments_of(session, plan)[0]
    mark_promise(session, first, actor=owner, status=PromiseStatus.kept)
    cancel_promise(session, plan, actor=owner, reason="a new plan was agreed")
    assert [p.status for p in instalments_of(session, plan)] == \
        [PromiseStatus.kept, PromiseStatus.cancelled]
    assert session.get(Promise, plan.id).status == PromiseStatus.cancelled


def test_their_waiver_is_marked_kept_by_a_person(session, negotiation, owner):
    from logger.promises.promises import add_promise
    waiver = add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE,
                         terms=PromiseTerms(PromiseParty.them, PromiseKind.waiver,
                                            due_at=local("2024-12-31 23:59")))
    mark_promise(session, waiver, actor=owner, status=PromiseStatus.kept)
    assert waiver.status == PromiseStatus.kept
    with pytest.raises(ValueError):
        mark_promise(session, waiver, actor=owner, status=PromiseStatus.cancelled)


def test_timeline_items_place_promises_when_they_were_said(services, session, negotiation,
                                                          owner):
    item = make_item(services, session, negotiation, owner, said_at="2024-12-03 15:30")
    add_text(session, item, "", segments=[{"start": 90.0, "end": 94.0,
                                           "text": "我下周五还你3000"}])
    promise = accept_suggestion(session, open_suggestions(session, item.id)[0], actor=owner)
    hand = my_payment(session, negotiation, owner, "100", "2024-12-05 23:59")
    items = timeline_items(session, negotiation, now=local("2024-12-04 12:00"))
    assert [(i.kind, i.id) for i in items] == [("promise", promise.id), ("promise", hand.id)]
    said = next(i for i in items if i.id == promise.id)
    assert said.occurred_at == local("2024-12-03 15:30") + timedelta(seconds=90)
    assert next(i for i in items if i.id == hand.id).flags == ("promise_due_soon",)
    assert timeline_items(session, negotiation, start=local("2024-12-03 16:00"),
                          end=local("2024-12-03 17:00")) == []


def test_list_promises_orders_by_due_time(session, negotiation, owner):
    late = my_payment(session, negotiation, owner, "1", "2025-03-01 12:00")
    soon = my_payment(session, negotiation, owner, "1", "2025-01-01 12:00")
    assert [p.id for p in list_promises(session, negotiation)] == [soon.id, late.id]


def test_the_transcribe_job_stores_suggestions_with_its_transcript(services, session,
                                                                   negotiation, owner, testdata,
                                                                   monkeypatch):
    """The handler's own code path, with the recording decoded for real and the engine's
    answer given (what Whisper would say is not the point here)."""
    import io

    from logger.intake.ingest import IncomingFile, ingest
    from transcription.jobs import transcribe as transcribe_job
    from transcription.engines.base import Segment, Transcript
    from logger.jobs.worker import JobContext

    wav = (testdata / "audio" / "BAC009S0764W0121.wav").read_bytes()
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(wav), "通话录音 13800138000 20241203_153012.wav"),
                  negotiation=negotiation, actor=owner, max_bytes=10**8, tz=ZONE)
    said = Transcript(language="zh", duration_s=5.0, engine="fake", model="fake", segments=[
        Segment(start=1.0, end=4.0, text="我下周五还你3000", speaker=None, avg_logprob=-0.1,
                no_speech_prob=0.01)])
    monkeypatch.setattr(transcribe_job, "transcribe_channels", lambda *a, **k: said)
    transcribe_job.transcribe_handler(JobContext(
        job_id=1, evidence_id=item.id, kind=JobKind.transcribe, options={}, attempt=1,
        services=services))
    [suggestion] = open_suggestions(session, item.id)
    assert (suggestion.quote, suggestion.start, suggestion.due_at) == \
        ("我下周五还你3000", 1.0, local("2024-12-13 23:59"))


def test_the_command_line_accepts_dismisses_changes_and_cancels(cli, services_for):
    import json
    assert cli("init").exit_code == 0 and cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    with services_for() as services, services.session() as session:
        from logger.accounts import find_user
        from logger.negotiations import get_negotiation
        owner = find_user(session, "owner")
        item = make_item(services, session, get_negotiation(session, 1), owner)
        add_text(session, item, "我下周五还你3000。你15号前还3000我们就给你减免罚息。")
    found = json.loads(cli("promises", "suggestions", "--evidence", item.id, "--json").stdout)
    assert [(s["who"], s["kind"]) for s in found] == [("me", "payment"), ("them", "waiver")]
    accepted = cli("promises", "accept", found[0]["id"], "--amount", "2500", "--json")
    assert accepted.exit_code == 0, accepted.output
    promise = json.loads(accepted.stdout)
    assert promise["amount"] == "2500" and promise["source"]["quote"] == "我下周五还你3000。"
    assert cli("promises", "dismiss", found[1]["id"]).exit_code == 0
    assert "no open suggestions" in cli("promises", "suggestions", "--evidence", item.id).output
    again = cli("promises", "accept", found[1]["id"])
    assert again.exit_code == 1 and "already dismissed" in again.output
    moved = json.loads(cli("promises", "change", promise["id"], "--due", "2024-12-20",
                           "--json").stdout)
    # A bare date stays a date, shown as the date (not 23:59 written in UTC).
    assert moved["supersedes_id"] == promise["id"] and moved["due_at"] == "2024-12-20"
    assert moved["due_precision"] == "day"
    assert "cancelled" in cli("promises", "cancel", moved["id"], "--reason", "paid off").output
    gone = cli("promises", "mark", moved["id"], "kept")
    assert gone.exit_code == 1 and "cannot be marked" in gone.output
