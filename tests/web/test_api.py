"""The JSON API under /api/v1: bearer tokens, every endpoint, a real recording streamed in, errors
as JSON, and another account's ids answered exactly like missing ones. Also the token section of
Settings."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.record.evidence import evidence_detail
from logger.tokens import create_token, revoke_token
from storage.models import (ApiToken, CustodyAction, CustodyEvent, Evidence, ExtractedText,
                            TextSource)
from tests.support.web import csrf
from web import create_app

RECORDING = "audio/BAC009S0764W0121.wav"
RECORDER_NAME = "通话录音 13800138000 20241203_153012.wav"


class CountingStream(io.BytesIO):
    """A request body that remembers how many bytes each read returned."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size=-1):
        chunk = super().read(size)
        self.reads.append(len(chunk))
        return chunk

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.reads.append(n)
        return n


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, bytes]]
              ) -> tuple[bytes, str]:
    """A multipart/form-data body, fields first, in the order given (as curl -F sends them)."""
    boundary = "liuhen-test-7d1f"
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  f"{value}\r\n".encode())
    for filename, data in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                  f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                  .encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload(api, negotiation_id: int, files, fields=()):
    body, content_type = multipart(list(fields), files)
    stream = CountingStream(body)
    reply = api("POST", f"/negotiations/{negotiation_id}/evidence", input_stream=stream,
                content_type=content_type, content_length=len(body))
    return reply, stream


# --- Authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic b3duZXI6cHc=",
                                    "Bearer lh_wrong", "Token lh_x"])
def test_without_a_valid_token_the_answer_is_401_json(app, owner, token, header):
    headers = {} if header is None else {"Authorization": header}
    reply = app.test_client().get("/api/v1/negotiations", headers=headers)
    assert reply.status_code == 401
    assert reply.is_json and reply.json["error"] == "unauthorized" and reply.json["message"]
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_browser_session_is_not_enough(client):
    reply = client.get("/api/v1/negotiations")
    assert reply.status_code == 401 and reply.is_json


def test_a_revoked_token_is_refused(api, session, owner, token):
    assert api("GET", "/negotiations").status_code == 200
    [row] = session.exec(select(ApiToken)).all()
    revoke_token(session, row.id)
    reply = api("GET", "/negotiations")
    assert reply.status_code == 401 and "已被撤销" in reply.json["message"]  # zh by default


def test_messages_follow_the_accounts_language(api, session, owner):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    assert api("GET", "/negotiations/999").json["message"].startswith("未找到")
    owner.locale = "en"
    session.add(owner)
    session.commit()
    assert api("GET", "/negotiations/999").json["message"].startswith("Not found")


