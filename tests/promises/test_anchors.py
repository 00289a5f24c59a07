"""Relative dates are counted from the moment the words were said (issue 13): a message's own
time (a chat bubble, an SMS, a timestamped line of an export), else the call's start plus the
second in the recording, else the item's time. When nothing dates the words the suggestion has
no due date and asks for one: it never counts from the upload or from today. Each suggestion
records what it was counted from, and the accept form says it."""

from __future__ import annotations

import io
import uuid
from datetime import datetime

import pytest
from sqlmodel import select

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.promises.suggestions import accept_suggestion, open_suggestions, suggestion_dict
from logger.promises.text import suggest_from_segments, suggest_promises
from logger.promises.text.anchors import Anchor
from storage.models import Channel, CustodyAction, CustodyEvent, TextSource
from storage.models.types import TimePrecision
from tests.promises.test_web_promises import host_app, post
from tests.support.promises import ZONE, add_text, local
from tests.support.web import page_text, sign_in

SAID = "我下周五还3000"   # 下周五 said on Thursday 5 December 2024 is Friday 13 December


def item(services, session, negotiation, owner, *, at: datetime | None = None,
         precision: TimePrecision = TimePrecision.minute, channel: Channel | None = None):
    """An evidence item (a text file whose name and content date nothing) happened at `at`."""
    data = f"notes {uuid.uuid4().hex}".encode()
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), "notes.txt"), negotiation=negotiation,
                  actor=owner, max_bytes=10**6, tz=ZONE,
                  details=EvidenceDetails(occurred_at=at, occurred_at_precision=precision,
                                          channel=channel))


def only(session, evidence):
    [suggestion] = open_suggestions(session, evidence.id)
    return suggestion


# --- Each anchor ----------------------------------------------------------------------------


def test_a_chat_message_is_counted_from_its_own_time(services, session, negotiation, owner):
    # The screenshot was taken (and uploaded) two years later; the bubble's stamp is what counts.
    shot = item(services, session, negotiation, owner, at=local("2026-12-01 09:00"))
    add_text(session, shot, "", source=TextSource.ocr, segments=[
        {"side": "me", "time": "2024-12-05T02:31:00Z", "text": SAID, "box": [0, 0, 9, 9]}])
    found = only(session, shot)
    assert found.due_at == local("2024-12-13 23:59") and found.due_precision == "day"
    assert found.due_basis == {"anchor": "message", "at": "2024-12-05T10:31:00+08:00",
                               "precision": "minute", "words": "下周五", "unresolved": False}


def test_an_sms_backup_message_is_counted_from_its_own_time(services, session, negotiation,
                                                            owner):
    backup = item(services, session, negotiation, owner, at=local("2026-12-01 09:00"))
    add_text(session, backup, "", source=TextSource.text, segments=[
        {"time": "2024-12-05T02:31:00Z", "speaker": "them", "direction": "from_them",
         "counterpart": "95188", "text": "你下周五还3000就行"},
        {"time": "2024-12-05T02:40:00Z", "speaker": "me", "direction": "from_me",
         "text": SAID}])
    found = open_suggestions(session, backup.id)
    assert {s.due_at for s in found} == {local("2024-12-13 23:59")}
    assert {s.due_basis["anchor"] for s in found} == {"message"}


def test_words_in_a_call_are_counted_from_its_start_plus_their_second(services, session,
                                                                       negotiation, owner):
    call = item(services, session, negotiation, owner, at=local("2024-12-05 23:58"))
    add_text(session, call, "", segments=[{"start": 150.0, "end": 153.0, "text": "我明天还3000"}])
    found = only(session, call)
    # 2:30 into a call that began at 23:58 is 00:00:30 on the 6th: tomorrow is the 7th.
    assert found.due_at == local("2024-12-07 23:59")
    assert found.due_basis["anchor"] == "call"
    assert found.due_basis["at"] == "2024-12-06T00:00:30+08:00"


def test_a_text_without_times_is_counted_from_the_items_time(services, session, negotiation,
                                                             owner):
    letter = item(services, session, negotiation, owner, at=local("2024-12-05 10:31"))
    add_text(session, letter, SAID + "。", source=TextSource.text)
    found = only(session, letter)
    assert found.due_at == local("2024-12-13 23:59")
    assert found.due_basis["anchor"] == "item"


