"""The evidence viewers for images and emails: a chat screenshot beside its text as a
conversation, overlapping screenshots offered as one, a photo's recognised lines, an email's
headers and sanitised body in a sandbox (plain text first, HTML a click away) and its
attachments as child evidence."""

from __future__ import annotations

import io
import re
from email.message import EmailMessage

import pytest

from logger.extract.emails import parse_email
from logger.intake.ingest import IncomingFile, ingest
from storage.models import Evidence, TextSource
from tests.support.evidence_pages import add_text, hostile_email, upload_one

pytestmark = pytest.mark.usefixtures("english")


def test_a_chat_screenshot_shows_beside_its_text_as_a_conversation(client, session, negotiation,
                                                                   testdata):
    item = upload_one(client, negotiation,
                      testdata / "images/cnocr_multi-line_cn2_chat_bubble_green.png")
    add_text(session, item, TextSource.ocr, "…", [
        {"time": "昨天 21:14", "text": ""},
        {"side": "them", "text": "今天必须处理，不然联系你家人", "box": [0, 0, 10, 10]},
        {"side": "me", "text": "我下周三还五千", "box": [0, 20, 10, 30]}])
    page = client.get(f"/evidence/{item}").get_data(as_text=True)
    assert f'src="/evidence/{item}/media"' in page
    assert 'class="bubble bubble-them"' in page and 'class="bubble bubble-me"' in page
    assert "昨天 21:14" in page
    image = client.get(f"/evidence/{item}/media")
    assert image.headers["Content-Type"] == "image/png"
    assert image.data == (testdata / "images/cnocr_multi-line_cn2_chat_bubble_green.png"
                          ).read_bytes()


def test_overlapping_screenshots_are_offered_as_one_conversation(client, session, negotiation,
                                                                testdata):
    """Two screenshots of one scrolled chat uploaded together: each page offers the joined
    conversation, each message once, with the screenshots it is seen in."""
    def bubble(side, text):
        return {"side": side, "text": text, "box": [0, 0, 10, 10]}

    lines = [bubble("them", "您的借款已经逾期三十二天，请尽快处理。"),
             bubble("me", "我最近生病住院了，收入中断。"),
             bubble("them", "请问您什么时候可以还款？"),
             bubble("me", "我想申请分期还款，每个月还一千元。"),
             bubble("them", "您的申请已经提交审核。")]
    first = upload_one(client, negotiation,
                       testdata / "images/cnocr_multi-line_cn2_chat_bubble_green.png")
    second = upload_one(client, negotiation,
                        testdata / "images/cnocr_multi-line_cn1_chat_bubble_white.png")
    add_text(session, first, TextSource.ocr, "…", lines[:4])
    add_text(session, second, TextSource.ocr, "…", lines[2:])
    page = client.get(f"/evidence/{second}").get_data(as_text=True)
    assert 'data-testid="merged-conversation"' in page
    sources = re.findall(r'data-testid="merged-message" data-sources="([\d,]+)"', page)
    assert sources == [str(first), str(first), f"{first},{second}", f"{first},{second}",
                       str(second)]
    # A screenshot that overlaps nothing offers no merged conversation.
    alone = upload_one(client, negotiation,
                       testdata / "images/rapidocr_test_letterbox_like_ui_screenshot.jpg")
    add_text(session, alone, TextSource.ocr, "…", [bubble("them", "完全无关的另一条消息内容。")])
    assert 'data-testid="merged-conversation"' not in \
        client.get(f"/evidence/{alone}").get_data(as_text=True)


def test_a_photo_shows_its_recognised_lines(client, session, negotiation, testdata):
    item = upload_one(client, negotiation, testdata / "images/rapidocr_text_rec_sign_crop.jpg")
    add_text(session, item, TextSource.ocr, "律师函\n限期还款",
             [{"box": [0, 0, 5, 5], "text": "律师函"}, {"box": [0, 6, 5, 9], "text": "限期还款"}])
    page = client.get(f"/evidence/{item}").get_data(as_text=True)
    assert 'data-testid="ocr-text"' in page and "限期还款" in page
    assert "bubble" not in page


# --- email -------------------------------------------------------------------------------------

