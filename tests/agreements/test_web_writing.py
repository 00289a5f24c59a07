"""Promises in writing on the web (web/promises/writing.py): uploading a written agreement, the
"not yet in writing" badge on the promises page and the count in the negotiation's header (in
English and Chinese), linking and unlinking a written item (custody events with the person),
refusals, another account's 404, and the confirmation request page."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from storage.models import CustodyAction, CustodyEvent, Direction, Evidence, EvidenceKind
from tests.support.agreements import accept_first, agreement_with, call_with, stored
from tests.support.uploads import post_files
from tests.support.web import page_text, post_form, visible_text

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
NOT_PROSE = re.compile(r"\S+\.\w{2,4}\b|\b[A-Z]{2,5}\b")
WORDS = {"en": ("Not yet in writing", "1 promise not yet in writing", "In writing"),
         "zh": ("尚无书面确认", "1 项承诺尚无书面确认", "已有书面确认")}


@pytest.fixture
def world(services, session, negotiation, owner):
    """A promise accepted from a call, a written agreement (with no promise in its text) and
    a text message the user sent, all in the negotiation."""
    promise = accept_first(session, call_with(services, session, negotiation, owner), owner)
    agreement = agreement_with(services, session, negotiation, owner, "以上内容确认无误。",
                               name="signed.txt")
    mine = stored(services, session, negotiation, owner, "mine.txt", kind=EvidenceKind.sms,
                  direction=Direction.from_me)
    return promise, agreement, mine


def speak(session, owner, language: str) -> None:
    owner.locale = language
    session.add(owner)
    session.commit()


def test_a_written_agreement_can_be_uploaded_as_such(client, negotiation, session):
    page = client.get(f"/negotiations/{negotiation.id}/upload").get_data(as_text=True)
    assert 'name="kind"' in page and 'value="agreement"' in page
    reply = post_files(client, negotiation.id, [("signed.txt", "双方确认还款计划".encode())],
                       fields={"kind": "agreement"})
    result = reply.get_json()["results"][0]
    assert result["status"] == "stored", result
    assert session.get(Evidence, result["evidence_id"]).kind == EvidenceKind.agreement


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_page_and_the_header_say_a_promise_is_not_yet_in_writing(client, session, owner,
                                                                      negotiation, world,
                                                                      language):
    promise, agreement, mine = world
    speak(session, owner, language)
    badge, count, _ = WORDS[language]
    page = client.get(f"/negotiations/{negotiation.id}/promises")
    html = page.get_data(as_text=True)
    assert badge in page_text(page) and count in page_text(page)
    assert f'data-testid="not-in-writing-{promise.id}"' in html
    choices = re.findall(r'<option value="(\d+)"', html.split(
        f'data-testid="writing-choice-{promise.id}"', 1)[1].split("</select>", 1)[0])
    assert choices == [str(agreement.id)]   # not the call, not the message the user sent
    timeline = client.get(f"/negotiations/{negotiation.id}")
    assert 'data-testid="header-not-in-writing"' in timeline.get_data(as_text=True)
    assert count in page_text(timeline)


def test_linking_and_unlinking_change_the_badge_and_are_in_the_custody_log(
        client, session, owner, negotiation, world):
    promise, agreement, _ = world
    speak(session, owner, "en")
    url = f"/negotiations/{negotiation.id}/promises"
    reply = post_form(client, f"{url}/writing", {"promise_id": promise.id,
                                                 "evidence_id": agreement.id})
    assert reply.status_code == 302 and reply.location.endswith(f"#promise-{promise.id}")
    page = client.get(url)
    assert "Not yet in writing" not in page_text(page)
    assert f'data-testid="in-writing-{promise.id}"' in page.get_data(as_text=True)
    assert "header-not-in-writing" not in client.get(
        f"/negotiations/{negotiation.id}").get_data(as_text=True)
    post_form(client, f"{url}/writing/remove", {"promise_id": promise.id})
    assert "Not yet in writing" in page_text(client.get(url))
    events = [e for e in session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.promise).order_by(CustodyEvent.seq))
        if e.details.get("event", "").startswith("written_")]
    assert [(e.details["event"], e.actor_id, e.evidence_id) for e in events] == [
        ("written_linked", owner.id, agreement.id), ("written_unlinked", owner.id, agreement.id)]


def test_an_item_the_user_sent_is_refused_with_a_message_in_chinese(client, session, owner,
                                                                   negotiation, world):
    promise, _, mine = world
    speak(session, owner, "zh")
    reply = post_form(client, f"/negotiations/{negotiation.id}/promises/writing",
                      {"promise_id": promise.id, "evidence_id": mine.id},
                      follow_redirects=True)
    assert "是您自己发出的" in page_text(reply)
    session.expire_all()
    assert session.get(type(promise), promise.id).written_evidence_id is None


def test_another_account_gets_404(other_client, session, negotiation, world):
    promise, agreement, _ = world
    base = f"/negotiations/{negotiation.id}/promises"
    assert post_form(other_client, f"{base}/writing", {
        "promise_id": promise.id, "evidence_id": agreement.id}).status_code == 404
    assert other_client.get(f"{base}/confirmation-request").status_code == 404
    session.expire_all()
    assert session.get(type(promise), promise.id).written_evidence_id is None


def test_the_confirmation_request_page_in_both_languages(client, session, owner, negotiation,
                                                         world):
    speak(session, owner, "en")
    url = f"/negotiations/{negotiation.id}/promises/confirmation-request"
    zh = client.get(url + "?lang=zh").get_data(as_text=True)
    text = re.search(r'data-testid="confirmation-text">([^<]*)</textarea>', zh).group(1)
    assert text.startswith("请书面确认：\n") and "我于2026年12月1日前还款人民币3,000.00元。" in text
    assert 'data-segments="1"' in zh and "js/copy.js" in zh and "<script>" not in zh
    en = client.get(url + "?lang=en")
    assert "Please confirm in writing:" in en.get_data(as_text=True)
    assert "it fits in one text message" in page_text(en)
    assert client.get(url + "?lang=fr").status_code == 404


def test_the_chinese_pages_have_no_english_left(client, session, owner, negotiation, world):
    speak(session, owner, "zh")
    base = f"/negotiations/{negotiation.id}/promises"
    for path in (base, f"{base}/confirmation-request"):
        reply = client.get(path)
        assert reply.status_code == 200, path
        english = [t for t in (NOT_PROSE.sub("", t.replace("owner", "")) for t in visible_text(
            reply.get_data(as_text=True))) if ENGLISH_WORD.search(t)]
        assert not english, (path, english)


def test_nothing_to_confirm_once_in_writing(client, services, session, owner, negotiation):
    agreement = agreement_with(services, session, negotiation, owner)
    accept_first(session, agreement, owner)
    speak(session, owner, "en")
    page = client.get(f"/negotiations/{negotiation.id}/promises/confirmation-request")
    assert 'data-testid="nothing-to-confirm"' in page.get_data(as_text=True)
    assert "header-not-in-writing" not in page.get_data(as_text=True)
