"""Every page fits a phone: at 390 px, in Chinese and in English, with an unread notification
in the header, a long creditor's name, evidence of each kind and findings with long badges, no
page is wider than the screen (document scrollWidth), and no page uses emoji as icons (they are
empty boxes where no emoji font is installed). The same pages at 1280 px as well. Screenshots
of the phone pages go to tests/e2e/screenshots/w390-<language>-<page>.png."""

from __future__ import annotations

import io
import re
from datetime import datetime

import docx
import pytest

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.reminders.scheduler import ReminderScheduler
from storage.models import ExtractedText, TextSource
from tests.e2e.support import serving_app, shoot
from tests.support.browser import new_page
from tests.support.common import make_negotiation_in
from tests.support.findings import SHANGHAI, night_call
from tests.support.promises import local, my_payment

pytestmark = pytest.mark.slow

WIDTHS = (390, 1280)
# Pictographs people take for icons (the emoji blocks, dingbats, arrows drawn as emoji); the
# app's icons are the SVGs of web/templates/_icons.html.
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\U0001F000-\U0001F2FF"
                   "\uFE0F]")
TRANSCRIPT = ("喂，你好，我是信用飞委托的催收专员，你的账户已经逾期很久了，今天必须还款，"
              "否则我们会联系你的家人和单位，你考虑清楚。甚至出现交易几乎停滞的情况。")


def stored(services, session, negotiation, owner, path_or_name, data=None, **details):
    if data is None:
        data = path_or_name.read_bytes()
        path_or_name = path_or_name.name
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), path_or_name), negotiation=negotiation,
                  actor=owner, max_bytes=10**8, tz=SHANGHAI,
                  details=EvidenceDetails(**details))


def word_file() -> bytes:
    document = docx.Document()
    document.add_paragraph("还款协议：本人承诺于2024年12月13日前偿还人民币1000元。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def world(services, session, owner, testdata):
    """An owner with a negotiation of a long name, evidence of each kind (a call with its
    transcript, a chat screenshot, an email, a Word document), a call at night that breaks
    conduct rules (long "Possible breach" badges), and one unread notification (a reminder of
    a promise, sent by the scheduler)."""
    negotiation = make_negotiation_in(
        session, owner, creditor="信用飞（上海）网络科技有限公司 · Xinyongfei Consumer Finance",
        collection_agency="某某（深圳）资产管理有限公司催收部", account_reference="XYF-2024-0000123456")
    call = stored(services, session, negotiation, owner,
                  testdata / "audio" / "BAC009S0764W0121.wav",
                  occurred_at=datetime(2024, 12, 3, 15, 30, tzinfo=SHANGHAI))
    session.add(ExtractedText(evidence_id=call.id, source=TextSource.transcript,
                              text=TRANSCRIPT,
                              segments=[{"start": 0.0, "end": 9.0, "text": TRANSCRIPT}]))
    image = stored(services, session, negotiation, owner,
                   testdata / "images" / "cnocr_multi-line_cn2_chat_bubble_green.png")
    session.add(ExtractedText(evidence_id=image.id, source=TextSource.ocr, text=TRANSCRIPT,
                              segments=[]))
    email = stored(services, session, negotiation, owner,
                   testdata / "email" / "demisto_chinese_gbk_encoding.eml")
    document = stored(services, session, negotiation, owner,
                      "还款协议_信用飞_2024年12月_最终版本_双方签字扫描件.docx", word_file())
    session.commit()
    make_negotiation_in(session, owner, creditor="招商银行信用卡中心")
    night = night_call(services, session, negotiation, owner)
    my_payment(session, negotiation, owner, "1000", "2024-12-13 23:59")
    ReminderScheduler(services).run(local("2024-12-10 09:00"))
    return {"negotiation": negotiation, "call": call, "image": image, "email": email,
            "document": document, "night": night}


def pages(world) -> list[tuple[str, str]]:
    n = world["negotiation"].id
    return [("overview", "/"), ("new", "/negotiations/new"), ("edit", f"/negotiations/{n}/edit"),
            ("timeline", f"/negotiations/{n}"), ("upload", f"/negotiations/{n}/upload"),
            ("call", f"/evidence/{world['call'].id}"),
            ("night-call", f"/evidence/{world['night'].id}"),
            ("image", f"/evidence/{world['image'].id}"),
            ("email", f"/evidence/{world['email'].id}"),
            ("document", f"/evidence/{world['document'].id}"),
            ("search", "/search?q=还款"), ("search-none", "/search?q=nothing-matches-this"),
            ("findings", f"/negotiations/{n}/findings"),
            ("promises", f"/negotiations/{n}/promises"),
            ("confirmation", f"/negotiations/{n}/promises/confirmation-request"),
            ("bundle", f"/negotiations/{n}/bundle"), ("hardship", f"/negotiations/{n}/hardship"),
            ("notifications", "/notifications"), ("settings", "/settings"),
            ("members", "/settings/members"), ("password", "/settings/password"),
            ("not-found", "/evidence/999999")]


def one_line_wanted(page_name: str) -> list[str]:
    """What must stay on one line on a page (selectors): the brand everywhere, a short
    creditor's name on the overview, the "mark as read" button of a notification."""
    wanted = ["[data-testid=brand]"]
    if page_name == "overview":
        wanted.append("[data-testid=negotiation-card]:has-text('招商银行信用卡中心') h2")
    if page_name == "notifications":
        wanted.append("[data-testid^=read-]")
    return wanted


def lines_of(page, selector: str) -> int:
    """How many lines the text of the first element `selector` finds takes."""
    return page.locator(selector).first.evaluate("""element => {
        const range = document.createRange();
        range.selectNodeContents(element);
        const height = range.getBoundingClientRect().height;
        const line = parseFloat(getComputedStyle(element).lineHeight) ||
                     1.2 * parseFloat(getComputedStyle(element).fontSize);
        return Math.max(1, Math.round(height / line));
    }""")


def sign_in(page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", "owner")
    page.fill("input[name=password]", "owner-password")
    page.click("[data-testid=login-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def set_language(session, owner, language: str) -> None:
    owner.locale = language
    session.add(owner)
    session.commit()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_screen_in_both_languages(browser, app, session, owner, world,
                                                      width):
    page = new_page(browser, viewport={"width": width, "height": 844})
    too_wide, pictographs, wrapped = [], [], []
    with serving_app(app) as url:
        sign_in(page, url)
        for language in ("zh", "en"):
            set_language(session, owner, language)
            for name, path in pages(world):
                reply = page.goto(url + path)
                if name == "not-found":  # the console reports the status; nothing else may
                    assert reply.status == 404
                    page.errors[:] = [e for e in page.errors if "status of 404" not in e]
                assert page.locator("[data-testid=unread-count]").count() == 1, (name, path)
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    too_wide.append(f"{language} {name} ({path}): {scroll} px")
                found = EMOJI.findall(page.inner_text("body"))
                if found:
                    pictographs.append(f"{language} {name}: {''.join(found)}")
                for what in one_line_wanted(name):
                    if lines_of(page, what) != 1:
                        wrapped.append(f"{language} {name}: {what}")
                if width == 390:
                    shoot(page, f"w390-{language}-{name}")
    page.context.close()
    assert not too_wide, f"wider than {width} px: {too_wide}"
    assert not pictographs, f"emoji used as icons: {pictographs}"
    assert not wrapped, f"on more than one line: {wrapped}"
    assert page.errors == [], page.errors
