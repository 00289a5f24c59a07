"""The evidence pages: upload page, per-file details form (custody-logged edits), the viewer for
each kind (recording + transcript, image + recognised text, email), Range requests, downloads,
transcript corrections that keep the machine's version, and job actions."""

from __future__ import annotations

import io
import re
from email.message import EmailMessage
from urllib.parse import quote

import pytest
from sqlmodel import select

from logger.extract.emails import parse_email
from logger.intake.ingest import IncomingFile, ingest
from storage.models import (Channel, CustodyAction, CustodyEvent, Evidence, ExtractedText, Job,
                            JobKind, JobStatus, TextSource)
from tests.support.uploads import page_token, post_files
from tests.support.web import new_browser, sign_in, visible_text

TRANSCRIPT = [{"start": 0.0, "end": 2.5, "text": " 您好，这里是信用飞催收部。", "speaker": None},
              {"start": 2.5, "end": 6.0, "text": " 你这个月十五号之前必须还款。", "speaker": None},
              {"start": 6.0, "end": 9.2, "text": " 我下周三前可以先还五千。", "speaker": None}]


@pytest.fixture(autouse=True)
def english(session, owner):
    """The assertions below read the English text; one test switches to Chinese."""
    owner.locale = "en"
    session.add(owner)
    session.commit()


def upload_one(client, negotiation, path, name=None) -> int:
    reply = post_files(client, negotiation.id, [(name or path.name, path.read_bytes())])
    result = reply.get_json()["results"][0]
    assert result["status"] == "stored", result
    return result["evidence_id"]


def add_text(session, evidence_id: int, source: TextSource, text: str, segments=(), **kw):
    row = ExtractedText(evidence_id=evidence_id, source=source, text=text,
                        segments=list(segments), **kw)
    session.add(row)
    session.commit()
    return row


def custody(session, action: CustodyAction) -> list[CustodyEvent]:
    return list(session.exec(select(CustodyEvent).where(CustodyEvent.action == action)
                             .order_by(CustodyEvent.seq)).all())


def csrf_form(client, **fields) -> dict:
    return {"csrf_token": page_token(client), **fields}


@pytest.fixture
def recorded_call(client, negotiation, testdata, tmp_path):
    """A call recording named the way a phone's recorder names it."""
    named = tmp_path / "通话录音 13800138000 20241203_153012.wav"
    named.write_bytes((testdata / "audio/BAC009S0764W0121.wav").read_bytes())
    return upload_one(client, negotiation, named)


# --- upload page and the details form ---------------------------------------------------------

def test_the_upload_page_takes_many_files_of_the_kinds_people_have(client, negotiation):
    page = client.get(f"/negotiations/{negotiation.id}/upload").get_data(as_text=True)
    field = re.search(r'<input id="file-input"[^>]*>', page).group(0)
    assert " multiple " in field
    for kind in ("audio/*", "image/*", ".eml", ".msg", ".mbox", ".pdf", ".amr"):
        assert kind in field
    assert 'enctype="multipart/form-data"' in page
    assert "js/upload.js" in page and 'data-testid="dropzone"' in page


def test_the_form_after_upload_is_filled_in_from_the_file(client, negotiation, testdata,
                                                          tmp_path):
    named = tmp_path / "通话录音 13800138000 20241203_153012.wav"
    named.write_bytes((testdata / "audio/BAC009S0764W0121.wav").read_bytes())
    result = post_files(client, negotiation.id,
                        [(named.name, named.read_bytes())]).get_json()["results"][0]
    form = result["form_html"]
    assert 'value="2024-12-03T15:30:12"' in form  # local time, from the file name
    assert 'value="13800138000"' in form
    assert re.search(r'<option value="call"\s+selected', form)
    assert f'action="/evidence/{result["evidence_id"]}/details"' in form


