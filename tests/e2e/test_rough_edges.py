"""Issue 20's rough edges in a real browser, in Chinese and English, at 1280 px and 390 px:
the error page with the app's header and a way back, the item page's header after "Save
details", and the calendar address's copy button. Screenshots: tests/e2e/screenshots/."""

from __future__ import annotations

import re

import pytest

from tests.e2e.support import serving_app, shoot
from tests.e2e.test_page_width import set_language, sign_in
from tests.support.browser import new_page
from tests.support.common import store_item

pytestmark = pytest.mark.slow

COMBINATIONS = [(language, width) for language in ("zh", "en") for width in (390, 1280)]
WORDS = {"zh": ("找不到此页面", "返回协商列表", "已复制"),
         "en": ("Page not found", "Back to your negotiations", "Copied")}


@pytest.mark.parametrize("language, width", COMBINATIONS)
def test_the_error_page_has_the_header_and_a_way_back(browser, app, session, owner,
                                                      services, negotiation, language, width):
    set_language(session, owner, language)
    page = new_page(browser, viewport={"width": width, "height": 844})
    with serving_app(app) as url:
        sign_in(page, url)
        reply = page.goto(url + "/evidence/999999")
        assert reply.status == 404
        title, back, _copied = WORDS[language]
        assert title in page.inner_text("[data-testid=error-page]")
        assert page.locator("[data-testid=topbar] [data-testid=nav-negotiations]").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shoot(page, f"error-404-{language}-{width}")
        assert page.inner_text("[data-testid=error-back]").strip() == back
        page.click("[data-testid=error-back]")
        page.wait_for_url(url + "/")
        assert page.locator("[data-testid=negotiation-card]").count() == 1
    page.context.close()


@pytest.mark.parametrize("language, width", COMBINATIONS)
def test_save_details_shows_the_new_values_in_the_header(browser, app, session, owner, services,
                                                         negotiation, language, width):
    set_language(session, owner, language)
    item = store_item(services, session, negotiation, owner, "call.txt")
    page = new_page(browser, viewport={"width": width, "height": 844})
    with serving_app(app) as url:
        sign_in(page, url)
        page.goto(f"{url}/evidence/{item.id}")
        head = page.locator("[data-testid=evidence-head]")
        assert "王经理" not in head.inner_text()
        form = page.locator(f"[data-testid=details-form-{item.id}]")
        form.locator("input[name=counterpart_name]").fill("王经理")
        form.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(rf"/evidence/{item.id}$"))
        assert "王经理" in page.locator("[data-testid=evidence-head]").inner_text()
        assert page.locator("[data-testid=flashes]").count() == 1
        shoot(page, f"details-saved-{language}-{width}")
        assert page.errors == [], page.errors
    page.context.close()


@pytest.mark.parametrize("language, width", COMBINATIONS)
def test_the_calendar_address_has_a_copy_button(browser, app, session, owner, language, width):
    set_language(session, owner, language)
    page = new_page(browser, viewport={"width": width, "height": 844})
    with serving_app(app) as url:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        sign_in(page, url)
        page.goto(url + "/settings")
        page.click("[data-testid=create-calendar]")
        address = page.input_value("[data-testid=calendar-url]")
        assert address.startswith(url + "/calendar/")
        # Served on 127.0.0.1: the page says a phone cannot reach this address.
        assert page.locator("[data-testid=calendar-this-computer-only]").count() == 1
        page.click("[data-testid=copy-calendar-url]")
        page.wait_for_selector("[data-testid=copy-calendar-url][data-done=true]")
        assert page.inner_text("[data-testid=copy-calendar-url]") == WORDS[language][2]
        assert page.evaluate("navigator.clipboard.readText()") == address
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shoot(page, f"calendar-created-{language}-{width}")
        assert page.errors == [], page.errors
    page.context.close()