def test_while_the_vault_is_locked_the_answer_is_503(services, owner, token):
    locked = create_app(config=services.config)  # the data dir exists but is not unlocked
    reply = locked.test_client().get("/api/v1/negotiations",
                                     headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 503 and reply.json["error"] == "locked"
    assert "解锁" in reply.json["message"]


# --- Negotiations ------------------------------------------------------------------------------


def test_negotiations_lists_only_the_accounts_own(store, api, owner, negotiation, other_case):
    store(negotiation, owner)
    reply = api("GET", "/negotiations")
    assert reply.status_code == 200
    assert [(n["id"], n["creditor"], n["evidence_count"]) for n in reply.json] == [
        (negotiation.id, "信用飞", 1)]


def test_creating_a_negotiation_answers_201_with_where_it_is(api, session, owner):
    reply = api("POST", "/negotiations", json={"creditor": "网商贷", "principal": 12000.5,
                                                "overdue_since": "2024-11-01",
                                                "collection_agency": None})
    assert reply.status_code == 201, reply.json
    created = reply.json
    assert created["creditor"] == "网商贷" and created["principal"] == "12000.5"
    assert created["owner_id"] == owner.id and created["overdue_since"] == "2024-11-01"
    assert reply.headers["Location"] == f"/api/v1/negotiations/{created['id']}"
    fetched = api("GET", f"/negotiations/{created['id']}")
    assert fetched.status_code == 200 and fetched.json == created
    as_form = api("POST", "/negotiations", data={"creditor": "借呗", "currency": "cny"})
    assert as_form.status_code == 201 and as_form.json["currency"] == "CNY"


@pytest.mark.parametrize("body, problem", [
    ({"principal": "100"}, "creditor"),
    ({"creditor": "信用飞", "principal": "lots"}, "principal"),
    ({"creditor": "信用飞", "overdue_since": "2999-01-01"}, "overdue_since"),
])
def test_bad_negotiation_fields_are_400_and_name_the_field(api, session, body, problem):
    reply = api("POST", "/negotiations", json=body)
    assert reply.status_code == 400 and reply.json["error"] == "invalid"
    assert problem in reply.json["problems"] and reply.json["message"]
    assert api("GET", "/negotiations").json == []


@pytest.mark.parametrize("body", ['["信用飞"]', '{"creditor": ["a"]}', "{not json"])
def test_a_body_that_is_not_an_object_of_fields_is_400(api, body):
    reply = api("POST", "/negotiations", data=body, content_type="application/json")
    assert reply.status_code == 400 and reply.is_json and reply.json["message"]


# --- Evidence: upload --------------------------------------------------------------------------


def test_a_recording_is_streamed_in_with_its_details(api, session, services, negotiation,
                                                     testdata):
    data = (testdata / "audio/jfk.flac").read_bytes()
    name = "通话录音 13800138000 20241203_153012.flac"
    reply, stream = upload(api, negotiation.id, [(name, data)],
                           fields=[("direction", "from_them"), ("note", "催收员说下周再打来")])
    assert reply.status_code == 201, reply.json
    [result] = reply.json["results"]
    assert result["status"] == "stored" and result["file"] == name
    item = result["evidence"]
    assert item["sha256"] == hashlib.sha256(data).hexdigest() and item["size"] == len(data)
    assert item["direction"] == "from_them" and item["kind"] == "call"
    assert item["counterpart_number"] == "13800138000"  # read from the recorder's file name
    # Local in the negotiation's zone with its offset (was UTC with Z).
    assert item["occurred_at"] == "2024-12-03T15:30:12+08:00"
    assert reply.headers["Location"] == f"/api/v1/evidence/{result['id']}"
    # Read from the request stream in bounded pieces as intake asks, never all at once.
    assert sum(stream.reads) == len(stream.getvalue())
    assert len(data) > 4 * 256 * 1024 and max(stream.reads) <= 256 * 1024
    stored = session.get(Evidence, result["id"])
    assert stored.note == "催收员说下周再打来"
    assert data[1000:1064] not in services.blobs.path_for(stored.blob_id).read_bytes()


def test_fields_after_the_file_are_applied_and_logged(api, session, negotiation, testdata):
    """`curl -F file=@x -F direction=from_them` sends the field after the file: it must still
    count, as a logged correction of what was stored."""
    data = (testdata / "audio/jfk.flac").read_bytes()
    body, content_type = multipart([], [("call.flac", data)])
    trailer = (b'--liuhen-test-7d1f\r\nContent-Disposition: form-data; name="direction"\r\n\r\n'
               b'from_them\r\n--liuhen-test-7d1f\r\nContent-Disposition: form-data; '
               b'name="subject"\r\n\r\nx\r\n--liuhen-test-7d1f--\r\n')
    body = body.removesuffix(b"--liuhen-test-7d1f--\r\n") + trailer
    reply = api("POST", f"/negotiations/{negotiation.id}/evidence", data=body,
                content_type=content_type, headers={"Accept-Language": "en"})
    assert reply.status_code == 201, reply.json
    [result] = reply.json["results"]
    assert "subject must come before the file" in result["message"]
    stored = session.get(Evidence, result["id"])
    session.refresh(stored)
    assert stored.direction == "from_them"
    [edit] = session.exec(select(CustodyEvent).where(
        CustodyEvent.evidence_id == stored.id,
        CustodyEvent.action == CustodyAction.metadata_edit)).all()
    assert edit.details["changes"]["direction"] == {"old": "unknown", "new": "from_them"}


def test_the_same_recording_twice_is_409_with_the_existing_id(api, negotiation, testdata):
    data = (testdata / RECORDING).read_bytes()
    first, _ = upload(api, negotiation.id, [("a.wav", data)])
    again, _ = upload(api, negotiation.id, [("b.wav", data)])
    assert again.status_code == 409 and again.json["error"] == "duplicate"
    assert again.json["existing_id"] == first.json["results"][0]["id"]
    assert again.json["results"][0]["status"] == "duplicate"


def test_a_file_over_the_limit_is_413_and_nothing_is_kept(api, session, services, negotiation,
                                                          testdata, monkeypatch):
    small = dataclasses.replace(services.config.intake, max_file_mb=1)
    monkeypatch.setattr(services, "config", dataclasses.replace(services.config, intake=small))
    data = (testdata / "audio/jfk.flac").read_bytes()
    assert len(data) > 1024 * 1024
    reply, _ = upload(api, negotiation.id, [("jfk.flac", data)])
    assert reply.status_code == 413 and reply.json["error"] == "too_large"
    assert "intake.max_file_mb" in reply.json["message"]
    assert session.exec(select(Evidence)).all() == []
    assert list(services.blobs.ids()) == []


@pytest.mark.parametrize("files, fields, error", [
    ([], [("direction", "from_them")], "no_file"),
    ([("page.html", b"<html><script>alert(1)</script></html>")], [], "refused"),
    ([("empty.wav", b"")], [], "refused"),
    ([("x.wav", b"RIFF")], [("direction", "sideways")], "invalid"),
    ([("x.wav", b"RIFF")], [("occurred_at", "yesterday-ish")], "invalid"),
])
def test_bad_uploads_are_400_json_and_store_nothing(api, session, negotiation, files, fields,
                                                    error):
    reply, _ = upload(api, negotiation.id, files, fields)
    assert reply.status_code == 400 and reply.json["error"] == error and reply.json["message"]
    assert session.exec(select(Evidence)).all() == []


def test_an_upload_that_is_not_multipart_is_400(api, negotiation):
    reply = api("POST", f"/negotiations/{negotiation.id}/evidence", data=b"just bytes",
                content_type="application/octet-stream")
    assert reply.status_code == 400 and "multipart" in reply.json["message"]


def test_uploading_into_another_accounts_negotiation_is_404(api, session, other_case, testdata):
    reply, _ = upload(api, other_case.id, [("a.wav", (testdata / RECORDING).read_bytes())])
    assert reply.status_code == 404 and reply.is_json
    missing, _ = upload(api, 9999, [("a.wav", b"RIFF")])
    assert missing.status_code == 404 and missing.json == reply.json
    assert session.exec(select(Evidence)).all() == []


# --- Evidence: reading -------------------------------------------------------------------------


def test_evidence_is_the_same_json_as_liuhen_show(store, api, session, owner, negotiation):
    item = store(negotiation, owner)
    session.add(ExtractedText(evidence_id=item.id, source=TextSource.text, text="请在本月底前还款",
                              segments=[{"text": "请在本月底前还款"}]))
    session.commit()
    reply = api("GET", f"/evidence/{item.id}")
    assert reply.status_code == 200
    assert reply.json == evidence_detail(session, item, ZoneInfo("Asia/Shanghai"))
    assert reply.json["created_at"].endswith("+08:00")   # local, with its offset
    assert reply.json["texts"][0]["text"] == "请在本月底前还款"


def test_the_original_is_a_download_of_the_exact_bytes(api, session, owner, negotiation,
                                                        testdata):
    data = (testdata / RECORDING).read_bytes()
    stored, _ = upload(api, negotiation.id, [(RECORDER_NAME, data)])
    reply = api("GET", f"/evidence/{stored.json['results'][0]['id']}/original")
    assert reply.status_code == 200 and reply.data == data
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    assert int(reply.headers["Content-Length"]) == len(data)
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)) == RECORDER_NAME