def test_an_email_shows_headers_and_a_sanitised_body_in_a_sandbox(client, negotiation,
                                                                   tmp_path):
    path = tmp_path / "notice.eml"
    path.write_bytes(hostile_email())
    item = upload_one(client, negotiation, path)
    page = client.get(f"/evidence/{item}?body=html").get_data(as_text=True)
    assert "collect@example.com" in page and "最后通知" in page
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert 'sandbox=""' in frame and f'src="/evidence/{item}/email-body?body=html"' in frame
    body = client.get(f"/evidence/{item}/email-body?body=html")
    csp = body.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert "style-src 'unsafe-inline'" in csp and "sandbox" in csp
    html = body.get_data(as_text=True)
    assert "<b>十五日</b>" in html
    assert "<script" not in html and "onclick" not in html and "alert(1)" not in html
    assert "tracker.example" not in html
    assert 'src="data:image/png;base64,' in html  # the inline image, resolved locally


def test_an_email_shows_its_plain_text_first_with_a_switch_to_the_html(client, negotiation,
                                                                        tmp_path):
    message = EmailMessage()
    message["From"] = "催收中心 <collect@example.com>"
    message["Subject"] = "还款协议"
    message.set_content("经协商，双方同意：本人于2024年12月20日前还款3000元，贵司减免罚息。")
    message.add_alternative("<p>您好</p><p><a href='https://example.com/x'>点击</a></p>",
                            subtype="html")
    path = tmp_path / "agreement.eml"
    path.write_bytes(message.as_bytes())
    item = upload_one(client, negotiation, path)

    page = client.get(f"/evidence/{item}").get_data(as_text=True)
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert 'sandbox=""' in frame and f'src="/evidence/{item}/email-body?body=text"' in frame
    assert f'href="/evidence/{item}?body=html#email-body"' in page  # the switch, no script
    assert re.search(r'data-testid="email-part-text"[^>]*aria-current="true"', page)
    text = client.get(f"/evidence/{item}/email-body")  # the default is the text too
    assert "本人于2024年12月20日前还款3000元" in text.get_data(as_text=True)
    assert "点击" not in text.get_data(as_text=True)
    assert "sandbox" in text.headers["Content-Security-Policy"]

    page = client.get(f"/evidence/{item}?body=html").get_data(as_text=True)
    assert f'src="/evidence/{item}/email-body?body=html"' in page
    assert f'href="/evidence/{item}?body=text#email-body"' in page
    html = client.get(f"/evidence/{item}/email-body?body=html")
    assert "点击" in html.get_data(as_text=True) and "3000" not in html.get_data(as_text=True)
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    # Asking for a part the email lacks, or nonsense, shows the default.
    assert "3000" in client.get(f"/evidence/{item}/email-body?body=x").get_data(as_text=True)


def test_an_email_with_only_html_is_read_as_text_with_the_html_a_click_away(client, negotiation,
                                                                         tmp_path):
    message = EmailMessage()
    message["From"] = "collect@example.com"
    message.set_content("<p>请于<b>十五日</b>前还款。</p>", subtype="html")
    path = tmp_path / "html-only.eml"
    path.write_bytes(message.as_bytes())
    item = upload_one(client, negotiation, path)
    page = client.get(f"/evidence/{item}").get_data(as_text=True)
    assert 'data-testid="email-parts"' in page  # the HTML read as text, or the HTML
    assert f'src="/evidence/{item}/email-body?body=text"' in page
    assert "<b>十五日</b>" in client.get(
        f"/evidence/{item}/email-body?body=html").get_data(as_text=True)


def test_an_emails_attachments_are_its_child_evidence(client, session, services, owner,
                                                      negotiation, testdata):
    path = testdata / "email/demisto_multipart_with_eml_attachment_containing_html.eml"
    parent_id = upload_one(client, negotiation, path)
    parent = session.get(Evidence, parent_id)
    [attached] = parse_email(path.read_bytes(), tz=services.config.locale.zone).attachments
    child = ingest(session=session, blobs=services.blobs,
                   source=IncomingFile(io.BytesIO(attached.data), attached.filename),
                   negotiation=negotiation, actor=owner, max_bytes=10 ** 6,
                   tz=services.config.locale.zone, parent=parent)
    page = client.get(f"/evidence/{parent_id}").get_data(as_text=True)
    assert 'data-testid="attachments"' in page
    assert f'href="/evidence/{child.id}">#{child.id} original_message.eml' in page
    child_page = client.get(f"/evidence/{child.id}").get_data(as_text=True)
    assert f'href="/evidence/{parent_id}"' in child_page


# --- everything --------------------------------------------------------------------------------
