"""A mailbox's (or an email's) attachments read as it is split (issue 17): an attachment whose
job would be `extract_text` (plain text, XML, an SMS backup, Word, Excel) gets, in the split's
commit, the same text, fields, custody events and promise suggestions that job stores, and no
job; one that needs OCR, or that cannot be read there, gets its job as before."""

from __future__ import annotations

import dataclasses
import io
from email.message import EmailMessage

import pytest
from sqlmodel import select

from logger.extract import email_jobs
from logger.intake.ingest import IncomingFile, ingest
from storage.models import CustodyEvent, Evidence, ExtractedText, Job
from storage.models.promises import PromiseSuggestion
from tests.extract.test_document_jobs import office_file, sms_backup_xml
from tests.extract.test_mailbox_split import allow, children, run, store
from tests.support.chat_images import a4_page, png_bytes
from tests.support.common import make_negotiation_in

READ_IN_SPLIT = {
    "催收记录.txt": ("2024-10-02 15:00:11 李某：我方同意您于2024年11月30日前还款3000元。\n"
                 "2024-10-02 15:05:40 我：好的，我会在11月30日前还清。\n").encode(),
    "短信备份.xml": sms_backup_xml(),
    "导出.xml": '<?xml version="1.0"?><chat><msg from="李某">我方同意您于2024年12月1日前还款'
              "500元</msg><msg>好的</msg></chat>".encode(),
    "协议.docx": office_file("docx"),
    "表格.xlsx": office_file("xlsx"),
}
UNREADABLE = {"坏的.xml": '<?xml version="1.0"?><chat><msg>未闭合'.encode()}
SCANNED = {"收据.png": png_bytes(a4_page(["收据 已还款1000元"], dpi=30))}


@pytest.fixture
def config(config):
    return dataclasses.replace(config, intake=dataclasses.replace(
        config.intake, my_addresses=["me@example.cn"]))


def email_with(files: dict[str, bytes]) -> bytes:
    mail = EmailMessage()
    mail["From"] = "催收专员 <cs@lender.example.cn>"
    mail["To"] = "me@example.cn"
    mail["Subject"] = "还款材料"
    mail["Date"] = "Tue, 01 Oct 2024 15:00:00 +0800"
    mail.set_content("附件是还款材料。\n")
    for name, data in files.items():
        mail.add_attachment(data, maintype="application", subtype="octet-stream",
                            filename=name)
    return mail.as_bytes()


def split(services, session, negotiation, owner, files: dict[str, bytes], *,
          as_mailbox: bool = True) -> dict[str, Evidence]:
    """The attachments, by name, once the mailbox (or the email itself) is parsed."""
    if as_mailbox:
        box = store(services, session, negotiation, owner,
                    b"From cs@lender.example.cn Tue Oct  1 15:00:00 2024\n" +
                    email_with(files) + b"\n")
        allow(session, box)
    else:
        box = ingest(session=session, blobs=services.blobs,
                     source=IncomingFile(io.BytesIO(email_with(files)), "还款材料.eml"),
                     negotiation=negotiation, actor=owner,
                     max_bytes=services.config.intake.max_file_bytes,
                     tz=services.config.locale.zone)
    run(services)
    [email] = children(session, box) if as_mailbox else [box]
    return {item.original_filename: item for item in children(session, email)}


def what_was_stored(session, item: Evidence) -> dict:
    """Everything the text extraction leaves on an item, without ids and clock times."""
    texts = session.exec(select(ExtractedText).where(ExtractedText.evidence_id == item.id)).all()
    return {
        "item": item.model_dump(include={"kind", "channel", "direction", "counterpart_name",
                                         "counterpart_number", "occurred_at",
                                         "occurred_at_source", "occurred_at_precision",
                                         "subject", "extracted_metadata"}),
        "texts": [t.model_dump(include={"source", "text", "segments", "engine", "model",
                                        "language", "edited"}) for t in texts],
        "suggestions": [s.model_dump(exclude={"id", "evidence_id", "text_id", "negotiation_id",
                                              "created_at", "updated_at"})
                        for s in session.exec(select(PromiseSuggestion).where(
                            PromiseSuggestion.evidence_id == item.id)
                            .order_by(PromiseSuggestion.position))],
        "events": [(e.action, e.details) for e in session.exec(select(CustodyEvent).where(
            CustodyEvent.evidence_id == item.id, CustodyEvent.action != "intake")
            .order_by(CustodyEvent.seq))],
    }


def jobs_of(session, item: Evidence) -> list[tuple[str, str]]:
    return [(j.kind, j.status) for j in session.exec(select(Job).where(
        Job.evidence_id == item.id))]


@pytest.mark.parametrize("as_mailbox", [True, False], ids=["mailbox", "email"])
def test_an_attachment_read_in_the_split_is_stored_as_its_job_would_store_it(
        services, session, negotiation, owner, monkeypatch, as_mailbox):
    files = {**READ_IN_SPLIT, **UNREADABLE}
    inline = split(services, session, negotiation, owner, files, as_mailbox=as_mailbox)
    with monkeypatch.context() as old_path:
        old_path.setattr(email_jobs, "reads", lambda media_type: False)
        other = make_negotiation_in(session, owner, collection_agency="另一家催收公司")
        by_job = split(services, session, other, owner, files, as_mailbox=as_mailbox)
    assert sorted(inline) == sorted(by_job) == sorted(files)
    for name in files:
        assert what_was_stored(session, inline[name]) == \
            what_was_stored(session, by_job[name]), name
        assert jobs_of(session, by_job[name]) == [("extract_text", "failed" if name in
                                                   UNREADABLE else "done")]
    for name in READ_IN_SPLIT:
        assert jobs_of(session, inline[name]) == []
    stored = {name: what_was_stored(session, item) for name, item in inline.items()}
    assert "我方同意您于2024年11月30日前还款3000元" in stored["催收记录.txt"]["texts"][0]["text"]
    assert stored["催收记录.txt"]["suggestions"]
    assert stored["催收记录.txt"]["events"][0][1]["by"] == "extract_text job"
    assert stored["短信备份.xml"]["item"]["counterpart_number"] == "95188"
    assert len(stored["短信备份.xml"]["texts"][0]["segments"]) == 4
    assert stored["导出.xml"]["suggestions"]
    assert stored["协议.docx"]["texts"][0]["text"] == "还款协议书\n甲方：张三"
    assert "已还1000元" in stored["表格.xlsx"]["texts"][0]["text"]
    # What cannot be read in the split is left to its job, which fails as it did before.
    assert stored["坏的.xml"]["texts"] == []
    assert jobs_of(session, inline["坏的.xml"]) == [("extract_text", "failed")]


def test_an_attachment_that_needs_ocr_gets_its_job(services, session, negotiation, owner):
    files = {**SCANNED, "说明.txt": "请于2024年11月30日前还款。".encode()}
    stored = split(services, session, negotiation, owner, files)
    assert jobs_of(session, stored["收据.png"]) == [("ocr", "queued")]
    assert session.exec(select(ExtractedText).where(
        ExtractedText.evidence_id == stored["收据.png"].id)).all() == []
    assert jobs_of(session, stored["说明.txt"]) == []
    [text] = session.exec(select(ExtractedText).where(
        ExtractedText.evidence_id == stored["说明.txt"].id)).all()
    assert text.text == "请于2024年11月30日前还款。"
