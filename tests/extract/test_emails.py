"""logger.extract.emails / email_text / email_msg / mailboxes: reading mail without a database.

The end-to-end path (intake, the parse job, child items) is in tests/test_email_intake.py."""

import io
import mailbox
from email.message import EmailMessage
from importlib.metadata import distribution
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from logger.extract.email_jobs import email_direction
from logger.extract.email_msg import parse_msg
from logger.extract.email_text import decode_body, html_to_text
from logger.extract.emails import parse_email, sanitize_email_html
from logger.extract.mailbox import MboxStats, iter_mbox
from storage.models import Direction
from tests.support.media import email_bytes, encoded_word

TZ = ZoneInfo("Asia/Shanghai")


def sample_msg(name: str) -> Path:
    """A real Outlook .msg from the test data that the parse-emails package ships (installed
    with the test extras); referenced where pip put it, never copied into this repository."""
    path = Path(distribution("parse-emails").locate_file(
        f"parse_emails/tests/test_data/{name}"))
    assert path.is_file(), f"{path} is missing: reinstall the test extras (pip install -e .[test])"
    return path


# --- charsets ---------------------------------------------------------------------------------

def test_declared_gb2312_but_gbk_bytes_decode_without_a_warning():
    text, warning = decode_body("朱镕基的还款通知".encode("gbk"), "gb2312")
    assert text == "朱镕基的还款通知" and warning is None   # gb2312 is read as its superset


def test_declared_gb2312_but_utf8_bytes_are_read_as_utf8_with_a_warning():
    text, warning = decode_body("逾期还款提醒".encode(), "GB2312")
    assert text == "逾期还款提醒"
    assert "declares charset GB2312" in warning and "utf-8" in warning


def test_undeclared_8bit_is_tried_as_utf8_then_gb18030_then_windows_1252():
    assert decode_body("请于今日还款".encode("gb18030"), None) == (
        "请于今日还款", "a text part declares no charset; read as gb18030")
    assert decode_body("aquí para".encode("cp1252"), None)[0] == "aquí para"
    assert decode_body(b"\x81\x8d plain", "no-such-charset")[0]   # never raises


def test_html_without_a_declared_charset_uses_its_meta_tag():
    markup = '<meta charset="big5"><p>圖形碼</p>'.encode("big5")
    assert decode_body(markup, None, html_part=True) == ('<meta charset="big5"><p>圖形碼</p>',
                                                         None)


def test_html_to_text_keeps_what_a_reader_sees():
    markup = ("<html><head><title>t</title><style>p{}</style></head><body><p>第一段<br>第二行</p>"
              "<script>alert(1)</script><table><tr><td>金额</td><td>3000</td></tr></table>"
              '<a href="https://pay.example.cn/x">点这里</a><img alt="公章" src="cid:x"></body>')
    assert html_to_text(markup) == ("第一段\n第二行\n\n金额 3000\n\n"
                                    "点这里 (https://pay.example.cn/x)[公章]")


# --- structure --------------------------------------------------------------------------------

def test_rfc2231_and_rfc2047_attachment_names_and_a_nested_message():
    outer = EmailMessage()
    outer["From"], outer["To"], outer["Subject"] = "催收部 <cs@lender.cn>", "me@example.cn", "协议"
    outer.set_content("请查收附件。")
    outer.add_attachment("分期还款".encode("gbk"), maintype="text", subtype="plain",
                         filename="还款计划.txt")
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "a@b.cn", "原始邮件"
    inner.set_content("被转发的内容")
    outer.add_attachment(inner)
    raw = outer.as_bytes()
    assert b"filename*=utf-8''" in raw   # RFC 2231
    # RFC 2231 in GBK, split into numbered continuations.
    gbk = "".join(f"%{b:02X}" for b in "合同附件.txt".encode("gbk"))
    raw = raw.replace(b"filename*=utf-8''" + raw.split(b"filename*=utf-8''")[1].split(b"\n")[0],
                      f"filename*0*=gbk''{gbk[:12]};\n filename*1*={gbk[12:]}".encode())
    parsed = parse_email(raw, tz=TZ)
    assert parsed.text == "请查收附件。"
    names = [(a.filename, a.content_type) for a in parsed.attachments]
    assert names == [("合同附件.txt", "text/plain"), ("attachment-2.eml", "message/rfc822")]
    assert parsed.attachments[0].data == "分期还款".encode("gbk")
    assert parse_email(parsed.attachments[1].data, tz=TZ).text == "被转发的内容"

    # A sender that puts an RFC 2047 word inside a parameter (not allowed, but common).
    word = encoded_word("gbk", "合同.pdf".encode("gbk"))
    old_style = email_bytes(
        b"MIME-Version: 1.0", b'Content-Type: multipart/mixed; boundary="b"',
        body=b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf;"
             b' name="' + word + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n'
             b"--b--\r\n")
    assert parse_email(old_style, tz=TZ).attachments[0].filename == "合同.pdf"


