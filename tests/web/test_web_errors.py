"""The error pages: 404, 403 and 500 in the reader's language, inside the app's header, with a
way back to the negotiations; a member who follows a link to another account's item meets the
same 404. Addresses under /api/v1 keep answering JSON."""

from __future__ import annotations

import re

import pytest
from flask import abort

from logger.tokens import create_token
from tests.support.common import store_item
from tests.support.web import page_text, sign_in

WORDS = {
    "en": {404: "Page not found", 403: "Not allowed", 500: "Something went wrong",
           "back": "Back to your negotiations"},
    "zh": {404: "找不到此页面", 403: "无权访问", 500: "出错了", "back": "返回协商列表"},
}


@pytest.fixture
def failing_app(app):
    """The app with two routes that fail on purpose (added before its first request), and the
    unhandled exception answered as a production server answers it, not raised into the test."""
    def forbidden():
        abort(403)

    def broken():
        raise RuntimeError("a bug")
    app.add_url_rule("/test-forbidden", "test_forbidden", forbidden)
    app.add_url_rule("/test-broken", "test_broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def signed_in(app, session, owner, language):
    owner.locale = language
    session.add(owner)
    session.commit()
    return sign_in(app.test_client(), "owner", "owner-password")


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path, status", [("/no-such-page", 404), ("/negotiations/99999", 404),
                                          ("/test-forbidden", 403), ("/test-broken", 500)])
def test_an_error_is_a_page_of_the_app_in_the_readers_language(failing_app, session, owner,
                                                               language, path, status):
    reply = signed_in(failing_app, session, owner, language).get(path)
    assert reply.status_code == status
    assert reply.mimetype == "text/html"
    html = reply.get_data(as_text=True)
    text = page_text(reply)
    assert WORDS[language][status] in text and WORDS[language]["back"] in text
    assert 'data-testid="topbar"' in html and 'data-testid="nav-negotiations"' in html
    assert re.search(r'<a [^>]*href="/"[^>]*data-testid="error-back"', html)
    assert "Not Found" not in text and "Internal Server Error" not in text
    assert "a bug" not in text  # the exception stays in the server's log


def test_a_member_following_a_link_to_another_accounts_item_gets_the_page(
        app, services, session, owner, negotiation, other_client):
    item = store_item(services, session, negotiation, owner, "note.txt")
    for path in (f"/evidence/{item.id}", f"/negotiations/{negotiation.id}"):
        reply = other_client.get(path, headers={"Accept-Language": "zh"})
        assert reply.status_code == 404
        text = page_text(reply)
        assert "找不到此页面" in text and "它属于另一个账户" in text, text
        assert "note.txt" not in text and negotiation.creditor not in text


def test_before_sign_in_the_page_has_the_header_without_the_menu(app, owner):
    reply = app.test_client().get("/no-such-page", headers={"Accept-Language": "en"})
    assert reply.status_code == 404
    html = reply.get_data(as_text=True)
    assert "Page not found" in page_text(reply)
    assert 'data-testid="topbar"' in html and 'data-testid="nav-negotiations"' not in html


def test_the_api_keeps_answering_json(app, session, owner):
    token = create_token(session, owner, "phone")[1]
    client = app.test_client(use_cookies=False)
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/no-such-route", "/api/v1/negotiations/99999"):
        reply = client.get(path, headers=headers)
        assert reply.status_code == 404
        assert reply.is_json, reply.get_data(as_text=True)
        assert reply.get_json()["error"] == "not_found"
    assert client.get("/api/v1/no-such-route").is_json  # without a token as well
