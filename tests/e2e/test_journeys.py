"""The main journeys in a real browser: first run -> a negotiation -> upload a call recording,
a chat screenshot and an email from ../shared/testdata -> see them on the timeline (with the
transcript and OCR done by the worker inside `liuhen serve`) -> open each viewer -> search; and
the same pages at a phone's width. Pages must not raise script errors or CSP violations."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.support import shoot

pytestmark = pytest.mark.slow

PASSPHRASE = "e2e vault passphrase 留痕"
AUDIO = "BAC009S0764W0121.wav"          # 甚至出现交易几乎停滞的情况
SCREENSHOT = "cnocr_multi-line_cn2_chat_bubble_green.png"
EMAIL = "demisto_chinese_gbk_encoding.eml"
PHONE = {"width": 390, "height": 844}


def first_run(page, url: str) -> None:
    page.goto(url + "/")
    assert page.url.endswith("/setup"), page.url
    page.fill("#setup-passphrase", PASSPHRASE)
    page.fill("#setup-passphrase-again", PASSPHRASE)
    page.fill("#setup-name", "小王")
    page.fill("#setup-password", "xiaowang-password")
    page.fill("#setup-password-again", "xiaowang-password")
    shoot(page, "01-first-run")
    page.click("[data-testid=setup-form] button[type=submit]")
    # A new account goes straight to its first negotiation.
    page.wait_for_url(re.compile(r"/negotiations/new$"))


def create_negotiation(page, url: str) -> int:
    page.goto(url + "/negotiations/new")
    page.fill("input[name=creditor]", "信用飞")
    page.fill("input[name=collection_agency]", "某某催收公司")
    page.fill("input[name=outstanding]", "12000")
    page.fill("input[name=overdue_since]", "2026-10-01")
    shoot(page, "02-new-negotiation")
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/negotiations/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def upload(page, url: str, negotiation_id: int, testdata) -> dict[str, str]:
    """Upload the three files; returns each file name's evidence page (from its result)."""
    page.goto(f"{url}/negotiations/{negotiation_id}/upload")
    page.set_input_files("[data-testid=file-input]", [
        str(testdata / "audio" / AUDIO), str(testdata / "images" / SCREENSHOT),
        str(testdata / "email" / EMAIL)])
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=upload-result]')]"
        ".filter(e => e.dataset.state === 'stored').length === 3", timeout=60_000)
    shoot(page, "03-upload-results")
    pages = {}
    for name in (AUDIO, SCREENSHOT, EMAIL):
        row = page.locator("[data-testid=upload-result]", has_text=name)
        pages[name] = row.locator("a[href*='/evidence/']").first.get_attribute("href")
    return pages


def wait_for_jobs(page, url: str, negotiation_id: int, timeout_s: float = 300) -> None:
    """Reload the timeline until no item shows a queued or running job."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.goto(f"{url}/negotiations/{negotiation_id}")
        busy = page.locator("[data-job-status=queued], [data-job-status=running]").count()
        failed = page.locator("[data-job-status=failed]").count()
        assert failed == 0, page.inner_text("main")
        if busy == 0:
            return
        assert time.monotonic() < deadline, "the worker did not finish within the time"
        time.sleep(2)


def test_first_run_to_search(page, server, testdata):
    url = server.url
    first_run(page, url)
    negotiation_id = create_negotiation(page, url)
    items_at = upload(page, url, negotiation_id, testdata)
    wait_for_jobs(page, url, negotiation_id)

    items = page.locator("[data-testid=timeline-item]")
    assert items.count() == 3, page.inner_text("main")
    summaries = page.locator("[data-testid=item-summary]").all_inner_texts()
    assert any("交易" in s for s in summaries), summaries     # first words of the transcript
    shoot(page, "05-timeline")
    page.goto(url + "/")
    assert page.locator("text=信用飞").count() >= 1
    shoot(page, "04-overview")

    # The call: player, transcript segments, seeking by clicking a segment.
    page.goto(f"{url}/negotiations/{negotiation_id}")
    page.locator("[data-testid=timeline-item]").filter(has_text="交易").locator("a").first.click()
    page.wait_for_url(url + items_at[AUDIO])
    page.locator("[data-testid=viewer-player] audio").wait_for()
    segments = page.locator("[data-testid=transcript] li")
    assert segments.count() >= 1 and "交易" in segments.first.inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", page.inner_text("[data-testid=sha256]"))
    assert page.locator("[data-testid=custody-history]").inner_text()
    shoot(page, "06-call-viewer")

    # The screenshot: image with its OCR text beside it.
    page.goto(url + items_at[SCREENSHOT])
    page.locator("[data-testid=viewer-image] img").wait_for()
    assert page.locator("[data-testid=ocr-text], [data-testid=chat-transcript]").first \
        .inner_text().strip()
    shoot(page, "07-image-viewer")

    # The email: headers and the sandboxed body.
    page.goto(url + items_at[EMAIL])
    page.locator("[data-testid=viewer-email]").wait_for()
    assert page.locator("[data-testid=email-headers]").inner_text().strip()
    frame = page.locator("[data-testid=email-frame]")
    assert frame.get_attribute("sandbox") is not None
    shoot(page, "08-email-viewer")

    # Search, with a two-character Chinese word, and the link to the moment.
    page.goto(url + "/")
    page.fill(".topsearch input[name=q]", "交易")
    page.press(".topsearch input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    hits = page.locator("main a[href*='/evidence/']")
    assert hits.count() >= 1, page.inner_text("main")
    assert page.locator("main mark").first.inner_text() == "交易"
    shoot(page, "09-search")
    hits.first.click()
    page.wait_for_url(re.compile(r"/evidence/\d+\?t="))

    assert page.errors == [], page.errors


def test_phone_width_layout(browser, server, testdata):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        first_run(page, server.url)
        negotiation_id = create_negotiation(page, server.url)
        upload(page, server.url, negotiation_id, testdata)
        for path, name in [("/", "phone-overview"),
                           (f"/negotiations/{negotiation_id}", "phone-timeline"),
                           (f"/negotiations/{negotiation_id}/upload", "phone-upload"),
                           ("/search?q=交易", "phone-search"), ("/settings", "phone-settings")]:
            page.goto(server.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= PHONE["width"] + 1, f"{path} is {overflow} px wide at 390 px"
            shoot(page, name)
        assert errors == [], errors
    finally:
        context.close()