def test_malformed_mail_never_raises_and_says_what_went_wrong():
    truncated = email_bytes(b'Content-Type: multipart/mixed; boundary="zz"',
                            body=b"--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                                 + "还款日期是十二月".encode())
    parsed = parse_email(truncated, tz=TZ)
    assert parsed.text == "还款日期是十二月"
    assert any("closing boundary" in w for w in parsed.warnings)
    for junk in (b"", b"\x00\xff" * 100, b"Content-Type: multipart/mixed\r\n\r\n--", b":::"):
        parse_email(junk, tz=TZ)


def test_too_deep_nesting_stops_with_a_warning():
    body = b""
    for level in range(40):
        body = (f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'
                .encode() + body + f"\r\n--b{level}--\r\n".encode())
    parsed = parse_email(b"From: a@b.cn\r\n" + body, tz=TZ)
    assert any("nests more than" in w for w in parsed.warnings)


# --- sanitizing -------------------------------------------------------------------------------

def test_sanitized_html_runs_nothing_and_fetches_nothing():
    dirty = ('<div onclick="steal()">正文<script>alert(1)</script><style>body{}</style>'
             '<img src="https://tracker.example/p.gif" alt="logo">'
             '<img src="cid:seal@lender" alt="公章"><img src="data:image/png;base64,AAAA">'
             '<iframe src="https://evil.example"></iframe>'
             '<link rel="stylesheet" href="https://evil.example/x.css">'
             '<table background="https://evil.example/bg.png"><tr><td>1</td></tr></table>'
             '<a href="javascript:alert(1)">x</a><a href="https://lender.example/pay">付款</a>'
             '<form action="https://evil.example"><input name="pw"></form></div>')
    clean = sanitize_email_html(dirty)
    for gone in ("onclick", "<script", "alert(1)", "<style", "tracker.example", "<iframe",
                 "evil.example", "javascript:", "data:image", "<form", "<input"):
        assert gone not in clean, gone
    assert '<img src="cid:seal@lender" alt="公章">' in clean
    assert 'alt="logo"' in clean   # the remote image's words stay, its source does not
    # A link is its words and, as text, its address: nothing to click (issue 19).
    assert '<u>付款</u> <small>&lt;https://lender.example/pay&gt;</small>' in clean
    assert "<a" not in clean and "href" not in clean
    assert "正文" in clean


# --- direction --------------------------------------------------------------------------------

def test_direction_comes_from_my_addresses():
    received = parse_email(email_bytes(b"Subject: x"), tz=TZ)  # a@example.cn -> b@example.cn
    assert email_direction(received, ["B@example.cn"]) == (Direction.from_them, "a@example.cn")
    assert email_direction(received, ["a@example.cn"]) == (Direction.from_me, "b@example.cn")
    assert email_direction(received, ["example.cn"])[0] == Direction.unknown
    assert email_direction(received, []) == (Direction.unknown, "a@example.cn")


# --- Outlook ----------------------------------------------------------------------------------

def test_outlook_msg_with_an_attachment():
    parsed = parse_msg(sample_msg("html_attachment.msg").read_bytes())
    assert parsed.subject == "html with attachment"
    assert parsed.from_address == "mobi777@gmail.com"
    assert "Some nice text" in parsed.text and "<html" in parsed.html.lower()
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("dummy-attachment.txt", "text/plain")]
    assert parsed.date.isoformat() == "2019-02-03T16:45:07+00:00"


def test_damaged_outlook_file_is_a_warning_not_a_crash():
    data = sample_msg("html_attachment.msg").read_bytes()
    parsed = parse_msg(data[: len(data) // 3])
    assert parsed.warnings or parsed.text == ""
    assert parse_msg(b"\xd0\xcf\x11\xe0" + b"\x00" * 600).warnings


# --- mbox -------------------------------------------------------------------------------------

def test_mbox_is_split_into_exact_message_bytes(tmp_path):
    box = mailbox.mbox(tmp_path / "in.mbox")
    for number in range(3):
        message = EmailMessage()
        message["From"], message["Subject"] = "a@b.cn", f"第{number}封"
        message.set_content(f"From the desk of number {number}\n内容{number}")
        box.add(message)
    box.close()
    data = (tmp_path / "in.mbox").read_bytes()
    stats = MboxStats()
    messages = list(iter_mbox(io.BytesIO(b"junk\n" + data), max_message_bytes=10**6,
                              stats=stats))
    assert [m.number for m in messages] == [1, 2, 3]
    assert all(m.data in data and m.envelope.startswith("From ") for m in messages)
    assert b">From the desk" in messages[0].data           # mbox quoting is left as stored
    assert parse_email(messages[2].data, tz=TZ).subject == "第2封"
    assert stats.leading_garbage == 4 and stats.bytes_read == len(data) + 5
    big = list(iter_mbox(io.BytesIO(data), max_message_bytes=10))
    assert all(m.too_large and m.data == b"" for m in big)


@pytest.mark.parametrize("text", ["", "no separator lines at all\n"])
def test_a_file_without_messages_yields_none(text):
    assert list(iter_mbox(io.BytesIO(text.encode()), max_message_bytes=100)) == []