def test_an_item_known_only_by_its_date_still_dates_its_days(services, session, negotiation,
                                                             owner):
    # 短信 95188 20241205.txt: the file name gives the day, not the time.
    sms = item(services, session, negotiation, owner, at=local("2024-12-05 12:00"),
               precision=TimePrecision.day, channel=Channel.sms)
    add_text(session, sms, SAID + "。我下午3点前再还1000。", source=TextSource.text)
    payment, clock = open_suggestions(session, sms.id)
    assert payment.due_at == local("2024-12-13 23:59")
    assert payment.due_basis["at"] == "2024-12-05" and payment.due_basis["precision"] == "day"
    # "3 pm" is today's or tomorrow's depending on the time it was said, which is not known.
    assert clock.due_at is None and clock.due_basis["unresolved"] is True
    assert clock.due_basis["words"] == "下午3点"


def test_the_lines_of_an_export_are_counted_from_their_own_times(services, session,
                                                                  negotiation, owner):
    export = item(services, session, negotiation, owner)   # no time of its own
    add_text(session, export, "2024-12-05 10:31 95188: 我下周五还3000\n"
                              "2024-12-20 09:00 95188: 好的", source=TextSource.text)
    found = only(session, export)
    assert found.due_at == local("2024-12-13 23:59")
    assert found.due_basis["anchor"] == "message"
    assert found.due_basis["at"] == "2024-12-05T10:31:00+08:00"


# --- Nothing dates the words ------------------------------------------------------------------


def test_without_a_known_moment_there_is_no_due_date_and_a_date_is_asked_for(
        services, session, negotiation, owner):
    undated = item(services, session, negotiation, owner)   # uploaded today, time unknown
    assert undated.occurred_at is None
    add_text(session, undated, SAID + "。", source=TextSource.text)
    found = only(session, undated)
    assert found.due_at is None                              # never counted from the upload
    assert found.due_basis == {"anchor": "none", "at": None, "precision": "minute",
                               "words": "下周五", "unresolved": True}
    assert suggestion_dict(found)["counted_from"]["unresolved"] is True


def test_a_full_date_needs_no_moment(services, session, negotiation, owner):
    undated = item(services, session, negotiation, owner)
    add_text(session, undated, "我2024年12月20日还3000。", source=TextSource.text)
    found = only(session, undated)
    assert found.due_at == local("2024-12-20 23:59")
    assert found.due_basis["unresolved"] is False


def test_the_text_reader_itself_never_counts_from_today():
    [found] = suggest_promises(SAID, at=None, tz=ZONE)
    assert found.due is None and found.basis.anchor == Anchor.none and found.basis.unresolved
    [plan] = suggest_promises("分3期，每月15号还1000", at=None, tz=ZONE)
    assert [p.due for p in plan.instalments] == [None] * 3 and plan.basis.unresolved
    [past] = suggest_from_segments([{"text": SAID}], at=None, tz=ZONE)
    assert past.due is None


# --- Shown and recorded ------------------------------------------------------------------------


@pytest.fixture
def browser(services, session, owner):
    owner.locale = "en"
    session.add(owner)
    session.commit()
    return sign_in(host_app(services).test_client(), "owner", "owner-password")


def test_the_accept_form_shows_the_date_and_what_it_was_counted_from(services, browser, session,
                                                                     negotiation, owner):
    sms = item(services, session, negotiation, owner, at=local("2026-12-01 09:00"),
               channel=Channel.sms)
    add_text(session, sms, "", source=TextSource.text, segments=[
        {"time": "2024-12-05T02:31:00Z", "direction": "from_me", "text": SAID}])
    suggestion = only(session, sms)
    text = page_text(browser.get(f"/stand-in/evidence/{sms.id}"))
    assert "下周五 → Dec 13, 2024, counted from the text message of Dec 5, 2024, 10:31" in text
    reply = post(browser, f"/evidence/{sms.id}/suggestions/accept", {
        "suggestion_id": suggestion.id, "party": "me", "kind": "payment", "amount": "3000",
        "due_date": "2024-12-13", "due_time": ""})
    assert reply.status_code == 302
    event = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.promise)).all()[-1]
    assert event.details["counted_from"]["anchor"] == "message"
    assert event.details["terms"]["due_precision"] == "day"


def test_the_accept_form_asks_for_the_date_it_cannot_count(services, browser, session,
                                                           negotiation, owner):
    undated = item(services, session, negotiation, owner)
    add_text(session, undated, SAID + "。", source=TextSource.text)
    suggestion = only(session, undated)
    page = browser.get(f"/stand-in/evidence/{undated.id}")
    assert "“下周五” cannot be counted" in page_text(page)
    assert "Give the due date." in page_text(page)
    promise = accept_suggestion(session, suggestion, actor=owner)
    assert promise.due_at is None                            # a person adds it, nobody guesses