def test_another_accounts_evidence_is_404_like_a_missing_one(store, api, session, other_user,
                                                             other_case):
    theirs = store(other_case, other_user)
    for path in (f"/evidence/{theirs.id}", f"/evidence/{theirs.id}/original",
                 f"/negotiations/{other_case.id}", f"/negotiations/{other_case.id}/timeline"):
        reply = api("GET", path)
        missing = api("GET", path.replace(str(theirs.id if "evidence" in path
                                              else other_case.id), "9999", 1))
        assert reply.status_code == 404 and reply.json == missing.json, path
        assert "别人" not in reply.get_data(as_text=True)


# --- Timeline ----------------------------------------------------------------------------------


# --- Search ------------------------------------------------------------------------------------


def test_search_finds_text_and_metadata_of_the_account_only(store, api, session, owner, negotiation,
                                                            other_user, other_case, testdata):
    mine = store(negotiation, owner)
    call, _ = upload(api, negotiation.id, [(RECORDER_NAME, (testdata / RECORDING).read_bytes())])
    call_id = call.json["results"][0]["id"]
    store(other_case, other_user, "theirs.txt", "我也要还款 13800138000")
    reply = api("GET", "/search", query_string={"q": "还款"})
    assert reply.status_code == 200
    [hit] = reply.json["results"]
    assert (hit["evidence_id"], hit["source"]) == (mine.id, "note")
    assert hit["url"] == f"/evidence/{mine.id}#note"
    by_number = api("GET", "/search", query_string={"q": "13800138000"}).json["results"]
    assert [(h["evidence_id"], h["source"]) for h in by_number] == [(call_id, "metadata")]
    assert by_number[0]["url"] == f"/evidence/{call_id}#details"
    assert {"text": "13800138000", "match": True} in by_number[0]["fragments"]
    assert "[13800138000]" in by_number[0]["snippet"]


