"""A promise suggestion's "who" comes from the side that said it when that is known (issue 13):
a chat message's bubble, a stereo call's channel once the user said whose it is; the chat's
title, notices and unread stamps are no one's words."""

from __future__ import annotations

from logger.promises.suggestions import open_suggestions, resay_suggestions
from logger.record.sides import set_left_channel
from storage.models import TextSource
from tests.support.promises import add_text, make_item

PROMISE = "下周三前还五千。"   # the words alone do not say who


def parties(session, item) -> list[str]:
    return [s.party for s in open_suggestions(session, item.id)]


def test_a_chat_message_gives_its_side_to_the_suggestion(services, session, negotiation, owner):
    for side, party in (("them", "them"), ("me", "me"), (None, "unknown")):
        item = make_item(services, session, negotiation, owner, name="chat.png")
        add_text(session, item, PROMISE, [
            {"kind": "title", "side": None, "time": None, "text": "我下周三前还五千", "box": [0] * 4},
            {"kind": "message", "side": side, "time": "2024-12-03T07:30:00Z", "text": PROMISE,
             "box": [0, 10, 5, 20]}], source=TextSource.ocr)
        [suggestion] = open_suggestions(session, item.id)   # not the title's words
        assert (suggestion.party, suggestion.segment_index) == (party, 1)


def test_a_stereo_line_takes_its_channels_side_once_the_user_said_it(services, session,
                                                                     negotiation, owner):
    item = make_item(services, session, negotiation, owner, name="call.wav")
    add_text(session, item, PROMISE, [
        {"start": 0.0, "end": 2.0, "text": "您好，这里是信用飞。", "speaker": "left"},
        {"start": 2.0, "end": 4.0, "text": PROMISE, "speaker": "right"}])
    assert parties(session, item) == ["unknown"]
    set_left_channel(session, item, side="me", actor=owner)
    resay_suggestions(session, item)
    assert parties(session, item) == ["them"]
    set_left_channel(session, item, side="them", actor=owner)
    resay_suggestions(session, item)
    assert parties(session, item) == ["me"]
    # A text read after the choice: its suggestions have the side from the start.
    add_text(session, item, "下周五前还八千。", [
        {"start": 0.0, "end": 2.0, "text": "下周五前还八千。", "speaker": "left"}])
    assert parties(session, item) == ["me", "them"]
