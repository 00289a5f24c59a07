"""Uploads are streamed from the request body into intake (web/streaming.py): real files, one
request with many, duplicates, refusals, the size limit, CSRF, fields sent with the files, and
proof that the body is neither held in memory nor spooled to a temporary file."""

from __future__ import annotations

import dataclasses
import hashlib
import tracemalloc

import pytest
from sqlmodel import select
from werkzeug.formparser import FormDataParser
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from logger.config import IntakeConfig
from storage.models import Channel, CustodyAction, CustodyEvent, Direction, Evidence
from tests.support.uploads import (CONTENT_TYPE, NoiseUpload, closing, multipart, page_token,
                            post_files)
from tests.support.web import sign_in
from web import create_app

MB = 1024 * 1024


@pytest.fixture
def no_form_parsing(monkeypatch):
    """Fail the test if anything parses the body the buffering way (request.files/.form)."""
    real_parse = FormDataParser.parse

    def refuse_multipart(parser, stream, mimetype, *args, **kwargs):
        if mimetype == "multipart/form-data":
            raise AssertionError("the upload body was parsed by werkzeug's form parser")
        return real_parse(parser, stream, mimetype, *args, **kwargs)
    monkeypatch.setattr(FormDataParser, "parse", refuse_multipart)


def streamed_request(path: str, body: NoiseUpload, headers: dict) -> Request:
    """A POST whose body is read from `body` as the app asks for it (the test client's own
    builder would seek to measure it)."""
    environ = EnvironBuilder(path=path, method="POST", content_type=CONTENT_TYPE,
                             headers=headers).get_environ()
    environ["wsgi.input"] = body
    environ["CONTENT_TYPE"] = CONTENT_TYPE  # the builder put a boundary of its own there
    environ["CONTENT_LENGTH"] = str(body.length)
    return Request(environ)


def stored(session) -> list[Evidence]:
    session.expire_all()
    return list(session.exec(select(Evidence).order_by(Evidence.id)).all())


def blob_files(services) -> list:
    return [p for p in services.blobs.root.rglob("*") if p.is_file() and p.name != ".intake.lock"]


def test_several_real_files_in_one_request_are_stored_byte_for_byte(
        client, negotiation, session, testdata, no_form_parsing):
    files = [("BAC009S0764W0121.wav", testdata / "audio/BAC009S0764W0121.wav"),
             ("jfk.flac", testdata / "audio/jfk.flac"),
             ("chat.png", testdata / "images/cnocr_multi-line_cn1_chat_bubble_white.png"),
             ("mail.eml", testdata / "email/demisto_chinese_gb2312_encoding.eml")]
    reply = post_files(client, negotiation.id, [(name, path.read_bytes()) for name, path in files])
    assert reply.status_code == 200
    results = reply.get_json()["results"]
    assert [r["status"] for r in results] == ["stored"] * 4
    items = stored(session)
    assert [e.original_filename for e in items] == [name for name, _ in files]
    for item, (_, path) in zip(items, files, strict=True):
        assert item.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert item.extracted_metadata["source"] == "web"
    assert {e.media_type for e in items} == {"audio/wav", "audio/flac", "image/png",
                                             "message/rfc822"}
    assert results[0]["url"] == f"/evidence/{items[0].id}"


def test_the_plain_form_post_works_without_javascript(client, negotiation, session, testdata,
                                                      no_form_parsing):
    wav = (testdata / "audio/IT0011W0001.wav").read_bytes()
    reply = post_files(client, negotiation.id, [("call.wav", wav)], as_json=False)
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert 'data-testid="upload-result"' in page and 'data-state="stored"' in page
    assert 'data-testid="details-form-1"' in page
    assert len(stored(session)) == 1


def test_a_duplicate_points_to_the_item_already_kept(client, negotiation, session, testdata):
    wav = (testdata / "audio/BAC009S0764W0122.wav").read_bytes()
    first = post_files(client, negotiation.id, [("a.wav", wav)]).get_json()["results"][0]
    again = post_files(client, negotiation.id, [("copy.wav", wav)]).get_json()["results"][0]
    assert again["status"] == "duplicate"
    assert again["existing_id"] == first["evidence_id"]
    assert again["existing_url"] == f"/evidence/{first['evidence_id']}"
    assert len(stored(session)) == 1


def test_a_refused_file_does_not_stop_the_others(client, negotiation, session, services,
                                                 testdata):
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(300)
    png = (testdata / "images/rapidocr_text_rec_sign_crop.jpg").read_bytes()
    results = post_files(client, negotiation.id,
                         [("setup.exe", exe), ("sign.jpg", png)]).get_json()["results"]
    assert [r["status"] for r in results] == ["refused", "stored"]
    assert "setup.exe" in results[0]["detail"]
    assert [e.original_filename for e in stored(session)] == ["sign.jpg"]
    assert len(blob_files(services)) == 1


