"""Who said each line, on the evidence pages (issue 13): a chat screenshot's messages say their
side in words (or that it is unknown) and its title is not one of them; a stereo call names
the channel of each line, and once the user says which channel is their own voice, every line
and the promise suggestions found in it take that side, with the choice in the custody log."""

from __future__ import annotations

import re

import pytest

from logger.promises.suggestions import open_suggestions, suggest_for_text
from storage.models import CustodyAction, TextSource
from tests.support.evidence_pages import add_text, csrf_form, custody, upload_one

WHO = re.compile(r'data-testid="(?:bubble-who|segment-speaker)">([^<]+)<')


pytestmark = pytest.mark.usefixtures("english")


def test_a_chat_screenshot_says_who_wrote_each_message_and_keeps_the_title_apart(
        client, session, negotiation, testdata):
    item = upload_one(client, negotiation,
                      testdata / "images/cnocr_multi-line_cn2_chat_bubble_green.png")
    add_text(session, item, TextSource.ocr, "…", [
        {"kind": "title", "side": None, "time": None, "text": "信用飞客服", "box": [1, 1, 9, 9]},
        {"kind": "message", "side": "them", "time": "2024-12-05T13:47:00Z",
         "text": "今天必须处理", "box": [0, 0, 10, 10]},
        {"kind": "notice", "side": None, "time": None, "text": "对方撤回了一条消息",
         "box": [0, 15, 10, 18]},
        {"kind": "message", "side": "me", "time": None, "text": "我下周三还五千",
         "box": [0, 20, 10, 30]},
        {"kind": "message", "side": None, "time": None, "text": "好的", "box": [0, 40, 10, 50]}])
    page = client.get(f"/evidence/{item}").get_data(as_text=True)
    chat = page[page.index('data-testid="chat-transcript"'):]
    chat = chat[:chat.index("</ol>")]
    assert re.findall(r'data-side="(\w*)"', chat) == ["them", "me", ""]
    assert WHO.findall(chat) == ["Them", "Me", "Side unknown"]
    assert "信用飞客服" not in chat and "对方撤回了一条消息" in chat
    assert "Conversation with: 信用飞客服" in page
    # The message's time as the screenshot shows it, in the user's zone, not stored UTC.
    assert "9:47" in chat and "13:47" not in chat


def test_a_stereo_call_says_which_channel_and_the_user_says_which_is_theirs(
        client, session, recorded_call):
    text = add_text(session, recorded_call, TextSource.transcript, "…", [
        {"start": 0.0, "end": 2.5, "text": "您好，这里是信用飞催收部。", "speaker": "left"},
        {"start": 2.5, "end": 6.0, "text": "下周三前还五千。", "speaker": "right"}],
        engine="faster-whisper", model="base")
    suggest_for_text(session, text)
    session.commit()
    [suggestion] = open_suggestions(session, recorded_call)
    assert suggestion.party == "unknown"   # the words alone do not say who
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert 'data-testid="channel-sides"' in page
    assert WHO.findall(page) == ["Left channel", "Right channel"]   # in words, not colour

    reply = client.post(f"/evidence/{recorded_call}/channels",
                        data=csrf_form(client, left="them"))
    assert reply.status_code == 302
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert WHO.findall(page) == ["Them", "Me"]
    assert "Left channel: Them; right channel: Me." in page
    assert "The left channel is their voice" in page   # the custody history says so
    event = custody(session, CustodyAction.metadata_edit)[-1]
    assert event.details == {"changes": {"left_channel": {"old": None, "new": "them"}}}
    session.refresh(suggestion)
    assert suggestion.party == "me"   # said on the right channel: the user's

    client.post(f"/evidence/{recorded_call}/channels", data=csrf_form(client, left=""))
    session.refresh(suggestion)
    assert suggestion.party == "unknown"
    assert WHO.findall(client.get(f"/evidence/{recorded_call}").get_data(as_text=True)) == \
        ["Left channel", "Right channel"]
    assert client.post(f"/evidence/{recorded_call}/channels",
                       data=csrf_form(client, left="both")).status_code == 400
    assert client.post(f"/evidence/{recorded_call}/channels",
                       data={"left": "me"}).status_code in (400, 403)   # no CSRF token


