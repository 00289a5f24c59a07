"""A stranger cannot lock the owner out (issue 19, item 7). Every local client is 127.0.0.1, so
failures counted per address alone let anyone on the machine keep the owner out for an hour.
Now a browser that signed in to the account before (its known-device cookie) signs in whatever
strangers did; unknown browsers are slowed down (15 s doubling to at most 5 minutes), never
locked out for long; the counts are rows in the database, shared by every process; and an
unknown name is slowed down exactly like a known one."""

from __future__ import annotations

from logger.accounts import add_user
from logger.signin_throttle import FREE_FAILURES, MAX_DELAY
from tests.support.web import new_browser, page_text, post_form, sign_in, two_processes

LOCAL = "127.0.0.1"
DEVICE_COOKIE = "liuhen_device"


def login(browser, name: str, password: str):
    return post_form(browser, "/login", {"name": name, "password": password})


def owners_browser(app):
    """The owner's own browser: it signed in once (and so holds a known-device cookie), then
    signed out."""
    browser = sign_in(new_browser(app, address=LOCAL), "owner", "owner-password")
    post_form(browser, "/logout")
    return browser


def fail(browser, name: str, times: int = FREE_FAILURES) -> list[int]:
    return [login(browser, name, "a-wrong-guess").status_code for _ in range(times)]


def test_a_stranger_on_the_same_machine_cannot_lock_the_owner_out(app, owner, web_clock):
    mine = owners_browser(app)
    stranger = new_browser(app, address=LOCAL)
    assert fail(stranger, "owner") == [401] * (FREE_FAILURES - 1) + [429]
    assert login(stranger, "owner", "a-wrong-guess").status_code == 429

    reply = login(mine, "owner", "owner-password")
    assert reply.status_code == 302, page_text(reply)
    assert mine.get("/settings").status_code == 200


def test_the_known_device_cookie_is_httponly_and_only_sent_to_the_sign_in_page(app, owner):
    reply = post_form(new_browser(app), "/login", {"name": "owner", "password": "owner-password"})
    cookies = [c for c in reply.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE)]
    assert len(cookies) == 1, reply.headers
    assert all(part in cookies[0] for part in ("HttpOnly", "Path=/login", "SameSite=Strict"))


def test_a_known_device_is_no_free_pass_for_guessing(app, owner, web_clock):
    mine = owners_browser(app)
    assert fail(mine, "owner") == [401] * (FREE_FAILURES - 1) + [429]
    assert login(mine, "owner", "owner-password").status_code == 429
    assert login(new_browser(app, address="192.0.2.30"), "owner",
                 "owner-password").status_code == 302, \
        "the device's failures count against the device, not the account"


def test_only_a_device_of_the_same_account_is_exempt(app, owner, other_user, web_clock):
    mine, theirs = owners_browser(app), new_browser(app, address=LOCAL)
    sign_in(theirs, "other", "other-password")
    post_form(theirs, "/logout")
    fail(new_browser(app, address="192.0.2.31"), "owner")
    assert login(theirs, "owner", "owner-password").status_code == 429
    assert login(mine, "owner", "owner-password").status_code == 302


def test_an_unknown_device_is_slowed_down_not_locked_out(app, owner, web_clock):
    stranger = new_browser(app, address=LOCAL)
    fail(stranger, "owner")
    reply = login(new_browser(app, address=LOCAL), "owner", "owner-password")
    assert reply.status_code == 429, "an unknown browser waits like the stranger"
    assert "Try again in 15 seconds." in page_text(reply)

    # The stranger goes on, as fast as the delays allow: 15 s, 30 s, 1, 2, 4 minutes, then 5.
    for _ in range(10):
        web_clock.advance(seconds=MAX_DELAY.total_seconds() + 1)
        assert login(stranger, "owner", "a-wrong-guess").status_code == 429
    reply = login(new_browser(app, address=LOCAL), "owner", "owner-password")
    assert reply.status_code == 429 and "(in 5 minutes)" in page_text(reply)

    web_clock.advance(seconds=MAX_DELAY.total_seconds() + 1)
    reply = login(new_browser(app, address=LOCAL), "owner", "owner-password")
    assert reply.status_code == 302, "never more than five minutes"


def test_the_failures_are_shared_by_every_process(any_db):
    with any_db.session() as session:
        add_user(session, "owner", "owner-password")
    with two_processes(any_db) as ((first, second), clock):
        prober = new_browser(first, address="198.51.100.40")
        assert fail(prober, "ghost")[-1] == 429
        same_address = new_browser(second, address="198.51.100.40")
        assert login(same_address, "owner", "owner-password").status_code == 429, \
            "the address's failures counted in the first process slow it in the second"
        clock.advance(seconds=16)
        assert login(same_address, "owner", "owner-password").status_code == 302


def test_unknown_names_behave_like_wrong_passwords(app, owner, web_clock):
    known = [login(new_browser(app, address="203.0.113.1"), "owner", "a-wrong-guess")
             for _ in range(FREE_FAILURES)]
    unknown = [login(new_browser(app, address="203.0.113.2"), "nobody", "a-wrong-guess")
               for _ in range(FREE_FAILURES)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == \
        [401] * (FREE_FAILURES - 1) + [429]
    assert [page_text(r) for r in known] == [page_text(r) for r in unknown]

    # From a third address, each name is answered the same way: both are slowed down.
    for name in ("nobody", "owner"):
        reply = login(new_browser(app, address="203.0.113.3"), name, "a-wrong-guess")
        assert reply.status_code == 429, name
        assert "Try again in 15 seconds." in page_text(reply)
