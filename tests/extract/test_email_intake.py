"""Emails end to end: `liuhen import`, then `liuhen transcribe --wait` runs the parse_email jobs
(and the jobs of what they store: attached messages, attachments), then the text is searchable
and the children are listed with their parent. Real mail from ../shared/testdata/email, an mbox
built with the standard library, and real Outlook .msg files from the parse-emails package."""

import csv
import hashlib
import json
import mailbox
from email.message import EmailMessage

import pytest
from sqlmodel import select

from logger.extract.emails import sanitize_email_html
from storage.models import ExtractedText
from tests.extract.test_emails import sample_msg
from tests.support.intake import import_files, listing, make_world, run_jobs, show

# What each shared test email must yield: text that must appear in its parsed text (headers and
# body), and words one of its parse warnings must contain (None: there must be none). Taken
# from SOURCES.tsv's description of each file and from reading the files.
EXPECTED = {
    "spamscope_mail_test_12_gb2312_spam.eml": (
        ["Subject: 代开各地增值税发票", "From: 张先生 <baoguan@hotmail.com>",
         "我公司可代开各类增值税发票", "微信同号13662615434"],
        "declares charset gb2312 but is not; read as utf-8"),
    "demisto_chinese_gb2312_encoding.eml": (["你好，我是程序员，很高兴认识你"], None),
    "demisto_chinese_gbk_encoding.eml": (["你好，中国", "Subject: Hello from China"], None),
    "demisto_chinese_big5_encoding.eml": (["圖形碼"], None),
    "demisto_chinese_email_test_utf8_raw_header.eml": (
        ["Subject: 示例邮件", "这是一个示例邮件，用于演示指定的条件。", "包括中文"], None),
    "demisto_multipart_with_eml_attachment_containing_html.eml": (
        ["Email with attached another email"], "declared base64 is not base64"),
    "demisto_test-unknown-8bit.eml": (["test bcc", "testwürth@test.com",
                                       'From: "test" <test@test.com>'], None),
    "phpmimemailparser_failure_truncated_dsn_gb2312.eml": (
        ["次の受信者またはグループへの配信に失敗しました"], "no closing boundary"),
    "spamscope_mail_malformed_3_html_only_bad_boundary.eml": (
        ["Problemas para visualizar", "click aquí para darse de baja",
         "Subject: Ahorre Dinero en su Recibo de Luz"], "re-read with the boundary"),
    "spamscope_mail_test_14_html_inline_png.eml": (["HTML here", "Plaintext here."], None),
}


@pytest.fixture
def world(cli) -> int:
    return make_world(cli)


def email_text(shown: dict) -> str:
    [text] = [t for t in shown["texts"] if t["source"] == "email"]
    return text["text"]


def test_every_shared_email_is_described(testdata):
    with open(testdata / "email" / "SOURCES.tsv", encoding="utf-8") as f:
        listed = {row["filename"] for row in csv.DictReader(f, delimiter="\t")}
    on_disk = {p.name for p in (testdata / "email").glob("*.eml")}
    assert listed == on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_email_is_parsed_into_searchable_text(cli, world, testdata, name):
    [item] = import_files(cli, world, testdata / "email" / name)
    jobs = run_jobs(cli)
    assert all(j["status"] == "done" for j in jobs)
    shown = show(cli, item)
    text = email_text(shown)
    must_contain, warning = EXPECTED[name]
    for expected in must_contain:
        assert expected in text, (expected, text)
    warnings = shown["extracted_metadata"]["parse_warnings"]
    if warning is None:
        assert warnings == []
    else:
        assert any(warning in w for w in warnings), warnings
    assert show(cli, item)["sha256"] == shown["sha256"]   # the original is untouched
    hits = json.loads(cli("search", must_contain[0].split()[-1], "--json").stdout)
    assert item in [h["evidence_id"] for h in hits]