def test_editing_details_records_old_and_new_in_the_custody_log(client, session,
                                                                recorded_call):
    shown = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert 'value="2024-12-03T15:30:12"' in shown
    reply = client.post(f"/evidence/{recorded_call}/details", data=csrf_form(
        client, occurred_at="2024-12-03T15:30:12", channel="wechat", direction="from_them",
        counterpart_name="王经理", staff_number="A0173", counterpart_number="13800138000",
        note="催收员称十五号前必须还款"), headers={"Accept": "application/json"})
    assert reply.status_code == 200
    assert reply.get_json()["changed"] == ["channel", "counterpart_name", "direction", "note",
                                           "staff_number"]
    item = session.get(Evidence, recorded_call)
    session.refresh(item)
    assert item.channel == Channel.wechat
    assert item.extracted_metadata["staff_number"] == "A0173"
    [event] = custody(session, CustodyAction.metadata_edit)
    assert event.evidence_id == recorded_call
    assert event.details["changes"]["channel"] == {"old": "call", "new": "wechat"}
    assert event.details["changes"]["counterpart_name"] == {"old": None, "new": "王经理"}
    assert "occurred_at" not in event.details["changes"]  # shown time, untouched
    history = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert "Details corrected" in history and "王经理" in history


def test_changing_the_time_is_read_in_the_users_zone(client, session, recorded_call):
    client.post(f"/evidence/{recorded_call}/details",
                data=csrf_form(client, occurred_at="2024-12-04T09:00"))
    item = session.get(Evidence, recorded_call)
    session.refresh(item)
    assert item.occurred_at.isoformat() == "2024-12-04T01:00:00+00:00"
    [event] = custody(session, CustodyAction.metadata_edit)
    assert event.details["changes"]["occurred_at"] == {"old": "2024-12-03T07:30:12Z",
                                                       "new": "2024-12-04T01:00:00Z"}


def test_a_bad_value_changes_nothing(client, session, recorded_call):
    reply = client.post(f"/evidence/{recorded_call}/details",
                        data=csrf_form(client, channel="pigeon", note="x"),
                        headers={"Accept": "application/json"})
    assert reply.status_code == 400
    assert reply.get_json()["field"] == "channel"
    assert custody(session, CustodyAction.metadata_edit) == []


def test_an_edit_without_the_csrf_token_is_refused(client, session, recorded_call):
    reply = client.post(f"/evidence/{recorded_call}/details", data={"note": "x"})
    assert reply.status_code == 400
    assert custody(session, CustodyAction.metadata_edit) == []


# --- recordings --------------------------------------------------------------------------------

def test_the_call_page_plays_the_recording_with_its_transcript(client, session,
                                                               recorded_call):
    add_text(session, recorded_call, TextSource.transcript, "…", TRANSCRIPT,
             engine="faster-whisper", model="base")
    page = client.get(f"/evidence/{recorded_call}?t=6").get_data(as_text=True)
    assert f'<audio id="media" class="media" controls preload="metadata" src="/evidence/' \
           f'{recorded_call}/media" data-seek="6.0">' in page
    assert 'id="seg-2"' in page and 'data-start="6.0"' in page
    assert "我下周三前可以先还五千。" in page
    assert "js/player.js" in page


def test_media_is_served_inline_with_range_support(client, recorded_call, testdata):
    original = (testdata / "audio/BAC009S0764W0121.wav").read_bytes()
    whole = client.get(f"/evidence/{recorded_call}/media")
    assert whole.status_code == 200 and whole.data == original
    assert whole.headers["Content-Type"] == "audio/wav"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    assert whole.headers["Content-Disposition"] == "inline"
    part = client.get(f"/evidence/{recorded_call}/media", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(original)}"
    assert part.data == original[100:1100]
    tail = client.get(f"/evidence/{recorded_call}/media", headers={"Range": "bytes=-64"})
    assert tail.status_code == 206 and tail.data == original[-64:]
    deep = 100_000
    seek = client.get(f"/evidence/{recorded_call}/media", headers={"Range": f"bytes={deep}-"})
    assert seek.data == original[deep:]
    beyond = client.get(f"/evidence/{recorded_call}/media",
                        headers={"Range": f"bytes={len(original) + 10}-"})
    assert beyond.status_code == 416


