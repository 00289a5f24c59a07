"""Settings: the language (from the browser, switchable, remembered), the time zone, and what
the settings page offers to whom."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from logger.accounts import AccountError, set_timezone
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import User
from tests.support.common import make_negotiation_in
from tests.support.web import new_browser, page_text, post_form, sign_in


def fresh(session, user):
    session.expire_all()
    return session.get(User, user.id)


def language_cookie(reply) -> str:
    found = [c for c in reply.headers.getlist("Set-Cookie") if c.startswith("lang=")]
    assert found, reply.headers
    return found[-1]


def test_the_language_comes_from_the_browser(app, owner):
    assert "登录" in page_text(new_browser(app, language="zh-CN,zh;q=0.9").get("/login"))
    assert "Sign in" in page_text(new_browser(app, language="en-GB,en;q=0.8").get("/login"))
    assert "登录" in page_text(new_browser(app, language=None).get("/login")), \
        "Chinese when the browser says nothing"


def test_switching_before_sign_in_is_remembered_in_a_cookie(app, owner):
    browser = new_browser(app, language="en")
    reply = post_form(browser, "/settings/language", {"lang": "zh", "next": "/login"})
    assert reply.headers["Location"] == "/login"
    cookie = language_cookie(reply)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "登录" in page_text(browser.get("/login"))


def test_switching_when_signed_in_is_remembered_on_the_account(app, session, owner):
    browser = sign_in(new_browser(app, language="en"), "owner", "owner-password")
    reply = post_form(browser, "/settings/language", {"lang": "zh", "next": "/settings"})
    assert reply.headers["Location"] == "/settings"
    assert fresh(session, owner).locale == "zh"
    assert "设置" in page_text(browser.get("/settings"))

    # Another browser that asks for English: the account's choice wins once signed in, and the
    # sign-in leaves the cookie, so the sign-in page after signing out speaks it too.
    elsewhere = new_browser(app, language="en")
    assert "Sign in" in page_text(elsewhere.get("/login"))
    reply = post_form(elsewhere, "/login", {"name": "owner", "password": "owner-password"})
    assert "lang=zh" in language_cookie(reply)
    assert "我的协商" in page_text(elsewhere.get("/"))
    post_form(elsewhere, "/logout")
    assert "登录" in page_text(elsewhere.get("/login"))


def test_an_unknown_language_or_a_foreign_next_changes_nothing(app, session, client, owner):
    reply = post_form(client, "/settings/language", {"lang": "fr", "next": "//evil.example/"})
    assert reply.headers["Location"] == "/"
    assert not [c for c in reply.headers.getlist("Set-Cookie") if c.startswith("lang=")]
    assert fresh(session, owner).locale is None


def test_the_time_zone_is_validated_and_used(app, services, session, client, owner, testdata):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    negotiation = make_negotiation_in(session, owner, outstanding=Decimal("8000"))
    path = testdata / "audio" / "BAC009S0764W0121.wav"
    ingest(session=session, blobs=services.blobs,
           source=IncomingFile(io.BytesIO(path.read_bytes()), path.name), negotiation=negotiation,
           actor=owner, max_bytes=10**8, tz=services.config.locale.zone,
           details=EvidenceDetails(occurred_at=datetime(2024, 12, 3, 7, 30, tzinfo=UTC)))
    assert "12/3/24, 3:30 PM" in page_text(client.get("/")), "Asia/Shanghai by default"

    reply = post_form(client, "/settings/timezone", {"timezone": "Mars/Olympus_Mons"})
    assert reply.status_code == 400 and "That is not a time zone name." in page_text(reply)
    assert fresh(session, owner).timezone is None

    reply = post_form(client, "/settings/timezone", {"timezone": "America/New_York"},
                      follow_redirects=True)
    assert "Times are now shown in America/New_York." in page_text(reply)
    assert fresh(session, owner).timezone == "America/New_York"
    assert "12/3/24, 2:30 AM" in page_text(client.get("/"))

    post_form(client, "/settings/timezone", {"timezone": ""})
    assert fresh(session, owner).timezone is None, "empty means the configured default"


def test_amounts_and_dates_follow_the_language(app, session, client, owner):
    make_negotiation_in(session, owner, outstanding=Decimal("12345.6"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    assert "¥12,345.60" in page_text(client.get("/"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "CN¥12,345.60" in page_text(client.get("/"))


def test_the_settings_page_offers_members_only_to_owners_and_admins(client, other_client):
    owner_page = client.get("/settings").get_data(as_text=True)
    assert 'data-testid="manage-members"' in owner_page
    assert 'data-testid="settings-timezone"' in owner_page
    assert 'data-testid="api-tokens"' in owner_page, "the API tokens section is included"
    member_page = other_client.get("/settings").get_data(as_text=True)
    assert 'data-testid="manage-members"' not in member_page


@pytest.mark.parametrize("name", ["../../etc/passwd", "Asia/Beijing", "shanghai"])
def test_set_timezone_refuses_what_is_not_a_zone(session, owner, name):
    set_timezone(session, owner, " Europe/London ")
    with pytest.raises(AccountError) as refused:
        set_timezone(session, owner, name)
    assert refused.value.code == "bad_timezone" and owner.timezone == "Europe/London"
