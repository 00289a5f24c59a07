"""In Chromium (Debian's, through Playwright, as tests/e2e/): accept a promise found in a call,
see "not yet in writing" on the promises page and in the header, open the confirmation request
(its copy button shown by copy.js under the CSP), link the written agreement,
and see the badge and the header's count go. The app is the real one over a real data dir,
served by cheroot (web.cli.make_server) on loopback in a thread of the test."""

from __future__ import annotations

import re
import threading

import pytest

from logger.config import ServerConfig
from tests.support.agreements import agreement_with, call_with
from web.cli import make_server

pytestmark = pytest.mark.slow


@pytest.fixture
def served(app):
    server = make_server(app, ServerConfig(threads=4), "127.0.0.1", 0)
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    host, port = server.bind_addr
    yield f"http://{host}:{port}"
    server.stop()
    thread.join(timeout=10)


def test_accept_a_promise_see_the_badge_link_the_agreement_and_see_it_go(
        page, served, services, session, negotiation, owner):
    call = call_with(services, session, negotiation, owner)
    agreement = agreement_with(services, session, negotiation, owner, "以上内容确认无误。",
                               name="signed.txt")
    page.goto(served + "/login")
    page.fill("#login-name", "owner")
    page.fill("#login-password", "owner-password")
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{served}/evidence/{call.id}")
    page.click("summary[data-testid^=review-]")
    page.click("button[data-testid^=accept-]")
    page.wait_for_load_state()

    page.goto(f"{served}/negotiations/{negotiation.id}/promises")
    badge = page.locator("[data-testid^=not-in-writing-]")
    assert badge.count() == 1 and badge.inner_text() == "尚无书面确认"
    header = page.locator("[data-testid=header-not-in-writing]")
    assert header.inner_text().strip() == "1 项承诺尚无书面确认"

    header.locator("a").click()
    page.click("[data-testid=open-confirmation]")
    assert page.input_value("[data-testid=confirmation-text]").startswith("请书面确认：")
    assert page.locator("[data-testid=copy-full]").is_visible()   # copy.js ran under the CSP
    page.goto(f"{served}/negotiations/{negotiation.id}/promises")
    page.select_option("select[data-testid^=writing-choice-]", str(agreement.id))
    page.click("button[data-testid^=link-writing-]")
    page.wait_for_url(re.compile(r"/promises#promise-\d+$"))
    assert page.locator("[data-testid^=not-in-writing-]").count() == 0
    assert page.locator("[data-testid=header-not-in-writing]").count() == 0
    assert page.locator("[data-testid^=in-writing-]").inner_text().startswith("已有书面确认")
    assert page.errors == []
