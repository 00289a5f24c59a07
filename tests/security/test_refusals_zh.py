"""Refusals are shown in the reader's language (issue 19, item 9): with the Chinese UI, a domain
refusal (an upload refused for its type, its size or a bad date; a duplicate; a call log that
cannot be read; a bad payment amount) reads in Chinese on the page, in the page's JSON and in
the API, and the English the domain raised (the CLI's message) is not shown."""

from __future__ import annotations

import dataclasses
import io

import pytest

from logger.tokens import create_token
from tests.support.uploads import CONTENT_TYPE, multipart, post_files
from tests.support.web import csrf, new_browser, page_text, post_form, sign_in

PROGRAM = b"MZ" + bytes(200)
NOTE = "我下周三前还五千。".encode()


@pytest.fixture
def chinese(app, session, owner):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    return sign_in(new_browser(app, language="zh"), "owner", "owner-password")


@pytest.fixture
def api(app, session, owner):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    token = create_token(session, owner, "phone")[1]
    client = app.test_client(use_cookies=False)

    def post(path: str, **kw):
        return client.post(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kw)
    return post


def no_english(text: str, *english: str) -> None:
    for words in english:
        assert words not in text, f"{words!r} is shown in the Chinese UI: {text}"


def test_a_file_of_a_refused_type_is_explained_in_chinese(chinese, negotiation):
    page = page_text(post_files(chinese, negotiation.id, [("invoice.pdf.exe", PROGRAM)],
                                as_json=False))
    assert "Windows 程序" in page and "留痕接受的文件有" in page and "程序文件一律不能作为证据" in page
    no_english(page, "is a Windows program", "Liuhen accepts", "Programs are never accepted")
    [result] = post_files(chinese, negotiation.id, [("invoice.exe", PROGRAM)]).get_json()[
        "results"]
    assert "Windows 程序" in result["detail"]
    no_english(result["detail"] + result["message"], "is a Windows program", "Liuhen accepts")


def test_an_empty_file_is_explained_in_chinese(chinese, negotiation):
    page = page_text(post_files(chinese, negotiation.id, [("call.m4a", b"")], as_json=False))
    assert "是空文件" in page or "文件是空的" in page
    no_english(page, "is empty", "nothing to keep")


def test_a_bad_date_sent_with_a_file_is_explained_in_chinese(chinese, negotiation):
    reply = post_files(chinese, negotiation.id, [("note.txt", NOTE)], as_json=False,
                       fields={"occurred_at": "上周五下午"})
    assert reply.status_code == 400
    page = page_text(reply)
    assert "上传被拒绝" in page and "不是 2024-12-03T15:30 这样的日期和时间" in page
    assert "之前发送的一个字段有误" in page
    no_english(page, "is not a date", "a field sent before", "were not stored")
    reply = post_files(chinese, negotiation.id, [("note.txt", NOTE)],
                       fields={"channel": "pigeon"})
    assert "不是以下之一" in reply.get_json()["error"]
    no_english(reply.get_json()["error"], "is not one of", "a field sent before")


def test_a_body_that_is_not_multipart_is_refused_in_chinese(chinese, negotiation):
    reply = chinese.post(f"/negotiations/{negotiation.id}/upload", data=b"x",
                         content_type="text/plain",
                         headers={"Accept": "application/json", "X-CSRFToken": csrf(chinese)})
    assert reply.status_code == 400
    assert "multipart/form-data 格式" in reply.get_json()["error"]
    no_english(reply.get_json()["error"], "must be sent as")


def test_the_api_refuses_in_the_accounts_language(api, services, negotiation, monkeypatch):
    path = f"/negotiations/{negotiation.id}/evidence"
    refused = api(path, data=multipart([("invoice.exe", PROGRAM)]), content_type=CONTENT_TYPE)
    assert refused.status_code == 400 and "Windows 程序" in refused.json["message"]
    no_english(refused.json["message"], "is a Windows program")
    stored = api(path, data=multipart([("note.txt", NOTE)]), content_type=CONTENT_TYPE)
    assert stored.status_code == 201
    again = api(path, data=multipart([("again.txt", NOTE)]), content_type=CONTENT_TYPE)
    assert again.status_code == 409 and "已是本协商中的证据" in again.json["message"]
    no_english(again.json["message"], "is already evidence")
    small = dataclasses.replace(services.config.intake, max_file_mb=1)
    monkeypatch.setattr(services, "config", dataclasses.replace(services.config, intake=small))
    big = api(path, data=multipart([("big.txt", NOTE * 200_000)]), content_type=CONTENT_TYPE)
    assert big.status_code == 413 and "超过了 1 MB 的上限" in big.json["message"]
    assert "intake.max_file_mb" in big.json["message"]   # the setting's name stays as it is
    no_english(big.json["message"], "is larger than the limit")


def test_a_call_log_that_cannot_be_read_is_explained_in_chinese(chinese, negotiation):
    def import_calls(data: bytes, **fields):
        return chinese.post(f"/negotiations/{negotiation.id}/findings/calllog",
                            data={"csrf_token": csrf(chinese), **fields,
                                  "file": (io.BytesIO(data), "calls.csv")},
                            content_type="multipart/form-data")
    reply = import_calls(b"when,who\n2024-12-05,95188\n", numbers="95188")
    assert reply.status_code == 400
    page = page_text(reply)
    assert "通话记录没有导入" in page and "不是留痕能读取的通话记录" in page
    no_english(page, "not a call log Liuhen reads", "a CSV needs the header")
    rows = (b"number,name,start,duration_seconds,type\n"
            b"95188,,2024-12-05 09:00:00,0,missed\n"
            b"95188,,yesterday,abc,shouted\n")
    page = page_text(import_calls(rows, numbers="95188"))
    assert "请改正以下问题后重新导入" in page and "第 3 行" in page
    no_english(page, "fix these", "line 3", "is not one of incoming")


def test_a_bad_payment_amount_is_explained_in_chinese(chinese, negotiation):
    reply = post_form(chinese, f"/negotiations/{negotiation.id}/payments",
                      {"amount": "three thousand", "paid_date": "2024-13-45"})
    page = page_text(reply)
    assert "请用数字填写大于 0 的金额" in page and "请按 2024-12-15 这样的格式填写日期" in page
    no_english(page, "Write an amount", "Write a date")


def test_a_bundle_with_no_items_is_explained_in_chinese(chinese, negotiation):
    reply = post_form(chinese, f"/negotiations/{negotiation.id}/bundle",
                      {"purpose": "backup", "lang": "zh"})
    assert reply.status_code == 400
    page = page_text(reply)
    assert "证据包里没有任何材料" in page
    no_english(page, "The bundle has no items", "the bundle has no items")