def test_only_recordings_and_raster_images_are_served_inline(client, negotiation, testdata):
    mail = upload_one(client, negotiation, testdata / "email/demisto_chinese_gbk_encoding.eml")
    assert client.get(f"/evidence/{mail}/media").status_code == 404


def test_the_original_downloads_byte_for_byte_under_its_name(client, recorded_call, testdata):
    reply = client.get(f"/evidence/{recorded_call}/original")
    assert reply.data == (testdata / "audio/BAC009S0764W0121.wav").read_bytes()
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name = "通话录音 13800138000 20241203_153012.wav"
    assert f"filename*=UTF-8''{quote(name)}" in disposition


def test_a_correction_is_a_new_version_and_the_machine_transcript_stays(client, session,
                                                                         recorded_call):
    machine = add_text(session, recorded_call, TextSource.transcript, "…", TRANSCRIPT,
                       engine="faster-whisper", model="base")
    lines = ["您好，这里是信用飞催收部。", "你这个月十五号之前必须还款，不然就上门。",
             "我下周三前可以先还五千。"]
    reply = client.post(f"/evidence/{recorded_call}/transcript",
                        data=csrf_form(client, base_id=machine.id, segment=lines))
    assert reply.status_code == 302
    versions = session.exec(select(ExtractedText).where(
        ExtractedText.evidence_id == recorded_call).order_by(ExtractedText.id)).all()
    assert len(versions) == 2
    session.refresh(versions[0])
    assert versions[0].segments == TRANSCRIPT and not versions[0].edited
    edited = versions[1]
    assert edited.edited and edited.edited_at is not None
    assert [s["text"] for s in edited.segments] == lines
    assert [s["start"] for s in edited.segments] == [0.0, 2.5, 6.0]
    [event] = custody(session, CustodyAction.transcript_edit)
    assert event.details["base_text_id"] == machine.id
    assert event.details["changes"] == [{"segment": 1, "old": TRANSCRIPT[1]["text"],
                                         "new": lines[1]}]
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert "不然就上门" in page and "Other versions (1)" in page
    assert "你这个月十五号之前必须还款。" in page  # the machine's line, still shown


def test_an_unchanged_correction_saves_nothing(client, session, recorded_call):
    machine = add_text(session, recorded_call, TextSource.transcript, "…", TRANSCRIPT)
    client.post(f"/evidence/{recorded_call}/transcript",
                data=csrf_form(client, base_id=machine.id,
                               segment=[s["text"] for s in TRANSCRIPT]))
    assert len(session.exec(select(ExtractedText)).all()) == 1
    assert custody(session, CustodyAction.transcript_edit) == []


def test_transcribe_again_queues_one_job_and_keeps_the_transcript(client, session,
                                                                  recorded_call):
    for job in session.exec(select(Job)).all():  # the intake's job has run
        job.status = JobStatus.done
    session.commit()
    for _ in range(2):
        client.post(f"/evidence/{recorded_call}/retranscribe", data=csrf_form(client))
    jobs = session.exec(select(Job).where(Job.kind == JobKind.transcribe,
                                          Job.status == JobStatus.queued)).all()
    assert len(jobs) == 1
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert "Queued: transcription" in page


def test_a_failed_job_shows_why_and_can_be_retried(client, session, recorded_call):
    job = session.exec(select(Job).where(Job.evidence_id == recorded_call)).one()
    job.status, job.error = JobStatus.failed, "the file cannot be decoded as audio"
    session.commit()
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert "Transcription failed: the file cannot be decoded as audio" in page
    assert f'data-testid="retry-{job.id}"' in page
    client.post(f"/evidence/{recorded_call}/jobs/{job.id}/retry", data=csrf_form(client))
    session.refresh(job)
    assert job.status == JobStatus.queued and job.error is None


