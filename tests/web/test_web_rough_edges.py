"""The rough edges of issue 20 that a test client can see: the timeline's lines without a time
or a sender, one search result per item, no emoji as icons in the templates, the unlock page
going on to the page asked for, and the first-run form's errors all at once."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from storage.models import Direction
from tests.support.common import PASSPHRASE, store_item
from tests.support.web import new_browser, page_text, post_form
from web import create_app

WEB = Path(__file__).resolve().parents[2] / "web"
# Pictographs taken for icons: the emoji blocks, dingbats, and the symbols with an emoji form.
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\U0001F000-\U0001F2FF"
                   "\u2300-\u23FF\u25A0-\u25FF\uFE0F]")


def english(session, owner):
    owner.locale = "en"
    session.add(owner)
    session.commit()


def timeline_line(html: str, evidence_id: int) -> str:
    start = html.index(f'data-testid="timeline-item" data-id="{evidence_id}"')
    return html[start:html.index("</li>", start)]


def test_a_document_is_known_by_its_file_name_and_kind(client, services, session, owner,
                                                       negotiation):
    english(session, owner)
    document = store_item(services, session, negotiation, owner, "还款协议_最终版.txt")
    line = timeline_line(client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True),
                         document.id)
    assert document.kind == "document" and document.occurred_at is None
    assert 'data-testid="item-file">还款协议_最终版.txt<' in line
    assert 'data-testid="item-kind">Document<' in line
    assert "Unknown sender" not in line
    # No lone "·" where neither the direction nor the time is known; the words stay for a
    # screen reader.
    marks = re.search(r'<span class="direction"[^>]*>(.*?)<span class="visually-hidden">', line)
    assert marks is not None and marks.group(1) == ""
    assert "Direction unknown" in line


def test_a_call_keeps_its_sender_and_direction_mark(client, services, session, owner,
                                                    negotiation):
    call = store_item(services, session, negotiation, owner, "call.txt", kind="call",
                      channel="call", direction=Direction.from_them, counterpart_number="95188")
    line = timeline_line(client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True),
                         call.id)
    assert "95188" in line and "↙" in line and 'data-testid="item-file"' not in line


def test_a_file_that_matches_by_name_and_text_is_one_result(client, services, session, owner,
                                                            negotiation):
    from storage.models import TextSource
    store_item(services, session, negotiation, owner, "还款协议.txt",
               texts=[(TextSource.text, [{"text": "还款协议：下周五还款"}])], note="还款的约定")
    html = client.get("/search", query_string={"q": "还款"}).get_data(as_text=True)
    assert html.count('data-testid="search-result"') == 1


def test_no_template_or_script_uses_emoji_as_icons():
    found = []
    for path in sorted(WEB.glob("templates/**/*.html")) + sorted(WEB.glob("static/js/*.js")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if EMOJI.search(line):
                found.append(f"{path.relative_to(WEB)}:{number}: {line.strip()[:80]}")
    assert not found, "emoji are empty boxes without an emoji font; use icon():\n" + \
        "\n".join(found)


def test_after_unlocking_the_page_asked_for_opens(config, services, owner, negotiation):
    services.close()
    app = create_app(config=config)
    app.config["TESTING"] = True
    try:
        browser = new_browser(app)
        asked = f"/negotiations/{negotiation.id}/promises?x=1"
        reply = browser.get(asked)
        assert reply.status_code == 302
        where = urlsplit(reply.headers["Location"])
        assert where.path == "/unlock" and parse_qs(where.query) == {"next": [asked]}
        unlocked = post_form(browser, reply.headers["Location"], {"passphrase": PASSPHRASE})
        login = unlocked.headers["Location"]
        assert login.startswith("/login?next=")
        signed = browser.post(login, data={"name": "owner", "password": "owner-password",
                                           "csrf_token": _token(browser)})
        assert signed.headers["Location"] == asked
    finally:
        app.extensions["liuhen"].close()


def test_unlocking_never_goes_to_another_site(config, services):
    services.close()
    app = create_app(config=config)
    app.config["TESTING"] = True
    try:
        browser = new_browser(app)
        reply = post_form(browser, "/unlock?next=//evil.example/", {"passphrase": PASSPHRASE})
        assert reply.headers["Location"] == "/login"
    finally:
        app.extensions["liuhen"].close()


def _token(browser) -> str:
    from tests.support.web import csrf
    return csrf(browser)


def test_the_first_run_form_shows_every_error_at_once_and_keeps_the_name(config):
    app = create_app(config=config)
    app.config["TESTING"] = True
    try:
        browser = new_browser(app, language="zh")
        reply = post_form(browser, "/setup", {
            "passphrase": "short", "passphrase_again": "other", "name": "阿明",
            "password": "short", "password_again": "different"})
        assert reply.status_code == 400
        html = reply.get_data(as_text=True)
        errors = re.findall(r"<li>(.*?)</li>", html[html.index('data-testid="form-error"'):
                                                     html.index("</ul>")])
        assert len(errors) == 4, errors  # short password, passwords differ, passphrase x2
        assert 'value="阿明"' in html  # the name is kept
        assert "short" not in re.findall(r'value="([^"]*)"', html)  # no password is sent back
        assert not config.storage.vault_path.exists()
        text = page_text(reply)
        assert "两次输入的密码不一致" in text or "密码" in text
    finally:
        app.extensions["liuhen"].close()


def test_saving_details_on_the_item_page_is_a_post_that_comes_back(client, services, session,
                                                                   owner, negotiation):
    """The item page's form is not saved in place (the page's header would keep the old
    values): it posts, and the page comes back with the new values in its header."""
    item = store_item(services, session, negotiation, owner, "call.txt")
    page = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    form = page[page.index('<form class="details-form'):]
    assert "data-in-place" not in form[:form.index(">")]
    reply = post_form(client, f"/evidence/{item.id}/details",
                      {"counterpart_name": "王经理", "channel": "call", "direction": "from_them"},
                      follow_redirects=True)
    head = reply.get_data(as_text=True)
    head = head[head.index('data-testid="evidence-head"'):head.index("</header>",
                                                                     head.index("evidence-head"))]
    assert "王经理" in head


def on_host(browser, host: str) -> str:
    """A CSRF token of `browser`'s session as seen at `host` (cookies follow the host)."""
    from tests.support.web import CSRF_FIELD
    page = browser.get("/login", headers={"Host": host}, follow_redirects=True)
    return CSRF_FIELD.search(page.get_data(as_text=True)).group(1)