def test_search_pages_and_errors(store, api, session, owner, negotiation, other_case):
    for n in range(3):
        store(negotiation, owner, f"n{n}.txt", f"第{n}次催收")
    first = api("GET", "/search", query_string={"q": "催收", "limit": 2}).json
    assert len(first["results"]) == 2 and first["next_offset"] == 2
    rest = api("GET", "/search", query_string={"q": "催收", "limit": 2, "offset": 2}).json
    assert len(rest["results"]) == 1 and rest["next_offset"] is None
    for bad in ({}, {"q": " "}, {"q": "x", "limit": 0}, {"q": "x", "offset": -1},
                {"q": "x", "limit": "ten"}):
        reply = api("GET", "/search", query_string=bad)
        assert reply.status_code == 400 and reply.json["error"] == "invalid", bad
    narrowed = api("GET", "/search", query_string={"q": "催收", "negotiation": other_case.id})
    assert narrowed.status_code == 404


# --- Tokens in Settings ------------------------------------------------------------------------


def test_settings_creates_a_token_shown_once_and_stored_hashed(client, session, owner, app):
    page = client.post("/settings/tokens", data={"name": "我的手机", "csrf_token": csrf(client)})
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    plaintext = re.search(r'value="(lh_[A-Za-z0-9_-]+)"', html).group(1)
    assert "/api/v1/negotiations/1/evidence" in html  # how to use it
    [row] = session.exec(select(ApiToken)).all()
    assert row.name == "我的手机" and row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert all(plaintext not in str(v) for v in row.model_dump().values())
    api = app.test_client(use_cookies=False)
    assert api.get("/api/v1/negotiations",
                   headers={"Authorization": f"Bearer {plaintext}"}).status_code == 200


def test_settings_lists_and_revokes_tokens(client, session, owner):
    token, plaintext = create_token(session, owner, "old phone")
    listing = client.get("/settings").get_data(as_text=True)
    assert 'data-testid="api-tokens"' in listing and "old phone" in listing
    assert token.prefix in listing and plaintext not in listing
    reply = client.post(f"/settings/tokens/{token.id}/revoke", data={"csrf_token": csrf(client)})
    assert reply.status_code == 302 and reply.headers["Location"].endswith("#api-tokens")
    session.refresh(token)
    assert token.revoked_at is not None


def test_settings_token_forms_need_csrf_and_a_name(client, session, owner):
    token, _ = create_token(session, owner, "phone")
    assert client.post("/settings/tokens", data={"name": "x"}).status_code == 400
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 400
    bad = client.post("/settings/tokens", data={"name": " ", "csrf_token": csrf(client)})
    assert bad.status_code == 302
    session.refresh(token)
    assert token.revoked_at is None and len(session.exec(select(ApiToken)).all()) == 1


def test_another_account_cannot_revoke_a_token(other_client, session, owner):
    token, _ = create_token(session, owner, "phone")
    reply = other_client.post(f"/settings/tokens/{token.id}/revoke",
                              data={"csrf_token": csrf(other_client)})
    assert reply.status_code == 404
    session.refresh(token)
    assert token.revoked_at is None
    assert "phone" not in other_client.get("/settings").get_data(as_text=True)