def test_overlapping_screenshots_read_today_are_joined_with_their_title_once(
        client, session, negotiation, testdata):
    def said(side, text, y):
        return {"kind": "message", "side": side, "time": None, "text": text,
                "box": [0, y, 9, y + 9]}

    title = {"kind": "title", "side": None, "time": None, "text": "信用飞客服", "box": [1, 1, 9, 9]}
    lines = [said("them", "您的借款已经逾期三十二天，请尽快处理。", 10),
             said("me", "我最近生病住院了，收入中断。", 20),
             said(None, "请问您什么时候可以还款？", 30),
             said("me", "我想申请分期还款，每个月还一千元。", 40)]
    first = upload_one(client, negotiation,
                       testdata / "images/cnocr_multi-line_cn2_chat_bubble_green.png")
    second = upload_one(client, negotiation,
                        testdata / "images/cnocr_multi-line_cn1_chat_bubble_white.png")
    add_text(session, first, TextSource.ocr, "…", [title, *lines[:3]])
    # The later screenshot shows the third bubble's side (its avatar is in view there).
    add_text(session, second, TextSource.ocr, "…",
             [title, lines[1], {**lines[2], "side": "them"}, lines[3]])
    page = client.get(f"/evidence/{first}").get_data(as_text=True)
    merged = page[page.index('data-testid="merged-conversation"'):]
    assert merged.count("Conversation with: 信用飞客服") == 1
    assert re.findall(r'data-testid="merged-message" data-sources="([\d,]+)" data-side="(\w*)"',
                      merged) == [(str(first), "them"), (f"{first},{second}", "me"),
                                  (f"{first},{second}", "them"), (str(second), "me")]


def test_a_mono_call_names_each_voice_and_the_user_says_which_is_theirs(
        client, session, recorded_call):
    """Two voices told apart by the speaker model ("A" first heard, "B"), a line it could not
    give to one voice, and a gap where speech gave no text: the person says whose voice A is."""
    text = add_text(session, recorded_call, TextSource.transcript, "…", [
        {"start": 0.0, "end": 2.5, "text": "您好，这里是信用飞催收部。", "speaker": "A"},
        {"start": 2.5, "end": 6.0, "text": "下周三前还五千。", "speaker": "B"},
        {"start": 6.0, "end": 7.0, "text": "好的好的", "speaker": None},
        {"start": 7.5, "end": 9.0, "text": "[听不清 7.5–9.0 秒]", "kind": "gap"}],
        engine="faster-whisper", model="base")
    suggest_for_text(session, text)
    session.commit()
    [suggestion] = open_suggestions(session, recorded_call)
    assert suggestion.party == "unknown"
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert 'data-testid="voice-sides"' in page and 'data-testid="channel-sides"' not in page
    assert WHO.findall(page) == ["Voice A", "Voice B"]   # the unlabelled line says no one
    assert "segment-gap" in page

    reply = client.post(f"/evidence/{recorded_call}/channels",
                        data=csrf_form(client, voice_a="them"))
    assert reply.status_code == 302
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert WHO.findall(page) == ["Them", "Me"]
    assert "Voice A: Them; voice B: Me." in page
    assert "Voice A is their voice" in page   # the custody history says so
    event = custody(session, CustodyAction.metadata_edit)[-1]
    assert event.details == {"changes": {"voice_a": {"old": None, "new": "them"}}}
    session.refresh(suggestion)
    assert suggestion.party == "me"   # said by voice B: the user's
    assert client.post(f"/evidence/{recorded_call}/channels",
                       data=csrf_form(client, voice_a="both")).status_code == 400