def test_attached_message_and_inline_image_become_listed_children(cli, world, testdata):
    email_dir = testdata / "email"
    outer, inline = import_files(
        cli, world, email_dir / "demisto_multipart_with_eml_attachment_containing_html.eml",
        email_dir / "spamscope_mail_test_14_html_inline_png.eml")
    kinds = sorted(j["kind"] for j in run_jobs(cli))
    # Two emails and the attached message parsed in turn; the stub "PNG" (really text) is read
    # with its email, without a job of its own.
    assert kinds == ["parse_email", "parse_email", "parse_email"]
    items = {row["original_filename"]: row for row in listing(cli, world)}
    nested = items["original_message.eml"]
    assert nested["parent_id"] == outer and nested["kind"] == "email"
    assert items["inline-1.png"]["parent_id"] == inline
    [stub_text] = show(cli, items["inline-1.png"]["id"])["texts"]
    assert (stub_text["engine"], stub_text["text"]) == ("liuhen-text", "PNG here")
    child = show(cli, nested["id"])
    assert child["subject"] == "Attached email subject"
    assert "Attached email HTML" in email_text(child)
    attachments = show(cli, outer)["extracted_metadata"]["attachments"]
    assert attachments == [{"filename": "original_message.eml", "status": "stored",
                            "evidence_id": nested["id"], "content_type": "message/rfc822",
                            "size": nested["size"], "inline": False}]
    lines = cli("evidence", "list", "--negotiation", world).stdout
    assert f"original_message.eml  (from #{outer})" in lines


def test_html_body_is_kept_beside_the_text_for_display(cli, world, testdata, services_for):
    [item] = import_files(cli, world, testdata / "email" /
                          "spamscope_mail_malformed_3_html_only_bad_boundary.eml")
    run_jobs(cli)
    with services_for() as services, services.session() as session:
        [text] = session.exec(select(ExtractedText).where(ExtractedText.evidence_id == item)).all()
    [segment] = text.segments
    assert segment["part"] == "html" and "calorsolar.tk" in segment["html"]
    shown = sanitize_email_html(segment["html"])
    remote_image = 'src="http://calefaccionsinlimites.com/'
    assert remote_image in segment["html"]
    assert remote_image not in shown and "<img" in shown and "Problemas para visualizar" in shown


def test_direction_and_counterpart_come_from_my_addresses(cli, world, testdata, services_for):
    env = {"LIUHEN_INTAKE_MY_ADDRESSES": "someone@else.cn, danglüe@email.com"}
    [item] = import_files(cli, world, testdata / "email" / "spamscope_mail_test_12_gb2312_spam.eml")
    run_jobs(cli, env=env)
    shown = show(cli, item)
    assert shown["direction"] == "from_them"
    assert shown["counterpart_name"] == "张先生 <baoguan@hotmail.com>"
    assert shown["occurred_at"] == "2018-05-13T12:32:22+08:00"
    from logger.record.custody import verify_chain
    from storage.models import CustodyEvent
    with services_for() as services, services.session() as session:
        edits = session.exec(select(CustodyEvent).where(
            CustodyEvent.action == "metadata_edit")).all()
        assert verify_chain(session)[1] == []
    assert [e.details for e in edits] == [{"by": "parse_email job", "changes": {
        "direction": {"old": "unknown", "new": "from_them"},
        "counterpart_name": {"old": None, "new": "张先生 <baoguan@hotmail.com>"}}}]


def test_a_person_given_direction_is_never_overwritten(cli, world, testdata):
    out = cli("import", "--negotiation", world, "--direction", "from_me",
              testdata / "email" / "demisto_chinese_gbk_encoding.eml", "--json")
    item = json.loads(out.stdout)[0]["id"]
    run_jobs(cli, env={"LIUHEN_INTAKE_MY_ADDRESSES": "recipient@example.com"})
    assert show(cli, item)["direction"] == "from_me"


def build_mbox(path) -> bytes:
    """Four messages (one GBK-encoded, one with an attachment, one repeated), then a Windows
    program and an empty message that intake refuses."""
    box = mailbox.mbox(path)
    gbk = EmailMessage()
    gbk["From"], gbk["To"] = "cuishou@lender.cn", "me@example.cn"
    gbk["Subject"], gbk["Date"] = "逾期通知", "Tue, 03 Dec 2024 15:30:00 +0800"
    gbk.set_content("您的借款已逾期十五天，请尽快还款。", charset="gbk", cte="8bit")
    box.add(gbk)
    plan = EmailMessage()
    plan["From"], plan["To"], plan["Subject"] = "me@example.cn", "cuishou@lender.cn", "还款计划"
    plan.set_content("附件是我的还款计划。\nFrom now on I pay monthly.")
    plan.add_attachment("每月还款1000元".encode(), maintype="text", subtype="plain",
                        filename="还款计划.txt")
    box.add(plan)
    box.add(gbk)                                   # the same message again: a duplicate
    box.close()
    with open(path, "ab") as f:
        f.write(b"From x@y Mon Jan  1 00:00:00 2024\nMZ\x90\x00" + b"\x00" * 64 + b"\n\n")
        f.write(b"From x@y Mon Jan  1 00:00:00 2024\n\n")
    return path.read_bytes()


