"""Signing out ends the session (issue 19, item 4). Sessions live in the database and the cookie
carries only a random id, so a copy of the cookie taken before sign-out is refused after it, in
every process over the same data; the idle timeout, the absolute lifetime and a password change
end sessions the same way. Times come from an injected clock (tests.support.web.WebClock)."""

from __future__ import annotations

from sqlmodel import select

from logger.accounts import add_user
from logger.browser_sessions import MAX_AGE, end_sessions
from logger.secrets import digest
from storage.models import WebSession
from tests.support.web import new_browser, page_text, post_form, sign_in, two_processes

SESSION_COOKIE = "liuhen_session"


def cookie_of(browser) -> str:
    cookie = browser.get_cookie(SESSION_COOKIE)
    assert cookie is not None, "the browser holds no session cookie"
    return cookie.value


def browser_with(app, cookie: str):
    """Another browser (an attacker's, or the same person's in another process) that replays a
    session cookie."""
    browser = new_browser(app)
    browser.set_cookie(SESSION_COOKIE, cookie)
    return browser


def signed_in(browser) -> bool:
    reply = browser.get("/settings")
    assert reply.status_code in (200, 302), reply.status_code
    return reply.status_code == 200


def test_a_cookie_captured_before_sign_out_is_refused_after_it(app, owner):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    captured = cookie_of(browser)
    assert signed_in(browser_with(app, captured)), "the copy works while the session lives"

    reply = post_form(browser, "/logout", follow_redirects=True)
    assert "You have signed out." in page_text(reply)
    replayed = browser_with(app, captured)
    reply = replayed.get("/settings")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login")
    assert not signed_in(replayed)


def test_the_cookie_carries_a_random_id_and_the_database_keeps_only_its_hash(app, session,
                                                                            owner):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    content = app.session_interface.get_signing_serializer(app).loads(cookie_of(browser))
    assert set(content) <= {"sid", "csrf_token", "_flashes"}, content
    assert "user_id" not in content
    rows = session.exec(select(WebSession).where(WebSession.user_id == owner.id)).all()
    assert [row.token_hash for row in rows] == [digest(content["sid"])]
    assert len(content["sid"]) >= 43, "at least 256 random bits"

    again = sign_in(new_browser(app), "owner", "owner-password")
    other = app.session_interface.get_signing_serializer(app).loads(cookie_of(again))
    assert other["sid"] != content["sid"], "every sign-in gets a new id"


def test_a_password_change_ends_the_other_sessions(app, owner):
    here = sign_in(new_browser(app), "owner", "owner-password")
    there = sign_in(new_browser(app, address="192.0.2.20"), "owner", "owner-password")
    before = cookie_of(here)

    reply = post_form(here, "/settings/password", {
        "password": "owner-password", "new_password": "a-brand-new-password",
        "new_password_again": "a-brand-new-password"}, follow_redirects=True)
    assert reply.request.path == "/settings"
    assert "Your password was changed." in page_text(reply)

    assert signed_in(here), "the browser that changed it goes on"
    assert not signed_in(there), "every other browser is signed out"
    assert not signed_in(browser_with(app, before)), "this browser got a new session id"
    sign_in(new_browser(app), "owner", "a-brand-new-password")
    stale = post_form(new_browser(app), "/login", {"name": "owner", "password": "owner-password"})
    assert stale.status_code == 401


def test_a_wrong_current_password_changes_nothing(app, owner):
    here = sign_in(new_browser(app), "owner", "owner-password")
    there = sign_in(new_browser(app), "owner", "owner-password")
    reply = post_form(here, "/settings/password", {
        "password": "not-the-password", "new_password": "a-brand-new-password",
        "new_password_again": "a-brand-new-password"})
    assert reply.status_code == 400 and "The current password is wrong." in page_text(reply)
    reply = post_form(here, "/settings/password", {
        "password": "owner-password", "new_password": "a-brand-new-password",
        "new_password_again": "another-new-password"})
    assert reply.status_code == 400 and "The two passwords differ." in page_text(reply)
    assert signed_in(here) and signed_in(there)
    sign_in(new_browser(app), "owner", "owner-password")


def test_the_cli_password_change_signs_out_every_browser(app, owner, cli):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    result = cli("user", "password", "owner", "--json",
                 env={"LIUHEN_NEW_PASSWORD": "set-by-the-cli"})
    assert result.exit_code == 0, result.output
    assert '"sessions_ended": 1' in result.output
    assert not signed_in(browser)
    sign_in(new_browser(app), "owner", "set-by-the-cli")


def test_ending_an_accounts_sessions_signs_it_out_everywhere(app, session, other_user,
                                                             other_client, client):
    """What disabling or removing a member uses (logger.browser_sessions.end_sessions)."""
    assert signed_in(other_client) and signed_in(client)
    assert end_sessions(session, other_user.id) == 1
    assert not signed_in(other_client)
    assert signed_in(client), "other accounts keep theirs"


def test_an_idle_session_ends_with_a_message(app, owner, web_clock):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    captured = cookie_of(browser)
    web_clock.advance(minutes=29)
    assert signed_in(browser)
    web_clock.advance(minutes=29, seconds=30)
    assert signed_in(browser), "under 30 minutes idle, twice: activity in between keeps it"
    web_clock.advance(minutes=31)
    reply = browser.get("/settings", follow_redirects=True)
    assert reply.request.path == "/login"
    assert "signed out after 30 minutes without activity" in page_text(reply)
    web_clock.advance(seconds=-3600)
    assert not signed_in(browser_with(app, captured)), "ended in the database, not in a cookie"


def test_a_session_ends_after_its_absolute_lifetime_however_busy(app, owner, web_clock):
    browser = sign_in(new_browser(app), "owner", "owner-password")
    steps = int(MAX_AGE.total_seconds() // (20 * 60))
    for _ in range(steps - 1):
        web_clock.advance(minutes=20)
        assert signed_in(browser)
    web_clock.advance(minutes=20)
    reply = browser.get("/settings", follow_redirects=True)
    assert reply.request.path == "/login"
    assert "signed out 12 hours after signing in" in page_text(reply)
    sign_in(browser, "owner", "owner-password")
    assert signed_in(browser)


def test_two_app_processes_over_one_data_dir_share_sessions(any_db):
    with any_db.session() as session:
        add_user(session, "owner", "owner-password")
    with two_processes(any_db) as ((first, second), clock):
        here = sign_in(new_browser(first), "owner", "owner-password")
        there = browser_with(second, cookie_of(here))
        assert signed_in(there), "a session started in one process works in the other"

        post_form(there, "/logout")
        assert not signed_in(here), "signing out in one process ends it in the other"

        here = sign_in(new_browser(first), "owner", "owner-password")
        there = browser_with(second, cookie_of(here))
        clock.advance(minutes=20)
        assert signed_in(there), "a request to the second process is activity"
        clock.advance(minutes=20)
        assert signed_in(here), "the first process sees it: 20, not 40, minutes idle"