def test_a_job_of_another_item_cannot_be_retried_through_this_one(client, session, negotiation,
                                                                  recorded_call, testdata):
    other = upload_one(client, negotiation, testdata / "audio/IT0011W0001.wav")
    job = session.exec(select(Job).where(Job.evidence_id == other)).one()
    reply = client.post(f"/evidence/{recorded_call}/jobs/{job.id}/retry",
                        data=csrf_form(client))
    assert reply.status_code == 404


# --- images ------------------------------------------------------------------------------------

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

def hostile_email() -> bytes:
    message = EmailMessage()
    message["From"] = "催收中心 <collect@example.com>"
    message["To"] = "me@example.com"
    message["Subject"] = "最后通知"
    message["Date"] = "Tue, 03 Dec 2024 15:30:00 +0800"
    message.set_content("最后通知：请于十五日前还款。")
    message.add_alternative(
        '<p onclick="steal()">请于<b>十五日</b>前还款。</p><script>alert(1)</script>'
        '<img src="https://tracker.example/pixel.gif" alt="pixel">'
        '<img src="cid:seal@x" alt="seal"><a href="https://example.com/pay">付款</a>',
        subtype="html")
    message.get_payload()[1].add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image",
                                         subtype="png", cid="<seal@x>")
    return message.as_bytes()


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

def test_every_item_shows_its_hash_and_custody_history(client, recorded_call, session):
    item = session.get(Evidence, recorded_call)
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert f'data-testid="sha256">{item.sha256}<' in page
    assert "Received and stored" in page and "owner" in page


def test_pages_are_in_chinese_for_a_chinese_account(client, session, owner, recorded_call):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
    assert "下载原件" in page and "保管记录" in page
    assert "Download original" not in page


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Not words to translate (as in test_web_i18n): zone and media type names, acronyms, file names.
NOT_PROSE = re.compile(r"[A-Za-z_]+/[\w/+-]+|\b[A-Z]{2,5}\b|\S+\.\w{2,4}\b")
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_the_pages_speak_one_language(app, client, session, owner, negotiation, tmp_path,
                                      testdata, recorded_call):
    add_text(session, recorded_call, TextSource.transcript, "…", TRANSCRIPT)
    chat = upload_one(client, negotiation,
                      testdata / "images/cnocr_multi-line_cn2_chat_bubble_green.png")
    add_text(session, chat, TextSource.ocr, "…", [{"side": "them", "text": "今天必须处理"},
                                                  {"side": "me", "text": "下周三还"}])
    mail_path = tmp_path / "notice.eml"
    mail_path.write_bytes(hostile_email())
    mail = upload_one(client, negotiation, mail_path)
    owner.locale = None  # the browser's Accept-Language decides
    session.add(owner)
    session.commit()
    data = re.compile("|".join(["信用飞", "某某催收公司", "通话录音", "催收中心", "最后通知",
                                *[s["text"].strip() for s in TRANSCRIPT], "今天必须处理",
                                "下周三还"]))
    paths = [f"/evidence/{recorded_call}", f"/evidence/{chat}", f"/evidence/{mail}",
             f"/negotiations/{negotiation.id}/upload"]
    for language in ("zh", "en"):
        browser = sign_in(new_browser(app, language=language), "owner", "owner-password")
        for path in paths:
            texts = [t.replace("owner", "") for t in visible_text(browser.get(path).get_data(
                as_text=True))]
            if language == "zh":
                left = [t for t in texts if ENGLISH_WORD.search(NOT_PROSE.sub("", t))]
            else:
                left = [t for t in texts if HAN.search(data.sub("", t))]
            assert not left, f"{language} {path}: {left}"


def test_another_account_sees_nothing(other_client, negotiation, recorded_call):
    for path in (f"/evidence/{recorded_call}", f"/evidence/{recorded_call}/media",
                 f"/evidence/{recorded_call}/original", f"/evidence/{recorded_call}/email-body",
                 f"/negotiations/{negotiation.id}/upload"):
        assert other_client.get(path).status_code == 404, path
    reply = other_client.post(f"/evidence/{recorded_call}/details",
                              data=csrf_form(other_client, note="mine now"))
    assert reply.status_code == 404
