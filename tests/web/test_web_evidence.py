"""The evidence pages: upload page, per-file details form (custody-logged edits), the viewer for
each kind (recording + transcript; images and emails: test_web_evidence_viewers.py), Range
requests, downloads, transcript corrections that keep the machine's version, and job actions."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlmodel import select

from storage.models import (Channel, CustodyAction, Evidence, ExtractedText, Job,
                            JobKind, JobStatus, TextSource)
from tests.support.evidence_pages import (TRANSCRIPT, add_text, csrf_form, custody, hostile_email,
                                          upload_one)
from tests.support.uploads import post_files
from tests.support.web import new_browser, sign_in, visible_text

pytestmark = pytest.mark.usefixtures("english")

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
