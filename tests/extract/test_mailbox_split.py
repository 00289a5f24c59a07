"""A mailbox split in batches (issue 17): each message an item of its own, with its own hash
and custody event, its text, direction and promise suggestions stored with it in the same
transaction, a batch of messages to a commit, and a plain-text attachment's text with them;
a split resumed where the last job stopped; and a mailbox of more messages than one import
adds without confirmation (`intake.confirm_items_over`) is not split until that is allowed."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from email.message import EmailMessage

import pytest
from sqlmodel import select

from logger.extract import email_jobs
from logger.extract.email_jobs import parse_email_handler
from logger.extract.document_jobs import extract_text_handler
from logger.intake.ingest import IncomingFile, ingest
from logger.jobs.queue import retry_job
from logger.jobs.worker import Worker
from logger.record.custody import verify_chain
from logger.record.verify import verify
from storage.models import CustodyEvent, Evidence, ExtractedText, Job, JobKind
from storage.models.promises import PromiseSuggestion
from tests.support.intake import make_world, run_jobs
from tests.support.uploads import post_files
from tests.support.web import new_browser, sign_in

LIMIT = 6


@pytest.fixture
def config(config):
    return dataclasses.replace(config, intake=dataclasses.replace(
        config.intake, confirm_items_over=LIMIT, my_addresses=["me@example.cn"]))


def message(number: int, *, attachment: bool = False) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"催收专员 <cs{number}@lender.example.cn>"
    mail["To"] = "me@example.cn"
    mail["Subject"] = f"第{number}次还款提醒"
    mail["Date"] = f"Tue, {1 + number:02d} Oct 2024 15:00:00 +0800"
    mail.set_content(f"您好，我方同意您于2024年11月{1 + number}日前还款{1000 + number}元。\n")
    if attachment:
        mail.add_attachment(f"还款计划 {number}".encode(), maintype="text", subtype="plain",
                            filename=f"计划{number}.txt")
    return mail


def messages(count: int, *, attachment_every: int = 0) -> list[bytes]:
    return [message(n, attachment=bool(attachment_every) and n % attachment_every == 0)
            .as_bytes() for n in range(1, count + 1)]


def mbox(count: int, *, attachment_every: int = 0, bodies: list[bytes] | None = None) -> bytes:
    bodies = bodies or messages(count, attachment_every=attachment_every)
    return b"".join(b"From cs@lender.example.cn Tue Oct  1 15:00:00 2024\n" + body + b"\n"
                    for body in bodies)


def store(services, session, negotiation, owner, data: bytes) -> Evidence:
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), "导出.mbox"), negotiation=negotiation,
                  actor=owner, max_bytes=services.config.intake.max_file_bytes,
                  tz=services.config.locale.zone)


def allow(session, mailbox: Evidence) -> None:
    """What `liuhen import` does for a mailbox once the import is confirmed."""
    job = session.exec(select(Job).where(Job.evidence_id == mailbox.id)).one()
    job.options = {"allow_many": True}
    session.add(job)
    session.commit()


def run(services) -> int:
    worker = Worker(services, handlers={JobKind.parse_email: parse_email_handler,
                                        JobKind.extract_text: extract_text_handler},
                    lease_s=60, poll_s=1)
    return worker.run_until_idle()


def children(session, mailbox: Evidence) -> list[Evidence]:
    session.expire_all()
    return session.exec(select(Evidence).where(Evidence.parent_id == mailbox.id)
                        .order_by(Evidence.id)).all()


def test_each_message_is_an_item_with_its_text_and_suggestions_split_in_batches(
        services, session, negotiation, owner, monkeypatch):
    monkeypatch.setattr(email_jobs, "SPLIT_BATCH", 2)   # three jobs: 2 + 2 + 1 messages
    bodies = messages(5, attachment_every=2)
    box = store(services, session, negotiation, owner, mbox(5, bodies=bodies))
    allow(session, box)
    assert run(services) == 3   # the splits: each attachment's text is read in them

    items = children(session, box)
    assert [i.original_filename for i in items] == [f"导出 {n:05d}.eml" for n in range(1, 6)]
    for number, item in enumerate(items, 1):
        raw = bodies[number - 1]
        assert item.sha256 == hashlib.sha256(raw).hexdigest()
        with services.blobs.open(item.blob_id) as reader:
            assert reader.read() == raw   # the message's bytes, verbatim
        assert (item.direction, item.subject) == ("from_them", f"第{number}次还款提醒")
        [event] = session.exec(select(CustodyEvent).where(
            CustodyEvent.evidence_id == item.id, CustodyEvent.action == "intake")).all()
        assert event.details["sha256"] == item.sha256
        [text] = session.exec(select(ExtractedText).where(
            ExtractedText.evidence_id == item.id)).all()
        assert f"还款{1000 + number}元" in text.text
        suggestions = session.exec(select(PromiseSuggestion).where(
            PromiseSuggestion.evidence_id == item.id)).all()
        assert suggestions and all(s.text_id == text.id for s in suggestions)
        assert session.exec(select(Job).where(Job.evidence_id == item.id)).all() == []
        if number % 2 == 0:   # its attachment, stored under it in the same commit
            [attached] = children(session, item)
            assert attached.original_filename == f"计划{number}.txt"
            assert (attached.occurred_at, attached.occurred_at_source) == \
                (item.occurred_at, "parent")
            with services.blobs.open(attached.blob_id) as reader:
                assert reader.read() == f"还款计划 {number}".encode()
            [listed] = item.extracted_metadata["attachments"]
            assert (listed["status"], listed["evidence_id"]) == ("stored", attached.id)
            [attached_text] = session.exec(select(ExtractedText).where(
                ExtractedText.evidence_id == attached.id)).all()
            assert (attached_text.text, attached_text.engine) == \
                (f"还款计划 {number}", "liuhen-text")
            assert session.exec(select(Job).where(Job.evidence_id == attached.id)).all() == []
        else:
            assert "attachments" not in item.extracted_metadata
    summary = session.get(Evidence, box.id).extracted_metadata["mailbox"]
    assert (summary["messages"], summary["stored"], summary["duplicate"]) == (5, 5, 0)
    count, problems = verify_chain(session)
    assert problems == [] and count == 1 + 5 + 2   # the intakes: mailbox, messages, files
    assert verify(session, services.blobs).ok


def test_a_split_run_again_stores_nothing_twice(services, session, negotiation, owner):
    box = store(services, session, negotiation, owner, mbox(4))
    allow(session, box)
    run(services)
    first = [(i.id, i.sha256) for i in children(session, box)]
    job = session.exec(select(Job).where(Job.evidence_id == box.id)).one()
    job.status = "failed"   # as if its worker had died after the commits
    session.add(job)
    session.commit()
    retry_job(session, job.id)
    run(services)
    assert [(i.id, i.sha256) for i in children(session, box)] == first
    summary = session.get(Evidence, box.id).extracted_metadata["mailbox"]
    assert (summary["stored"], summary["duplicate"]) == (4, 0)
    assert len(session.exec(select(ExtractedText)).all()) == 4
    assert verify(session, services.blobs).ok


def test_a_mailbox_over_the_limit_is_not_split_until_allowed(services, session, negotiation,
                                                             owner):
    box = store(services, session, negotiation, owner, mbox(LIMIT + 1))
    assert box.extracted_metadata["message_count"] == LIMIT + 1
    run(services)
    assert children(session, box) == []
    job = session.exec(select(Job).where(Job.evidence_id == box.id)).one()
    session.refresh(job)
    assert job.status == "failed"
    assert "holds 7 messages" in job.error and "intake.confirm_items_over" in job.error
    assert "--allow-many" in job.error and "Nothing was split" in job.error
    assert "7 封邮件" in job.error_texts["zh"] and "没有拆分任何邮件" in job.error_texts["zh"]

    services.config = dataclasses.replace(services.config, intake=dataclasses.replace(
        services.config.intake, confirm_items_over=LIMIT + 1))
    retry_job(session, job.id)
    run(services)
    assert len(children(session, box)) == LIMIT + 1


def test_the_upload_page_says_the_mailbox_waits_and_the_job_says_how_to_allow_it(
        app, services, session, owner, negotiation):
    browser = sign_in(new_browser(app, language="zh"), "owner", "owner-password")
    reply = post_files(browser, negotiation.id, [("导出.mbox", mbox(LIMIT + 1))])
    [result] = reply.get_json()["results"]
    assert result["status"] == "stored"
    assert "7 封邮件" in result["detail"] and "intake.confirm_items_over" in result["detail"]
    run(services)
    box = session.get(Evidence, result["evidence_id"])
    assert children(session, box) == []
    page = browser.get(f"/evidence/{box.id}").get_data(as_text=True)
    assert "没有拆分任何邮件" in page


def test_the_cli_refuses_an_import_of_more_items_than_the_limit_unless_allowed(cli,
                                                                              tmp_path):
    world = make_world(cli)
    env = {"LIUHEN_INTAKE_CONFIRM_ITEMS_OVER": "3"}
    notes = []
    for number in range(4):
        notes.append(tmp_path / f"记录{number}.txt")
        notes[-1].write_text(f"还款记录 {number}\n", encoding="utf-8")
    out = cli("import", "--negotiation", world, *notes, env=env)
    assert out.exit_code == 1
    assert "would add 4 items" in out.output and "intake.confirm_items_over" in out.output
    assert "--allow-many" in out.output and "Nothing was stored" in out.output
    assert json.loads(cli("evidence", "list", "--negotiation", world, "--json").stdout) == []

    box = tmp_path / "导出.mbox"
    box.write_bytes(mbox(3))
    out = cli("import", "--negotiation", world, box, env=env)   # 1 mailbox + 3 messages
    assert out.exit_code == 1 and "would add 4 items" in out.output
    assert "3 messages of the mailboxes" in out.output

    out = cli("import", "--negotiation", world, box, *notes, "--allow-many", "--json", env=env)
    assert out.exit_code == 0, out.output
    assert [r["status"] for r in json.loads(out.stdout)] == ["stored"] * 5
    run_jobs(cli, env=env)   # the mailbox's split was allowed with the import
    listed = json.loads(cli("evidence", "list", "--negotiation", world, "--json").stdout)
    assert len(listed) == 5 + 3


@pytest.mark.parametrize("answer, stored", [("y\n", 4), ("n\n", 0)])
def test_at_a_terminal_the_cli_asks_before_a_large_import(cli, tmp_path, monkeypatch, answer,
                                                          stored):
    from logger.cli import evidence as evidence_commands
    world = make_world(cli)
    notes = []
    for number in range(4):
        notes.append(tmp_path / f"记录{number}.txt")
        notes[-1].write_text(f"还款记录 {number}\n", encoding="utf-8")
    monkeypatch.setattr(evidence_commands, "_at_terminal", lambda: True)
    out = cli("import", "--negotiation", world, *notes, input=answer,
              env={"LIUHEN_INTAKE_CONFIRM_ITEMS_OVER": "3"})
    assert "would add 4 items" in out.output and "Go ahead?" in out.output
    assert out.exit_code == (0 if stored else 1)
    listed = json.loads(cli("evidence", "list", "--negotiation", world, "--json").stdout)
    assert len(listed) == stored
