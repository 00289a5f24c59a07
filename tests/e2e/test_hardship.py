"""The hardship application page in a real browser (Chromium through Playwright, `liuhen
serve` on loopback): fill in the circumstances, see the proposed plan, change the instalment
so the count follows, and download the Word file, which reads back with the plan in it."""

from __future__ import annotations

import io
import re

import docx
import pytest

from tests.e2e.support import shoot
from tests.e2e.test_journeys import create_negotiation, first_run

pytestmark = pytest.mark.slow


def test_fill_adjust_and_download_the_application(server, page):
    first_run(page, server.url)
    negotiation_id = create_negotiation(page, server.url)  # 12,000 outstanding
    page.goto(f"{server.url}/negotiations/{negotiation_id}")
    page.click("[data-testid=link-hardship]")
    page.wait_for_url(re.compile(r"/hardship$"))
    page.fill("[data-testid=h-applicant_name]", "小王")
    page.fill("[data-testid=h-monthly_income]", "5000")
    page.fill("[data-testid=h-essential_expenses]", "3000")
    page.select_option("[data-testid=h-cause]", "illness")
    page.check("[data-testid=h-request-instalments]")
    page.click("[data-testid=save-circumstances]")
    page.wait_for_selector("[data-testid=proposal]")
    # 2,000 left, 1,600 affordable: 8 instalments of 1,500.
    assert page.input_value("[data-testid=h-instalment_count]") == "8"
    assert page.input_value("[data-testid=h-instalment_amount]") == "1500"
    page.check("[data-testid=h-plan-instalments]")
    page.fill("[data-testid=h-instalment_amount]", "1000")
    page.fill("[data-testid=h-start_date]", "2027-01-15")
    page.click("[data-testid=save-plan]")
    page.wait_for_selector("[data-testid=schedule]")
    assert page.input_value("[data-testid=h-instalment_count]") == "12"
    assert "¥12,000.00" in page.inner_text("[data-testid=schedule-total]")
    shoot(page, "hardship-page")
    reply = page.request.get(server.url + page.get_attribute("[data-testid=download-zh-docx]", "href"))
    assert reply.status == 200, (reply.status, reply.text()[:500], server.output()[-3000:])
    with page.expect_download() as download_info:
        page.click("[data-testid=download-zh-docx]")
    content = download_info.value.path().read_bytes()
    document = docx.Document(io.BytesIO(content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "个人减免申请书" in text and "分12期按月偿还" in text and "小王" in text
    assert len(document.tables[-1].rows) == 1 + 12 + 1
    assert not page.errors, page.errors
