"""The letter on the bundle page in a real browser (Chromium through Playwright, as in tests/e2e):
a `liuhen serve` over a data dir that already holds the bundle world; untick a finding, switch
the kind to 黑猫投诉 and redraft, see the uncertain list and the length notice, edit the text,
export, and read the exported ZIP's letter back."""

from __future__ import annotations

import zipfile

import pytest

from logger.bundles.letters.plan import Section, plan_letter
from tests.e2e.support import shoot
from tests.support.browser import new_page, serving
from tests.support.bundles import world  # noqa: F401  (world is a fixture)
from tests.support.common import PASSPHRASE
from tests.support.letters import unknown_night_call

pytestmark = pytest.mark.slow


@pytest.fixture
def served(world, tmp_path):
    """`liuhen serve` over the world's data dir, unlocked by its passphrase."""
    with serving(tmp_path, world.services.config.storage.data_dir, args=("--no-worker",),
                 env={"LIUHEN_PASSPHRASE": PASSPHRASE, "LIUHEN_WORKER_POLL_SECONDS": "60"},
                 ready_path="/login") as running:
        yield running.url


def test_pick_redraft_as_heimao_edit_and_export(world, testdata, served, browser, tmp_path):
    unknown_night_call(world, testdata)
    plan = plan_letter(world.session, world.negotiation, language="zh", tz=world.tz)
    [finding] = plan.picked(Section.finding)
    page = new_page(browser, accept_downloads=True)
    page.goto(served + "/login")
    page.fill("#login-name", "owner")
    page.fill("#login-password", "owner-password")
    page.press("#login-password", "Enter")
    page.wait_for_url(lambda address: "/login" not in address)
    page.goto(f"{served}/negotiations/{world.negotiation.id}/bundle?purpose=complaint&lang=zh")
    page.check("[data-testid=purpose-complaint]")
    uncertain = page.locator("[data-testid=letter-uncertain]")
    assert "记录中没有说明" in uncertain.inner_text()
    page.uncheck(f"[data-testid='fact-{finding.key}']")
    page.select_option("[data-testid=letter-kind]", "heimao")
    page.click("[data-testid=redraft]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=letter-kind]").input_value() == "heimao"
    assert not page.locator(f"[data-testid='fact-{finding.key}']").is_checked()
    assert "黑猫投诉的标题最多 30 个字" in page.locator("[data-testid=letter-limits]").inner_text()
    assert page.locator("[data-testid=letter-uncertain]").count() == 1
    letter = page.locator("[data-testid=letter]")
    drafted = letter.input_value()
    assert drafted.startswith("标题：投诉信用飞催收及还款协商问题") and "08:00" not in drafted
    shoot(page, "letters-heimao")
    letter.fill(drafted.replace("投诉要求：", "投诉要求：（本人补充）"))
    with page.expect_download() as download:
        page.click("[data-testid=export]")
    path = tmp_path / "bundle.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        exported = archive.read("投诉信.txt").decode()
        kept_draft = archive.read("投诉信_草稿.txt").decode()
    assert "投诉要求：（本人补充）" in exported and "\r" not in exported
    assert kept_draft == drafted.replace("\r\n", "\n")
    assert page.errors == []
    page.context.close()
