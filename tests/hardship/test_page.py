"""The hardship page through the test client, in English and Chinese: saving circumstances,
adjusting the plan, bad input (a clear message, nothing stored), uploading a proof, the
downloads, and "mark as sent" putting the application on the timeline as a letter from me."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal as D

import docx
from sqlmodel import select

from logger.bundles.items import evidence_source, kind_label
from logger.hardship.application import get_application
from logger.record.evidence import CONTACT_KINDS
from storage.models import CustodyAction, CustodyEvent, Evidence, EvidenceKind
from storage.models.hardship import FigureSource, HardshipSending
from tests.hardship.conftest import TODAY
from tests.support.web import WebClock, csrf, new_browser, page_text, post_form, sign_in

FORM = {"applicant_name": "张三", "monthly_income": "6,000", "income_source": "工资",
        "essential_expenses": "3500", "dependants": "2", "other_debt_payments": "500",
        "cause": "job_loss", "hardship_since": "2026-08-01", "requests": ["instalments"],
        "safety_margin_percent": "20"}


def browser_in(app, language: str):
    WebClock(datetime(2026, 12, 2, 4, 0, tzinfo=UTC)).on(app)
    return sign_in(new_browser(app, language=language), "owner", "owner-password")


def url(case, part: str = "") -> str:
    return f"/negotiations/{case.id}/hardship{part}"


def test_the_page_is_linked_from_the_negotiation_and_lists_what_is_missing(app, case):
    browser = browser_in(app, "en")
    timeline = browser.get(f"/negotiations/{case.id}")
    assert url(case).encode() in timeline.data
    text = page_text(browser.get(url(case)))
    assert "Not in the letter yet" in text and "Monthly income" in text
    zh = page_text(browser_in(app, "zh").get(url(case)))
    assert "个人减免申请书" in zh and "申请书中尚缺的内容" in zh


def test_saving_circumstances_proposes_a_plan_and_adjusting_it_keeps_the_persons_number(
        app, session, case):
    browser = browser_in(app, "en")
    reply = post_form(browser, url(case, "/circumstances"), FORM)
    assert reply.status_code == 302
    application = get_application(session, case)
    assert application.monthly_income == D("6000") and application.requests == ["instalments"]
    reply = post_form(browser, url(case, "/plan"), {"plan_kind": "instalments",
                                                   "start_date": "2027-01-31"})
    assert reply.status_code == 302
    session.refresh(application)
    assert (application.instalment_count, application.instalment_amount) == (13, D("1538.47"))
    assert application.amount_source == FigureSource.computed
    # The person changes the amount: the count follows, and stays theirs on the next save.
    post_form(browser, url(case, "/plan"), {
        "plan_kind": "instalments", "instalment_amount": "2500", "instalment_count": "13",
        "shown_amount": "1538.47", "shown_count": "13", "start_date": "2027-01-31"})
    session.refresh(application)
    assert (application.instalment_amount, application.instalment_count) == (D("2500"), 8)
    assert application.amount_source == FigureSource.person
    assert application.count_source == FigureSource.computed
    text = page_text(browser.get(url(case)))
    assert "set by you" in text and "¥20,000.00" in text


def test_bad_numbers_get_a_clear_message_and_nothing_is_stored(app, session, case):
    for language, expected in (("en", ["An amount cannot be negative", "is not an amount"]),
                               ("zh", ["金额不能为负数", "不是金额"])):
        browser = browser_in(app, language)
        reply = post_form(browser, url(case, "/circumstances"),
                          {**FORM, "monthly_income": "-100", "essential_expenses": "abc"})
        assert reply.status_code == 400
        text = page_text(reply)
        for message in expected:
            assert message in text
        assert "abc" in reply.get_data(as_text=True)  # what was typed is shown again
    assert get_application(session, case) is None


def test_a_bad_plan_leaves_the_stored_plan_as_it_was(app, session, case, filled):
    browser = browser_in(app, "en")
    before = (filled.instalment_amount, filled.instalment_count, filled.plan_kind)
    reply = post_form(browser, url(case, "/plan"), {
        "plan_kind": "instalments", "instalment_amount": "500", "instalment_count": "12",
        "shown_amount": "1538.47", "shown_count": "13"})
    assert reply.status_code == 400
    assert "it takes 40" in page_text(reply)
    session.refresh(filled)
    assert (filled.instalment_amount, filled.instalment_count, filled.plan_kind) == before
    assert post_form(browser, url(case, "/plan"), {"plan_kind": "instalments",
                                                   "instalment_count": "x"}).status_code == 400


def test_a_proof_uploaded_on_the_page_is_evidence_of_its_kind(app, session, case):
    browser = browser_in(app, "zh")
    reply = browser.post(url(case, "/proofs"), data={
        "csrf_token": csrf(browser), "kind": "hardship_proof", "proof_kind": "medical_record",
        "occurred_at": "2026-08-03", "file": (io.BytesIO("诊断：腰椎骨折".encode()), "诊断书.txt")},
        content_type="multipart/form-data")
    assert reply.status_code == 302
    item = session.exec(select(Evidence).where(Evidence.negotiation_id == case.id)).one()
    assert item.kind == EvidenceKind.hardship_proof
    assert item.extracted_metadata["proof_kind"] == "medical_record"
    assert item.kind not in CONTACT_KINDS  # a proof is not a contact with the other side
    text = page_text(browser.get(url(case)))
    assert "诊断书.txt · 医疗证明" in text


def test_downloads_in_both_languages_and_formats(app, case, filled):
    browser = browser_in(app, "en")
    reply = browser.get(url(case, "/application?format=docx&lang=en"))
    assert reply.status_code == 200 and "attachment" in reply.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(reply.data))
    assert document.paragraphs[0].text == "Hardship application"
    reply = browser.get(url(case, "/application?format=pdf&lang=zh"))
    assert reply.data.startswith(b"%PDF") and reply.mimetype == "application/pdf"
    reply.headers["Content-Disposition"].encode("latin-1")  # what a real server must send
    assert "filename*=UTF-8''%E4%B8%AA%E4%BA%BA" in reply.headers["Content-Disposition"]
    assert browser.get(url(case, "/application?format=exe&lang=zh")).status_code == 404
    assert browser.get(url(case, "/application?format=pdf&lang=fr")).status_code == 404


def test_marking_it_sent_puts_the_letter_on_the_timeline_and_in_the_custody_log(
        app, session, case, filled):
    browser = browser_in(app, "en")
    reply = post_form(browser, url(case, "/sent"), {"sent_on": "2026-12-01", "channel": "email",
                                                   "language": "zh", "format": "pdf"})
    assert reply.status_code == 302
    sending = session.exec(select(HardshipSending)).one()
    letter = session.get(Evidence, sending.evidence_id)
    assert (letter.kind, letter.direction, letter.channel) == ("letter", "from_me", "email")
    assert letter.subject == "个人减免申请书" and letter.media_type == "application/pdf"
    assert len(session.exec(select(CustodyEvent).where(
        CustodyEvent.evidence_id == letter.id,
        CustodyEvent.action == CustodyAction.intake)).all()) == 1
    assert letter.occurred_at.astimezone(app.extensions["liuhen"].services.config.locale.zone
                                         ).date() == date(2026, 12, 1)
    timeline = page_text(browser.get(f"/negotiations/{case.id}"))
    shown = timeline.index("个人减免申请书")
    assert "Tuesday, December 1, 2026 Email" in timeline[shown - 120:shown]
    assert "From me" in timeline[shown - 40:shown]
    # The same file again is refused, and a day after today too; nothing new is stored.
    again = post_form(browser, url(case, "/sent"), {"sent_on": "2026-12-01", "channel": "email",
                                                   "language": "zh", "format": "pdf"})
    assert again.status_code == 400 and "already recorded as sent" in page_text(again)
    future = post_form(browser, url(case, "/sent"), {"sent_on": "2026-12-03", "channel": "email",
                                                    "language": "en", "format": "docx"})
    assert future.status_code == 400 and "cannot be after today" in page_text(future)
    assert len(session.exec(select(HardshipSending)).all()) == 1
    assert TODAY == date(2026, 12, 2)


def test_another_account_cannot_see_the_page(app, case, other_client):
    assert other_client.get(url(case)).status_code == 404
    assert other_client.get(url(case, "/application?format=pdf")).status_code == 404


def test_which_proof_an_item_is_can_be_corrected_on_its_page_and_is_logged(
        app, session, case, filled):
    proof = session.exec(select(Evidence).where(
        Evidence.original_filename == "bank.pdf")).one()
    browser = browser_in(app, "zh")
    page = browser.get(f"/evidence/{proof.id}")
    assert "证明类型" in page_text(page) and 'data-testid="proof-kind"' in page.text
    reply = post_form(browser, f"/evidence/{proof.id}/details", {"proof_kind": "income_statement"})
    assert reply.status_code == 302
    session.refresh(proof)
    assert proof.extracted_metadata["proof_kind"] == "income_statement"
    event = session.exec(select(CustodyEvent).where(CustodyEvent.evidence_id == proof.id)
                         .order_by(CustodyEvent.seq.desc())).first()
    assert event.details["changes"]["proof_kind"] == {"old": "bank_statement",
                                                      "new": "income_statement"}
    assert "收入证明" in page_text(browser.get(f"/evidence/{proof.id}"))
    bad = post_form(browser, f"/evidence/{proof.id}/details", {"proof_kind": "passport"})
    session.refresh(proof)
    assert bad.status_code == 302 and proof.extracted_metadata["proof_kind"] == "income_statement"


def test_a_bundle_names_a_proof_and_the_sent_application_truthfully(app, session, case, filled):
    browser = browser_in(app, "en")
    post_form(browser, url(case, "/sent"), {"sent_on": "2026-12-01", "channel": "wechat",
                                           "language": "en", "format": "docx"})
    letter = session.get(Evidence, session.exec(select(HardshipSending)).one().evidence_id)
    proof = session.exec(select(Evidence).where(Evidence.original_filename == "bank.pdf")).one()
    assert kind_label(proof, "zh") == "困难证明" and kind_label(proof, "en") == "Hardship proof"
    assert evidence_source(proof, "en").startswith("Proof of my hardship that I kept")
    assert evidence_source(letter, "zh").startswith("本人发出函件的留存件")
    assert evidence_source(letter, "en").startswith("Copy of the letter I sent")


def test_a_proof_can_also_be_uploaded_from_the_upload_page(client, session, case):
    """Like any evidence: the upload page offers the kind; which proof it is is set on the
    item's page afterwards."""
    from tests.support.uploads import post_files
    page = client.get(f"/negotiations/{case.id}/upload").get_data(as_text=True)
    assert 'value="hardship_proof"' in page
    reply = post_files(client, case.id, [("payslip.txt", "2024年11月工资 3200元".encode())],
                       fields={"kind": "hardship_proof"})
    result = reply.get_json()["results"][0]
    assert result["status"] == "stored", result
    assert session.get(Evidence, result["evidence_id"]).kind == EvidenceKind.hardship_proof


def test_the_day_sent_is_a_day_in_the_negotiations_zone(app, session, owner, case, filled):
    """At 04:00 UTC it is the 2nd in Shanghai (the owner's zone) but still the 1st in New York,
    the negotiation's own zone: the 2nd is after today there, the 1st is the 1st there."""
    from zoneinfo import ZoneInfo

    from logger.conduct.report import configure_conduct
    configure_conduct(session, case, actor=owner, default_zone=ZoneInfo("Asia/Shanghai"),
                      timezone="America/New_York")
    browser = browser_in(app, "en")
    fields = {"channel": "email", "language": "zh", "format": "pdf"}
    future = post_form(browser, url(case, "/sent"), {"sent_on": "2026-12-02", **fields})
    assert future.status_code == 400 and "cannot be after today" in page_text(future)
    assert post_form(browser, url(case, "/sent"),
                     {"sent_on": "2026-12-01", **fields}).status_code == 302
    letter = session.get(Evidence, session.exec(select(HardshipSending)).one().evidence_id)
    assert letter.occurred_at == datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("America/New_York"))