def test_a_file_over_the_limit_is_refused_and_nothing_of_it_is_stored(
        services, owner, negotiation, session, testdata, no_form_parsing):
    small = dataclasses.replace(services.config, intake=IntakeConfig(max_file_mb=1))
    app = create_app(dataclasses.replace(services, config=small))
    app.config["TESTING"] = True
    client = sign_in(app.test_client(), "owner", "owner-password")
    big = NoiseUpload(2 * MB, "long call.wav").readall()
    after = (testdata / "audio/IT0011W0001.wav").read_bytes()
    body = big[:-len(closing())] + multipart([("after.wav", after)])
    reply = client.post(f"/negotiations/{negotiation.id}/upload", data=body,
                        content_type=CONTENT_TYPE,
                        headers={"Accept": "application/json",
                                 "X-CSRFToken": page_token(client)})
    results = reply.get_json()["results"]
    assert results[0]["status"] == "refused"
    assert "1 MB" in results[0]["message"]
    assert results[1]["status"] == "stored"
    assert [e.original_filename for e in stored(session)] == ["after.wav"]
    assert len(blob_files(services)) == 1
    intakes = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.intake)).all()
    assert len(intakes) == 1
    assert b'data-max-bytes="1048576"' in client.get(
        f"/negotiations/{negotiation.id}/upload").data


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_without_a_valid_csrf_token_nothing_is_stored(client, negotiation, session, services,
                                                     testdata, token):
    wav = (testdata / "audio/IT0011W0001.wav").read_bytes()
    reply = post_files(client, negotiation.id, [("a.wav", wav)], token=token)
    assert reply.status_code == 400
    assert stored(session) == []
    assert blob_files(services) == []


def test_a_token_field_after_the_file_is_too_late(client, negotiation, session, testdata):
    wav = (testdata / "audio/IT0011W0001.wav").read_bytes()
    body = multipart([("a.wav", wav)])[:-len(closing())] + multipart(
        [], {"csrf_token": page_token(client)})
    reply = client.post(f"/negotiations/{negotiation.id}/upload", data=body,
                        content_type=CONTENT_TYPE, headers={"Accept": "application/json"})
    assert reply.status_code == 400
    assert stored(session) == []


def test_fields_before_a_file_describe_it(client, negotiation, session, testdata):
    wav = (testdata / "audio/IT0011W0001.wav").read_bytes()
    fields = {"occurred_at": "2024-12-03T15:30", "channel": "wechat", "direction": "from_them",
              "counterpart_name": "王经理", "counterpart_number": "13800138000",
              "staff_number": "A0173", "note": "说下周三前还5000"}
    results = post_files(client, negotiation.id, [("voice.wav", wav)],
                         fields=fields).get_json()["results"]
    assert results[0]["status"] == "stored"
    item = stored(session)[0]
    assert item.channel == Channel.wechat and item.direction == Direction.from_them
    assert item.occurred_at.isoformat() == "2024-12-03T07:30:00+00:00"  # Asia/Shanghai
    assert (item.counterpart_name, item.note) == ("王经理", "说下周三前还5000")
    assert item.extracted_metadata["staff_number"] == "A0173"
    edit = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.metadata_edit)).one()
    assert edit.details["changes"]["staff_number"] == {"old": None, "new": "A0173"}


def test_a_bad_field_value_refuses_the_upload(client, negotiation, session, testdata):
    wav = (testdata / "audio/IT0011W0001.wav").read_bytes()
    reply = post_files(client, negotiation.id, [("a.wav", wav)], fields={"channel": "pigeon"})
    assert reply.status_code == 400
    assert "pigeon" in reply.get_json()["error"]
    assert stored(session) == []


def test_a_body_that_is_not_multipart_is_refused(client, negotiation, session):
    reply = client.post(f"/negotiations/{negotiation.id}/upload", data=b"hello",
                        content_type="application/octet-stream",
                        headers={"Accept": "application/json",
                                 "X-CSRFToken": page_token(client)})
    assert reply.status_code == 400
    assert stored(session) == []


def test_a_50_mb_upload_is_streamed_not_buffered_or_spooled(
        client, negotiation, session, services, no_form_parsing, monkeypatch):
    import tempfile

    def no_temp(*_args, **_kwargs):
        raise AssertionError("the upload was spooled to a temporary file")
    for name in ("TemporaryFile", "SpooledTemporaryFile", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, no_temp)
    size = 50 * MB
    body = NoiseUpload(size, "通话录音 13800138000 20241203_153012.wav")
    token = page_token(client)
    tracemalloc.start()
    try:
        reply = client.open(streamed_request(f"/negotiations/{negotiation.id}/upload", body,
                                             {"Accept": "application/json",
                                              "X-CSRFToken": token}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["results"][0]["status"] == "stored"
    item = stored(session)[0]
    assert item.size == size
    assert item.sha256 == body.file_sha256.hexdigest()
    assert item.counterpart_number == "13800138000"
    assert peak < 16 * MB, f"peak traced memory {peak / MB:.1f} MB for a 50 MB upload"
    assert list(services.blobs.tmp_dir.iterdir()) == []