def test_the_calendar_address_is_the_one_the_browser_used(app, owner):
    host = "192.168.1.5:8000"  # Liuhen reached from the network, as a phone would
    browser = app.test_client()
    signed = browser.post("/login", headers={"Host": host}, data={
        "name": "owner", "password": "owner-password", "csrf_token": on_host(browser, host)})
    assert signed.status_code == 302
    reply = browser.post("/settings/calendar", headers={"Host": host},
                         data={"csrf_token": on_host(browser, host)})
    assert reply.status_code == 201, reply.get_data(as_text=True)[-300:]
    html = reply.get_data(as_text=True)
    url = re.search(r'value="([^"]+)"[^>]*data-testid="calendar-url"', html).group(1)
    assert url.startswith("http://192.168.1.5:8000/calendar/") and url.endswith(".ics")
    assert 'data-testid="calendar-this-computer-only"' not in html
    assert 'data-testid="copy-calendar-url"' in html and "js/copy.js" in html


def test_a_loopback_calendar_address_says_a_phone_cannot_reach_it(app, session, owner):
    english(session, owner)
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "127.0.0.1"):
        browser = app.test_client()
        browser.post("/login", headers={"Host": host}, data={
            "name": "owner", "password": "owner-password", "csrf_token": on_host(browser, host)})
        reply = browser.post("/settings/calendar", headers={"Host": host},
                             data={"csrf_token": on_host(browser, host)})
        assert reply.status_code == 201
        assert 'data-testid="calendar-this-computer-only"' in reply.get_data(as_text=True)
        assert "a phone cannot reach it" in page_text(reply)
