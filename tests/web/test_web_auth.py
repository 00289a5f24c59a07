"""Accounts in the browser: signing in and out, throttling, the session cookie, idle timeout,
CSRF, and the first-run and unlock pages. (Server-side sessions and the known-device lockout
have their regression tests in tests/security/.)"""

import dataclasses

import pytest
from sqlmodel import select

from logger.services import Services
from logger.signin_throttle import FREE_FAILURES, delay_after, name_scope
from storage.models import Negotiation, Role, SigninFailure, User
from tests.support.common import PASSPHRASE
from tests.support.common import make_negotiation_in
from tests.support.web import csrf, new_browser, page_text, post_form, sign_in
from web import create_app


def visitor(app, address: str = "127.0.0.1"):
    return new_browser(app, address=address)


@pytest.fixture
def client(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def other_client(other_client):
    other_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other_client


def login(client, name, password, **kwargs):
    return post_form(client, "/login", {"name": name, "password": password}, **kwargs)


# --- Signing in and out ------------------------------------------------------------------------


def test_sign_in_then_out(app, owner):
    browser = visitor(app)
    assert browser.get("/").headers["Location"].startswith("/login")
    reply = login(browser, "owner", "owner-password")
    assert reply.status_code == 302 and reply.headers["Location"] == "/"
    assert browser.get("/").status_code == 200
    reply = post_form(browser, "/logout", follow_redirects=True)
    assert reply.request.path == "/login" and "You have signed out." in page_text(reply)
    assert browser.get("/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(app, owner):
    reply = login(visitor(app), "owner", "not-the-password")
    assert reply.status_code == 401 and "Wrong name or password." in page_text(reply)


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(app, owner):
    browser = visitor(app)
    assert browser.get("/settings").headers["Location"] == "/login?next=/settings"
    reply = post_form(browser, "/login?next=/settings",
                      {"name": "owner", "password": "owner-password"})
    assert reply.headers["Location"] == "/settings"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        browser = visitor(app)
        reply = post_form(browser, f"/login?next={target}",
                          {"name": "owner", "password": "owner-password"})
        assert reply.headers["Location"] == "/", target


def test_a_new_session_on_sign_in(app, owner):
    browser = visitor(app)
    before = csrf(browser)
    login(browser, "owner", "owner-password")
    assert csrf(browser) != before, "signing in must not keep the visitor's session"


# --- Throttling --------------------------------------------------------------------------------


def failures_of(session, name: str) -> int:
    session.expire_all()
    return len(session.exec(select(SigninFailure).where(
        SigninFailure.scope == name_scope(name))).all())


def test_delays_double_up_to_five_minutes():
    assert [delay_after(n).total_seconds() for n in range(1, 13)] == \
        [0, 0, 0, 0, 15, 30, 60, 120, 240, 300, 300, 300]


def test_five_failures_slow_the_name_down_and_say_when_to_try_again(app, session, owner,
                                                                     web_clock):
    browser = visitor(app)
    for _ in range(FREE_FAILURES - 1):
        assert login(browser, "owner", "wrong-password").status_code == 401
    reply = login(browser, "owner", "wrong-password")
    assert reply.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 seconds." in page_text(reply)
    assert failures_of(session, "owner") == FREE_FAILURES

    elsewhere = visitor(app, "192.0.2.7")
    reply = login(elsewhere, "owner", "owner-password")
    assert reply.status_code == 429, "the right password is not even checked while locked"


def test_the_delay_grows_and_a_success_clears_the_count(app, session, owner, web_clock):
    browser = visitor(app, "192.0.2.8")
    for _ in range(FREE_FAILURES):
        login(browser, "owner", "wrong-password")
    web_clock.advance(seconds=16)
    reply = login(browser, "owner", "wrong-password")
    assert reply.status_code == 429 and "Try again in 30 seconds." in page_text(reply)

    web_clock.advance(seconds=31)
    assert login(visitor(app, "192.0.2.9"), "owner", "owner-password").status_code == 302
    assert failures_of(session, "owner") == 0


def test_unknown_names_are_throttled_per_address_with_the_same_answer(app, session, owner,
                                                                      web_clock):
    prober = visitor(app, "198.51.100.1")
    answers = [login(prober, f"ghost{n}", "some-password") for n in range(FREE_FAILURES)]
    assert [a.status_code for a in answers] == [401] * (FREE_FAILURES - 1) + [429]
    assert page_text(answers[0]).count("Wrong name or password.") == 1
    assert login(prober, "owner", "owner-password").status_code == 429, \
        "the address is slowed down for every name"
    assert failures_of(session, "owner") == 0, "the owner's name was never tried"

    # A known name from another address: the same codes and the same words.
    known = visitor(app, "198.51.100.2")
    answers_known = [login(known, "owner", "wrong-password") for _ in range(FREE_FAILURES)]
    assert [a.status_code for a in answers_known] == [a.status_code for a in answers]
    assert page_text(answers_known[0]) == page_text(answers[0])
    assert page_text(answers_known[-1]) == page_text(answers[-1])

    web_clock.advance(seconds=16)
    assert login(visitor(app, "198.51.100.3"), "owner", "owner-password").status_code == 302


# --- The session cookie ------------------------------------------------------------------------


def session_cookie(reply) -> str:
    cookies = [c for c in reply.headers.getlist("Set-Cookie") if c.startswith("liuhen_session=")]
    assert cookies, reply.headers
    return cookies[-1]


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(app, owner):
    plain = login(visitor(app), "owner", "owner-password")
    cookie = session_cookie(plain)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires" not in cookie, "the cookie ends with the browser session"

    secure = visitor(app)
    token = csrf(secure)
    reply = secure.post("/login", base_url="https://localhost",
                        data={"name": "owner", "password": "owner-password",
                              "csrf_token": token})
    assert "Secure" in session_cookie(reply)


def test_x_forwarded_proto_counts_only_when_the_proxy_is_trusted(services, owner):
    def cookie_through_proxy(trust: bool) -> str:
        config = dataclasses.replace(services.config, server=dataclasses.replace(
            services.config.server, trust_proxy=trust))
        browser = new_browser(create_app(dataclasses.replace(services, config=config)))
        token = csrf(browser)
        reply = browser.post("/login", headers={"X-Forwarded-Proto": "https"},
                             data={"name": "owner", "password": "owner-password",
                                   "csrf_token": token})
        return session_cookie(reply)

    assert "Secure" not in cookie_through_proxy(False)
    assert "Secure" in cookie_through_proxy(True)


def test_an_idle_session_is_cleared_with_a_message(app, web_clock, client):
    web_clock.advance(minutes=31)
    reply = client.get("/settings")
    assert reply.status_code == 302 and reply.headers["Location"].startswith("/login")
    page = client.get(reply.headers["Location"])
    assert "signed out after 30 minutes without activity" in page_text(page)
    assert client.get("/").status_code == 302, "the session is gone, not only this request"


def test_activity_keeps_the_session(app, web_clock, client):
    web_clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    web_clock.advance(minutes=29)
    assert client.get("/").status_code == 200, "the request before counted as activity"


# --- CSRF --------------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_change_nothing(app, session, client, owner):
    negotiation = make_negotiation_in(session, owner)
    refused = {
        "/negotiations/new": {"creditor": "借呗"},
        f"/negotiations/{negotiation.id}/edit": {"creditor": "花呗"},
        "/settings/members": {"name": "intruder", "password": "intruder-password"},
        "/settings/timezone": {"timezone": "Europe/Paris"},
        "/settings/language": {"lang": "en"},
        "/logout": {},
    }
    for url, data in refused.items():
        reply = client.post(url, data=data)
        assert reply.status_code == 400, url
        assert "The form was refused" in reply.get_data(as_text=True)
    session.expire_all()
    assert [n.creditor for n in session.exec(select(Negotiation))] == ["信用飞"]
    assert [u.name for u in session.exec(select(User))] == ["owner"]
    assert (session.get(User, owner.id).timezone, session.get(User, owner.id).locale) == \
        (None, None)
    assert client.get("/").status_code == 200, "still signed in"

    stranger = visitor(app)
    reply = stranger.post("/login", data={"name": "owner", "password": "owner-password"})
    assert reply.status_code == 400 and stranger.get("/").status_code == 302


# --- First run and unlock ----------------------------------------------------------------------


@pytest.fixture
def locked_app(config):
    """An app over a data dir that does not exist yet."""
    app = create_app(config=config)
    app.config["TESTING"] = True
    yield app
    app.extensions["liuhen"].close()


def first_run_form(**overrides):
    return {"passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE, "name": "阿明",
            "password": "a-good-password", "password_again": "a-good-password", **overrides}


def test_first_run_creates_the_vault_and_the_owner(locked_app, config):
    browser = visitor(locked_app)
    page = browser.get("/", follow_redirects=True)
    assert page.request.path == "/setup" and 'name="passphrase"' in page.get_data(as_text=True)
    reply = post_form(browser, "/setup", first_run_form())
    assert reply.status_code == 302 and reply.headers["Location"] == "/negotiations/new"
    assert browser.get("/negotiations/new").status_code == 200, "signed in as the owner"
    with Services.open(config, PASSPHRASE) as services, services.session() as session:
        assert [(u.name, u.role) for u in session.exec(select(User))] == [("阿明", Role.owner)]
    assert visitor(locked_app).get("/setup").headers["Location"] == "/login"


@pytest.mark.parametrize("overrides, message", [
    ({"passphrase": "short", "passphrase_again": "short"}, "at least 12 characters"),
    ({"passphrase_again": PASSPHRASE + "x"}, "The two passphrases differ."),
    ({"password": "short", "password_again": "short"}, "at least 8 characters"),
    ({"password_again": "another-password"}, "The two passwords differ."),
    ({"name": " "}, "A name needs 1 to 64 printable characters."),
])
def test_first_run_refuses_bad_input_before_creating_anything(locked_app, config, overrides,
                                                              message):
    browser = visitor(locked_app)
    reply = post_form(browser, "/setup", first_run_form(**overrides))
    assert reply.status_code == 400 and message in page_text(reply)
    assert not config.storage.vault_path.exists()


def test_unlock_opens_an_existing_vault_and_runs_the_unlock_callbacks(config):
    Services.create(config, PASSPHRASE).close()
    app = create_app(config=config)
    opened = []
    app.extensions.setdefault("liuhen.on_unlock", []).append(opened.append)
    browser = visitor(app)
    assert browser.get("/").headers["Location"] == "/unlock"
    assert browser.get("/login").headers["Location"] == "/unlock"

    wrong = post_form(browser, "/unlock", {"passphrase": "not the passphrase"})
    assert wrong.status_code == 400
    assert "That passphrase does not open the vault." in page_text(wrong)
    assert opened == [] and app.extensions["liuhen"].services is None

    reply = post_form(browser, "/unlock", {"passphrase": PASSPHRASE})
    assert reply.headers["Location"] == "/login"
    assert len(opened) == 1 and opened[0] is app.extensions["liuhen"].services
    assert browser.get("/login", follow_redirects=True).request.path == "/setup", \
        "no account yet: the first-run page asks only for the owner's account"
    page = browser.get("/setup")
    assert 'name="passphrase"' not in page.get_data(as_text=True)
    app.extensions["liuhen"].close()


# --- Members -----------------------------------------------------------------------------------


def test_the_owner_adds_members_and_members_cannot(app, session, client, other_client):
    page = client.get("/settings/members")
    assert page.status_code == 200 and "other" in page_text(page)
    reply = post_form(client, "/settings/members",
                      {"name": "律师", "password": "lawyer-password", "role": "admin"})
    assert reply.status_code == 302
    added = session.exec(select(User).where(User.name == "律师")).one()
    assert added.role == Role.admin
    sign_in(visitor(app), "律师", "lawyer-password")

    assert other_client.get("/settings/members").status_code == 404
    reply = post_form(other_client, "/settings/members",
                      {"name": "sneaky", "password": "sneaky-password"})
    assert reply.status_code == 404
    assert session.exec(select(User).where(User.name == "sneaky")).first() is None


def test_an_admin_adds_members_but_not_admins(app, session, client):
    post_form(client, "/settings/members",
              {"name": "helper", "password": "helper-password", "role": "admin"})
    helper = sign_in(visitor(app), "helper", "helper-password")
    reply = post_form(helper, "/settings/members",
                      {"name": "boss", "password": "boss-password", "role": "admin"})
    assert reply.status_code == 400 and "only the owner can make an admin" in page_text(reply)
    reply = post_form(helper, "/settings/members",
                      {"name": "cousin", "password": "cousin-password"})
    assert reply.status_code == 302
    assert session.exec(select(User).where(User.name == "cousin")).one().role == Role.member
    reply = post_form(helper, "/settings/members", {"name": "cousin", "password": "x" * 9})
    assert reply.status_code == 400 and "That name is taken" in page_text(reply)
