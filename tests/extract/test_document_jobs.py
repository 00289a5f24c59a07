"""Documents end to end: SMS Backup & Restore XML, plain text, other XML, Word and Excel files,
PDFs with text (made with reportlab) and scanned PDFs (a page drawn with Pillow, read by the
packaged OCR engine), each imported and read by `liuhen transcribe --wait`."""

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from logger.extract.sms_backup import iter_backup
from storage.models import Direction
from tests.support.chat_images import a4_page
from tests.support.intake import import_files, make_world, run_jobs, show

T0 = 1733211000000  # 2024-12-03 07:30:00 UTC, in milliseconds


@pytest.fixture
def world(cli) -> int:
    return make_world(cli)


def sms_backup_xml() -> bytes:
    """What the Android app writes (attribute set as in its exports), with the escapes and
    Chinese text a real one has: two messages from a collector, one reply, a multimedia
    message and a draft."""
    rows = [
        f'<sms protocol="0" address="+86 95188" date="{T0}" type="1" subject="null" '
        'body="【网商贷】您的借款已逾期，请于今日 18:00 前还款 3,000 元 &amp; 罚息。" toa="null" '
        'sc_toa="null" service_center="null" read="1" status="-1" locked="0" '
        f'date_sent="{T0}" sub_id="1" readable_date="2024年12月3日 15:30:00" '
        'contact_name="网商贷" />',
        f'<sms protocol="0" address="95188" date="{T0 + 600000}" type="2" subject="null" '
        'body="我申请分期还款，每月1000元。&#10;谢谢。" toa="null" sc_toa="null" '
        'service_center="null" read="1" status="-1" locked="0" date_sent="0" '
        'readable_date="2024年12月3日 15:40:00" contact_name="网商贷" />',
        f'<mms date="{T0 + 900000}" msg_box="1" address="95188" contact_name="网商贷" '
        'read="1"><parts><part seq="-1" ct="application/smil" text="&lt;smil/&gt;" />'
        '<part seq="0" ct="text/plain" text="同意分期，请查看附件。" />'
        '<part seq="1" ct="image/jpeg" name="plan.jpg" /></parts>'
        '<addrs><addr address="95188" type="137" charset="106" /></addrs></mms>',
        f'<sms protocol="0" address="95188" date="{T0 + 1200000}" type="3" body="草稿" '
        'read="1" status="-1" locked="0" contact_name="网商贷" />',
    ]
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
            f'<smses count="{len(rows)}" backup_set="1c6f" backup_date="{T0 + 3600000}" '
            'type="full">\n' + "\n".join(rows) + "\n</smses>\n").encode()


def test_sms_backup_messages_are_read_with_time_side_and_party():
    messages = list(iter_backup(io.BytesIO(sms_backup_xml())))
    assert [(m.direction, m.status) for m in messages] == [
        (Direction.from_them, None), (Direction.from_me, None), (Direction.from_them, None),
        (Direction.from_me, "draft")]
    first = messages[0]
    assert first.time == datetime(2024, 12, 3, 7, 30, tzinfo=UTC)
    assert first.text == "【网商贷】您的借款已逾期，请于今日 18:00 前还款 3,000 元 & 罚息。"
    assert (first.address, first.number, first.contact_name) == ("+86 95188", "95188", "网商贷")
    assert messages[1].text == "我申请分期还款，每月1000元。\n谢谢。"
    assert messages[2].text == "同意分期，请查看附件。\n[image/jpeg]"


def test_sms_backup_import_gives_one_segment_per_message(cli, world, tmp_path):
    path = tmp_path / "sms-20241203.xml"
    path.write_bytes(sms_backup_xml())
    [item] = import_files(cli, world, path)
    assert [j["kind"] for j in run_jobs(cli)] == ["extract_text"]
    shown = show(cli, item)
    assert shown["kind"] == "sms"
    assert shown["occurred_at"] == "2024-12-03T15:30:00+08:00"
    assert shown["counterpart_number"] == "95188" and shown["counterpart_name"] == "网商贷"
    [text] = shown["texts"]
    assert [(s["speaker"], s["time"]) for s in text["segments"]] == [
        ("them", "2024-12-03T15:30:00+08:00"), ("me", "2024-12-03T15:40:00+08:00"),
        ("them", "2024-12-03T15:45:00+08:00"), ("me", "2024-12-03T15:50:00+08:00")]
    assert text["text"].splitlines()[0] == ("2024-12-03 15:30 [them 网商贷] 【网商贷】您的借款"
                                            "已逾期，请于今日 18:00 前还款 3,000 元 & 罚息。")
    hits = json.loads(cli("search", "分期还款", "--json").stdout)
    assert [h["evidence_id"] for h in hits] == [item]


