"""The promise pages' test parts (tests/promises/test_web_promises.py and
test_web_reminders.py): the account reads English, an app with stand-in pages that include the
promise partials the way other parts of the app will, a signed-in browser on it, and a form
post with its CSRF token."""

from __future__ import annotations

import pytest
from flask import Blueprint, render_template_string

from tests.support.web import csrf, sign_in
from web import create_app
from web.access import owned_evidence


@pytest.fixture(autouse=True)
def english(session, owner):
    """The assertions read the English text; the Chinese test switches."""
    owner.locale = "en"
    session.add(owner)
    session.commit()


def host_app(services) -> object:
    """The app with a stand-in evidence page and settings page that include the partials the
    way the real pages will (they belong to other parts of the app)."""
    app = create_app(services)
    stand_in = Blueprint("stand_in", __name__)

    @stand_in.get("/stand-in/evidence/<int:evidence_id>")
    def evidence_page(evidence_id: int):
        return render_template_string(
            '{% extends "base.html" %}{% block content %}'
            '{% include "promises/_suggestions.html" ignore missing %}{% endblock %}',
            evidence=owned_evidence(evidence_id))

    @stand_in.get("/stand-in/settings")
    def settings_page():
        return render_template_string(
            '{% extends "base.html" %}{% block content %}'
            '{% include "settings/_calendar.html" ignore missing %}{% endblock %}')

    app.register_blueprint(stand_in)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def browser(services, owner):
    return sign_in(host_app(services).test_client(), "owner", "owner-password")


def post(client, url: str, data: dict | None = None):
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})
