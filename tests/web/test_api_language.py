"""The JSON API answers in the language each request asks for (Accept-Language), before and
after its token is checked alike, else in the account's language; refusals of the domain come
translated, never in the English the domain writes for the CLI and logs."""

from __future__ import annotations

import pytest



def han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def english_owner(session, owner):
    owner.locale = "en"
    session.add(owner)
    session.commit()
    return owner


@pytest.mark.parametrize("asked, chinese", [("zh-CN,zh;q=0.9", True), ("en", False)])
def test_every_error_follows_the_requests_language(app, api, english_owner, asked, chinese):
    headers = {"Accept-Language": asked}
    answers = [
        app.test_client().get("/api/v1/negotiations", headers=headers),  # no token: 401
        api("GET", "/negotiations/999", headers=headers),                 # 404 from a view
        api("GET", "/no-such-route", headers=headers),                    # 404 of no route
        api("POST", "/negotiations", json={"creditor": "x", "principal": "lots"},
            headers=headers),                                                  # refused
    ]
    assert [a.status_code for a in answers] == [401, 404, 404, 400]
    for answer in answers:
        assert answer.is_json
        assert han(answer.json["message"]) == chinese, answer.json["message"]


def test_without_accept_language_the_accounts_language_is_used(api, english_owner):
    reply = api("POST", "/negotiations", json={"creditor": "信用飞", "principal": "lots"})
    assert reply.status_code == 400 and reply.json["problems"] == {"principal": "not_an_amount"}
    assert reply.json["message"] == "Write an amount in digits, for example 12345.67."


def test_a_refused_negotiation_reads_in_chinese(api, session, owner):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    reply = api("POST", "/negotiations", json={"creditor": "", "overdue_since": "2999-01-01"})
    assert reply.status_code == 400
    message = reply.json["message"]
    assert han(message) and "is needed" not in message and "future" not in message