def test_call_log_backup_and_a_broken_backup(cli, world, tmp_path):
    calls = tmp_path / "calls.xml"
    calls.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"2\">"
        f'<call number="13800138000" duration="125" date="{T0}" type="1" '
        'contact_name="(Unknown)" />'
        f'<call number="13800138000" duration="0" date="{T0 + 60000}" type="3" /></calls>',
        encoding="utf-8")
    broken = tmp_path / "sms-cut.xml"
    broken.write_bytes(sms_backup_xml()[:-400])
    call_log, cut = import_files(cli, world, calls, broken)
    run_jobs(cli)
    segments = show(cli, call_log)["texts"][0]["segments"]
    assert [s["text"] for s in segments] == ["incoming call, 125 s", "missed call"]
    assert show(cli, call_log)["counterpart_number"] == "13800138000"
    shown = show(cli, cut)
    assert len(shown["texts"][0]["segments"]) == 2   # what came before the break
    assert "breaks off" in shown["extracted_metadata"]["parse_warnings"][0]


def test_plain_text_in_gbk_and_other_xml(cli, world, tmp_path):
    note = tmp_path / "通话记录.txt"
    note.write_bytes("12月3日 催收员李某称要上门。".encode("gb18030"))
    other = tmp_path / "export.xml"
    other.write_text('<?xml version="1.0"?><chat><msg from="李某">明天还款</msg>'
                     "<msg>好的</msg></chat>", encoding="utf-8")
    text_item, xml_item = import_files(cli, world, note, other)
    run_jobs(cli)
    assert show(cli, text_item)["texts"][0]["text"] == "12月3日 催收员李某称要上门。"
    assert show(cli, xml_item)["texts"][0]["text"] == "明天还款\n好的"


def office_file(kind: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        if kind == "docx":
            z.writestr("word/document.xml",
                       '<w:document xmlns:w="http://schemas.openxmlformats.org/'
                       'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>还款</w:t></w:r>'
                       "<w:r><w:t>协议书</w:t></w:r></w:p><w:p><w:r><w:t>甲方：张三"
                       "</w:t></w:r></w:p></w:body></w:document>")
        else:
            main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
            z.writestr("xl/workbook.xml", f'<workbook xmlns="{main}"/>')
            z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}"><si><t>日期</t></si>'
                                               "<si><t>金额</t></si></sst>")
            z.writestr("xl/worksheets/sheet1.xml",
                       f'<worksheet xmlns="{main}"><sheetData><row><c t="inlineStr"><is>'
                       "<t>已还1000元</t></is></c></row></sheetData></worksheet>")
    return out.getvalue()


def test_word_and_excel_text(cli, world, tmp_path):
    (tmp_path / "协议.docx").write_bytes(office_file("docx"))
    (tmp_path / "还款表.xlsx").write_bytes(office_file("xlsx"))
    docx, xlsx = import_files(cli, world, tmp_path / "协议.docx", tmp_path / "还款表.xlsx")
    run_jobs(cli)
    assert show(cli, docx)["texts"][0]["text"] == "还款协议书\n甲方：张三"
    assert show(cli, xlsx)["texts"][0]["text"] == "日期\n金额\n已还1000元"


def text_pdf() -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont("STSong-Light", 14)
    page.drawString(72, 760, "还款协议：第一期于2024年12月3日还款3000元")
    page.showPage()
    page.setFont("Helvetica", 12)
    page.drawString(72, 760, "Page two: settlement of 12,000 CNY")
    page.showPage()
    page.save()
    return out.getvalue()


def test_pdf_text_is_extracted_page_by_page(cli, world, tmp_path):
    (tmp_path / "协议.pdf").write_bytes(text_pdf())
    [item] = import_files(cli, world, tmp_path / "协议.pdf")
    assert [j["kind"] for j in run_jobs(cli)] == ["extract_pdf"]
    shown = show(cli, item)
    [text] = shown["texts"]
    assert text["source"] == "pdf"
    assert text["text"] == ("还款协议：第一期于2024年12月3日还款3000元\n\n"
                            "Page two: settlement of 12,000 CNY")
    assert shown["extracted_metadata"]["scanned_pages"] == []
    assert [h["evidence_id"] for h in json.loads(cli("search", "还款协议", "--json").stdout)] \
        == [item]


@pytest.mark.slow
def test_scanned_pdf_pages_are_read_by_ocr(cli, world, tmp_path):
    scan = a4_page(["还款协议", "甲方同意乙方分十二期还款，每期一千元。"], dpi=150)
    out = io.BytesIO()
    scan.save(out, format="PDF")
    (tmp_path / "扫描件.pdf").write_bytes(out.getvalue())
    [item] = import_files(cli, world, tmp_path / "扫描件.pdf")
    run_jobs(cli)
    shown = show(cli, item)
    assert shown["extracted_metadata"]["scanned_pages"] == [1]
    [ocr] = [t for t in shown["texts"] if t["source"] == "ocr"]
    assert "甲方同意乙方分十二期还款" in ocr["text"]
    assert all(s["box"] for s in ocr["segments"])


def test_unreadable_pdf_fails_its_job_in_plain_words(cli, world, tmp_path):
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    [item] = import_files(cli, world, tmp_path / "broken.pdf")
    assert cli("transcribe", "--wait").exit_code == 1
    [job] = show(cli, item)["jobs"]
    assert job["status"] == "failed" and "cannot be opened" in job["error"]
    assert cli("verify").exit_code == 0
