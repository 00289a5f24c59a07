"""Fixtures for the web tests: the app over the test data dir, a browser client signed in as the
owner, and one signed in as a second account (for the isolation checks); helpers to post forms
with a CSRF token and to read what a page says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

from logger.accounts import add_user
from logger.services import Services
from storage.models.types import utcnow
from tests.support.common import PASSPHRASE
from web import create_app
from web.sessions import CLOCK

CSRF_FIELD = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def app(services):
    app = create_app(services)
    app.config["TESTING"] = True
    return app


class WebClock:
    """The web app's clock in a test (`app.extensions[web.sessions.CLOCK]`): it starts at the
    real time and moves only when told, so tests about idle and expiry never sleep."""

    def __init__(self, start: datetime | None = None):
        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def on(self, app) -> WebClock:
        app.extensions[CLOCK] = self
        return self


@pytest.fixture
def web_clock(app) -> WebClock:
    """The clock of the `app` fixture (set before any request)."""
    return WebClock().on(app)


@contextmanager
def two_processes(services: Services) -> Iterator[tuple[list, WebClock]]:
    """Two web apps over the data dir `services` opened, as two `liuhen serve` processes would
    be (each with its own engine, app and secret derived from the vault), on one test clock."""
    with Services.open(services.config, PASSPHRASE) as second:
        apps, clock = [create_app(services), create_app(second)], WebClock()
        for app in apps:
            app.config["TESTING"] = True
            clock.on(app)
        yield apps, clock


def csrf(client) -> str:
    """A CSRF token valid for this client's session (read from any page's meta tag)."""
    page = client.get("/login", follow_redirects=True)
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def new_browser(app, *, language: str | None = "en", address: str = "127.0.0.1"):
    """A fresh browser (test client) that asks for `language` pages, from `address`."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    if language:
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    return browser


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form as the browser sends it, with this session's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)}, **kwargs)


def sign_in(client, name: str, password: str):
    reply = client.post("/login", data={"name": name, "password": password,
                                        "csrf_token": csrf(client)})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return client


def page_text(response) -> str:
    """What a person reads on the page: its text, with runs of white space made one."""
    return " ".join(visible_text(response.get_data(as_text=True)))


class _TextParser(HTMLParser):
    """Collects text nodes and the attributes a person reads or hears (placeholder, title,
    aria-label, alt), leaving out <script>, <style>, decoration (aria-hidden) and parts marked
    with another `lang`."""

    SPOKEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, page_language: str):
        super().__init__()
        self.page_language = page_language
        self.texts: list[str] = []
        self._stack: list[tuple[str, bool]] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self._stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        language = attributes.get("lang")
        hidden = (tag in ("script", "style", "template")
                  or attributes.get("aria-hidden") == "true"   # decoration, such as the seal
                  or (language is not None and not language.startswith(self.page_language)))
        if not hidden and not self._hidden():
            self.texts += [attributes[a] for a in self.SPOKEN_ATTRIBUTES if attributes.get(a)]
        if tag not in self.VOID:
            self._stack.append((tag, hidden))

    def handle_endtag(self, tag):
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if data.strip() and not self._hidden():
            self.texts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    found = re.search(r'<html lang="([a-z]+)', html)
    parser = _TextParser(found.group(1) if found else "")
    parser.feed(html)
    return parser.texts


@pytest.fixture
def client(app, owner):
    return sign_in(app.test_client(), "owner", "owner-password")


@pytest.fixture
def other_user(session, owner):
    return add_user(session, "other", "other-password")


@pytest.fixture
def other_client(app, other_user):
    return sign_in(app.test_client(), "other", "other-password")
