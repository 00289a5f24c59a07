"""Fixtures for the web tests: the app over the test data dir, a browser client signed in as the
owner, and one signed in as a second account (for the isolation checks)."""

from __future__ import annotations

import re

import pytest

from logger.accounts import add_user
from web import create_app

CSRF_FIELD = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def app(services):
    app = create_app(services)
    app.config["TESTING"] = True
    return app


def csrf(client) -> str:
    """A CSRF token valid for this client's session (read from any page's meta tag)."""
    page = client.get("/login")
    if page.status_code == 302:
        page = client.get("/")
    found = CSRF_FIELD.search(page.get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client, name: str, password: str):
    reply = client.post("/login", data={"name": name, "password": password,
                                        "csrf_token": csrf(client)})
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return client


@pytest.fixture
def client(app, owner):
    return sign_in(app.test_client(), "owner", "owner-password")


@pytest.fixture
def other_user(session, owner):
    return add_user(session, "other", "other-password")


@pytest.fixture
def other_client(app, other_user):
    return sign_in(app.test_client(), "other", "other-password")
