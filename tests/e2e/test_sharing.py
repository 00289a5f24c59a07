"""A helper in a real browser, at 1280 px and 390 px, in Chinese and English: the owner shares a
negotiation with a member from its share page; the member signs in, finds it on the overview
marked as shared by the owner, opens its timeline (who added each item is shown) and cannot
reach the share page. No page is wider than the screen.
Screenshots: tests/e2e/screenshots/sharing-<width>-<language>-<step>.png."""

from __future__ import annotations

import io
import re

import pytest

from logger.accounts import add_user
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from tests.e2e.support import serving_app, shoot
from tests.support.browser import new_page
from tests.support.common import make_negotiation_in

pytestmark = pytest.mark.slow

WORDS = {
    "zh": {"shared": "已共享给 阿姨。", "card": "owner 共享给你：你可以查看",
           "header": "owner 共享给你", "added": "由 owner 添加"},
    "en": {"shared": "Shared with 阿姨.", "card": "Shared with you by owner: you can read it",
           "header": "Shared with you by owner", "added": "Added by owner"},
}


@pytest.fixture
def world(services, session, owner):
    negotiation = make_negotiation_in(session, owner, creditor="信用飞",
                                      collection_agency="某某催收公司")
    make_negotiation_in(session, owner, creditor="不共享的银行")
    ingest(session=session, blobs=services.blobs,
           source=IncomingFile(io.BytesIO("请在本月底前还款\n".encode()), "sms.txt"),
           negotiation=negotiation, actor=owner, max_bytes=1 << 20,
           tz=services.config.locale.zone,
           details=EvidenceDetails(note="催收短信", counterpart_name="催收员"))
    helper = add_user(session, "阿姨", "helper-password")
    return negotiation.id, helper


def sign_in(page, url: str, name: str, password: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def assert_fits(page, width: int, what: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} is {scroll} px wide at {width} px"


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_share_with_a_member_who_then_sees_it(browser, app, session, owner, world, width,
                                              language):
    negotiation_id, helper = world
    for user in (owner, helper):
        user.locale = language
        session.add(user)
    session.commit()
    words = WORDS[language]
    name = f"sharing-{width}-{language}"
    viewport = {"viewport": {"width": width, "height": 900}}
    with serving_app(app) as url:
        page = new_page(browser, **viewport)
        sign_in(page, url, "owner", "owner-password")
        page.goto(f"{url}/negotiations/{negotiation_id}")
        page.click("[data-testid=link-sharing]")
        page.wait_for_url(re.compile(r"/sharing$"))
        assert page.locator("[data-testid=no-shares]").is_visible()
        page.select_option("#s-name", "阿姨")
        page.click("[data-testid=share]")
        page.wait_for_selector("[data-testid=share-row]")
        assert words["shared"] in page.inner_text("[data-testid=flashes]")
        assert_fits(page, width, "the share page")
        shoot(page, f"{name}-1-shared")
        page.context.close()
        assert page.errors == [], page.errors

        member = new_page(browser, **viewport)
        sign_in(member, url, "阿姨", "helper-password")
        cards = member.locator("[data-testid=negotiation-card]")
        assert cards.count() == 1
        assert words["card"] in member.inner_text("[data-testid=shared-by]")
        assert member.locator("[data-testid=card-upload]").count() == 0
        assert_fits(member, width, "the member's overview")
        shoot(member, f"{name}-2-overview")
        member.click("[data-testid=card-timeline]")
        member.wait_for_selector("[data-testid=timeline-item]")
        assert words["header"] in member.inner_text("[data-testid=header-shared-by]")
        assert words["added"] in member.inner_text("[data-testid=item-uploader]")
        assert member.locator("[data-testid=link-sharing]").count() == 0
        assert_fits(member, width, "the shared timeline")
        shoot(member, f"{name}-3-timeline")
        reply = member.request.get(f"{url}/negotiations/{negotiation_id}/sharing")
        assert reply.status == 403
        member.context.close()
        assert member.errors == [], member.errors