def test_mbox_becomes_one_item_per_message_under_the_kept_mailbox(cli, world, tmp_path):
    data = build_mbox(tmp_path / "导出.mbox")
    [box] = import_files(cli, world, tmp_path / "导出.mbox")
    run_jobs(cli)
    summary = show(cli, box)["extracted_metadata"]["mailbox"]
    assert {k: summary[k] for k in ("messages", "stored", "duplicate", "refused")} == {
        "messages": 5, "stored": 2, "duplicate": 1, "refused": 2}
    assert [row["status"] for row in summary["not_stored"]] == ["duplicate", "refused", "refused"]
    assert "Windows program" in summary["not_stored"][1]["reason"]

    items = listing(cli, world)
    messages = [row for row in items if row["parent_id"] == box]
    assert [row["original_filename"] for row in messages] == ["导出 00001.eml", "导出 00002.eml"]
    for row in messages:   # each message is stored verbatim, as found in the mailbox
        assert row["size"] < len(data)
    first = show(cli, messages[0]["id"])
    assert first["subject"] == "逾期通知" and first["occurred_at"] == "2024-12-03T15:30:00+08:00"
    assert "您的借款已逾期十五天" in email_text(first)
    [attachment] = [row for row in items if row["parent_id"] == messages[1]["id"]]
    assert attachment["original_filename"] == "还款计划.txt"
    assert "每月还款1000元" in show(cli, attachment["id"])["texts"][0]["text"]
    hits = json.loads(cli("search", "逾期", "--json").stdout)
    assert messages[0]["id"] in [h["evidence_id"] for h in hits]
    assert show(cli, box)["sha256"] == hashlib.sha256(data).hexdigest()


def test_parsing_again_stores_nothing_twice(cli, world, testdata, services_for):
    from logger.jobs.queue import enqueue
    from storage.models import JobKind
    email_dir = testdata / "email"
    [item] = import_files(
        cli, world, email_dir / "demisto_multipart_with_eml_attachment_containing_html.eml")
    run_jobs(cli)
    before = listing(cli, world)
    with services_for() as services, services.session() as session:
        enqueue(session, evidence_id=item, kind=JobKind.parse_email)
    assert [j["status"] for j in run_jobs(cli)] == ["done"]
    assert listing(cli, world) == before
    shown = show(cli, item)
    assert len([t for t in shown["texts"] if t["source"] == "email"]) == 1
    assert shown["extracted_metadata"]["attachments"][0]["status"] == "stored"


def test_an_attachment_already_stored_is_recorded_as_a_duplicate(cli, world, tmp_path):
    paths = []
    for number in (1, 2):
        message = EmailMessage()
        message["From"], message["Subject"] = "cs@lender.cn", f"第{number}次催收"
        message.set_content(f"第{number}封")
        message.add_attachment("律师函：请于三日内还款".encode(), maintype="text",
                               subtype="plain", filename="律师函.txt")
        paths.append(tmp_path / f"{number}.eml")
        paths[-1].write_bytes(message.as_bytes())
    first, second = import_files(cli, world, *paths)
    run_jobs(cli)
    one = show(cli, first)["extracted_metadata"]["attachments"][0]
    two = show(cli, second)["extracted_metadata"]["attachments"][0]
    assert one["status"] == "stored"
    assert two["status"] == "duplicate" and two["evidence_id"] == one["evidence_id"]
    assert [j["status"] for j in show(cli, second)["jobs"]] == ["done"]


def test_outlook_msg_with_attachment_and_embedded_email(cli, world):
    plain, forwarded = import_files(cli, world, sample_msg("html_attachment.msg"),
                                    sample_msg("msg_contains_eml.msg"))
    run_jobs(cli)
    shown = show(cli, plain)
    assert shown["kind"] == "email" and shown["subject"] == "html with attachment"
    assert shown["occurred_at"] == "2019-02-04T00:45:07+08:00"
    assert "Some nice text" in email_text(shown)
    items = listing(cli, world)
    [txt] = [row for row in items if row["parent_id"] == plain]
    assert txt["original_filename"] == "dummy-attachment.txt"
    [eml] = [row for row in items if row["parent_id"] == forwarded]
    assert eml["original_filename"] == "message.eml" and eml["kind"] == "email"
    assert show(cli, eml["id"])["jobs"] == [{"kind": "parse_email", "status": "done",
                                             "progress": 1.0, "error": None}]
