"""Evidence bundles built from the real test inputs, checked file by file: the originals, the
texts, the evidence list, the manifest and its signature, the custody event, and what a failed
export leaves behind."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import select

from logger.bundles.items import BundleError, BundleGroup, select_items
from logger.bundles.signing import signing_key
from logger.bundles.verify import SIGNATURE_FILES
from logger.errors import NotFound
from logger.record import custody
from storage.models import CustodyAction, CustodyEvent
from tests.support.bundles import (DAY_CALL_LINES, GREEN_BUBBLE, NIGHT_CALL_TEXT, PARTY, WHITE_BUBBLE,
                            members, world)  # noqa: F401  (world is a fixture)

ZH_NAMES = {
    "email": "1-1_2024-12-01_电子邮件.eml",
    "night_call": "2-1_2024-12-03_通话录音_13800138000.wav",
    "white_chat": "3-1_2024-12-04_聊天记录截图.png",
    "green_chat": "3-2_2024-12-06_聊天记录截图.png",
    "day_call": "4-1_2024-12-05_通话录音_95188.wav",
    "letter": "5-1_2024-12-07_信件.jpg",
}
COLUMNS_ZH = ["序号", "证据名称", "证据来源", "证明目的", "形成时间", "页码/文件", "原件/复印件",
              "SHA-256"]


@pytest.fixture
def court(world, tmp_path):
    result = world.export(tmp_path / "court.zip")
    return result, members(result.path)


def test_every_original_is_there_byte_for_byte_under_its_exhibit_name(world, court):
    _, files = court
    for name, source in world.files.items():
        assert files[f"evidence/{ZH_NAMES[name]}"] == source.read_bytes(), name
    assert len([n for n in files if n.startswith("evidence/")]) == len(world.files)


def test_transcripts_have_time_codes_speakers_and_subtitles(court):
    _, files = court
    night = files["texts/2-1_2024-12-03_通话录音_13800138000.transcript.txt"].decode()
    assert "证据 2-1：2024-12-03 22:30 通话录音（13800138000）" in night
    assert f"[0:00:00.0 – 0:00:04.2] {NIGHT_CALL_TEXT}" in night
    day = files["texts/4-1_2024-12-05_通话录音_95188.transcript.txt"].decode()
    assert f"[0:00:00.5 – 0:00:02.2] 左声道：{DAY_CALL_LINES[0]}" in day
    assert f"[0:00:02.2 – 0:00:04.0] 右声道：{DAY_CALL_LINES[1]}" in day
    assert "已人工校对" in day  # the transcript was corrected by a person
    srt = files["texts/4-1_2024-12-05_通话录音_95188.transcript.srt"].decode()
    assert srt.startswith(f"1\n00:00:00,500 --> 00:00:02,250\n[left] {DAY_CALL_LINES[0]}\n\n"
                          f"2\n00:00:02,250 --> 00:00:04,000\n[right] {DAY_CALL_LINES[1]}\n")


def test_ocr_texts_name_the_side_and_time_of_each_message(world, court):
    _, files = court
    white = files["texts/3-1_2024-12-04_聊天记录截图.ocr.txt"].decode()
    assert f"对方：{WHITE_BUBBLE}" in white
    assert f"原件 SHA-256：{world.items['white_chat'].sha256}" in white
    green = files["texts/3-2_2024-12-06_聊天记录截图.ocr.txt"].decode()
    # Local time as the screenshot shows it, for people (never ISO or UTC).
    assert f"[2024-12-06 11:00] 本人：{GREEN_BUBBLE}" in green
    assert "时间均为当地时间（Asia/Shanghai, UTC+08:00）。" in green


def test_email_text_has_every_header_and_the_decoded_body(court):
    _, files = court
    text = files["texts/1-1_2024-12-01_电子邮件.email.txt"].decode()
    for header in ("From: Sender Name <sender@example.com>",
                   "To: Recipient Name <recipient@example.com>",
                   "Subject: Greeting in Chinese", "Date: Mon, 06 Mar 2023 19:47:06 +0200",
                   'Content-Type: text/plain; charset="gb2312"'):
        assert header in text
    assert "你好，我是程序员，很高兴认识你" in text  # the GB2312 body, decoded


def test_the_evidence_list_csv_has_the_columns_groups_purposes_and_hashes(world, court):
    result, files = court
    rows = list(csv.reader(io.StringIO(files["证据目录.csv"].decode("utf-8-sig"))))
    assert rows[0] == COLUMNS_ZH
    by_number = {row[0]: row for row in rows[1:]}
    assert list(by_number) == ["1-1", "2-1", "3-1", "3-2", "4-1", "5-1"]
    night = by_number["2-1"]
    assert night[1] == "2024-12-03 22:30 通话录音（13800138000）"
    assert night[2] == "本人手机通话录音；原文件名：BAC009S0764W0121.wav"
    assert night[3] == "证明催收方在22:00后致电"  # from the conduct rules' night-call finding
    # The CSV is read by machines: local time with its offset (the HTML and PDF lists, read by
    # people, say 2024-12-03 22:30).
    assert night[4] == "2024-12-03T22:30:00+08:00"
    assert night[6] == "原件（电子数据）"
    assert night[7] == world.items["night_call"].sha256
    assert by_number["3-1"][3] == by_number["3-2"][3] == "证明双方聊天沟通的内容"
    assert by_number["5-1"][6] == "复印件（照片，原件由本人保存）"
    manifest = json.loads(files["manifest.json"])
    pages = {item["exhibit"]: item["pages"] for item in manifest["items"]}
    for number, row in by_number.items():
        first, last = pages[number]
        span = str(first) if first == last else f"{first}–{last}"
        assert row[5] == f"第{span}页；evidence/{row[5].split('evidence/')[1]}"


def test_the_html_list_groups_rows_and_ends_with_the_signature_line(court):
    _, files = court
    html = files["证据目录.html"].decode()
    assert "<th>证明目的</th>" in html and "<th>SHA-256</th>" in html
    assert '<td rowspan="2">证明双方聊天沟通的内容</td>' in html
    assert f"提交人：{PARTY}" in html and "签名：" in html and "日期：" in html


def test_a_backup_list_has_no_signature_line_and_no_print_version(world, tmp_path):
    files = members(world.export(tmp_path / "backup.zip", purpose="backup").path)
    assert "签名：" not in files["证据目录.html"].decode()
    assert not any(name.endswith("打印版.pdf") or name.startswith("投诉信") for name in files)


def test_an_english_bundle_has_english_names_and_headings(world, tmp_path):
    files = members(world.export(tmp_path / "en.zip", language="en").path)
    assert "evidence/2-1_2024-12-03_call-recording_13800138000.wav" in files
    rows = list(csv.reader(io.StringIO(files["evidence-list.csv"].decode("utf-8-sig"))))
    assert rows[0] == ["No.", "Evidence", "Source", "What it proves", "Date formed",
                       "Pages / file", "Original / copy", "SHA-256"]
    assert rows[2][3] == "Shows the collector called after 22:00"
    assert "Submitted by: 张三" in files["evidence-list.html"].decode()
    transcript = files["texts/4-1_2024-12-05_call-recording_95188.transcript.txt"].decode()
    assert f"Left channel: {DAY_CALL_LINES[0]}" in transcript


def test_a_complaint_bundle_carries_the_draft_or_the_edited_letter(world, tmp_path):
    draft = members(world.export(tmp_path / "c1.zip", purpose="complaint").path)["投诉信.txt"]
    text = draft.decode()
    assert "投诉人：张三" in text and "被投诉机构：信用飞" in text
    assert "2024年12月3日 22:30 通话录音（对方发起，13800138000）" in text  # the timeline
    assert "08:00–22:00" in text  # the night-call finding, in the rule's words
    edited = "我修改过的投诉信。\n"
    files = members(world.export(tmp_path / "c2.zip", purpose="complaint", letter=edited).path)
    assert files["投诉信.txt"].decode() == edited
    assert files["投诉信.pdf"].startswith(b"%PDF")


def test_the_manifest_lists_every_file_with_its_hash_and_size(court):
    _, files = court
    manifest = json.loads(files["manifest.json"])
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files) - set(SIGNATURE_FILES)
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[path]).hexdigest(), path
        assert entry["size"] == len(files[path]), path


def test_the_manifest_records_intake_hashes_custody_and_the_chain_head(world, court):
    result, files = court
    manifest = json.loads(files["manifest.json"])
    session = world.session
    assert manifest["application"]["name"] == "liuhen" and manifest["application"]["version"]
    # Local, in the negotiation's zone, with its offset (was UTC with Z).
    assert manifest["created_at"].endswith("+08:00") and manifest["timezone"] == "Asia/Shanghai"
    export = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export)).one()
    head_before = session.get(CustodyEvent, export.seq - 1)
    assert manifest["custody_chain_head"] == {"seq": head_before.seq, "sha256": head_before.hash}
    for entry in manifest["items"]:
        item = next(e for e in world.items.values() if e.id == entry["evidence_id"])
        assert entry["sha256_at_intake"] == item.sha256
        assert datetime.fromisoformat(entry["intake_at"]) == item.created_at
        assert entry["intake_at"].endswith("+08:00")
        events = session.exec(select(CustodyEvent).where(CustodyEvent.evidence_id == item.id)
                              .order_by(CustodyEvent.seq)).all()
        assert [e["hash"] for e in entry["custody_events"]] == [e.hash for e in events]
        for listed, stored in zip(entry["custody_events"], events):
            body = {k: v for k, v in listed.items() if k != "hash"}
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False).encode()
            assert canonical == custody.canonical_bytes(
                seq=stored.seq, at=stored.at, actor_id=stored.actor_id, action=stored.action,
                negotiation_id=stored.negotiation_id, evidence_id=stored.evidence_id,
                details=stored.details, prev_hash=stored.prev_hash)
        assert entry["custody_events"][0]["details"]["sha256"] == item.sha256


def test_the_manifest_is_signed_by_this_data_dirs_key(world, court):
    result, files = court
    signature = json.loads(files["manifest.sig"])
    key = signing_key(world.services.vault, world.services.config.storage.data_dir)
    assert signature["fingerprint"] == key.fingerprint == result.fingerprint
    public = base64.b64decode(signature["public_key"])
    Ed25519PublicKey.from_public_bytes(public).verify(
        base64.b64decode(signature["signature"]), files["manifest.json"])
    assert json.loads(files["manifest.json"])["signing_key"]["fingerprint"] == key.fingerprint


def test_the_export_is_a_custody_event_that_names_the_manifest(world, court):
    result, files = court
    event = world.session.exec(select(CustodyEvent).order_by(CustodyEvent.seq.desc())).first()
    assert event.action == CustodyAction.export and event.seq == result.custody_seq
    assert event.negotiation_id == world.negotiation.id and event.actor_id == world.owner.id
    assert event.details["manifest_sha256"] == hashlib.sha256(files["manifest.json"]).hexdigest()
    assert event.details["items"]["2-1"] == world.items["night_call"].id
    assert custody.verify_chain(world.session)[1] == []


def test_a_failed_export_leaves_no_file_and_no_custody_event(world, tmp_path):
    out = tmp_path / "out" / "bundle.zip"
    out.parent.mkdir()
    out.write_bytes(b"an older bundle")
    blob = world.services.blobs.path_for(world.items["letter"].blob_id)
    data = bytearray(blob.read_bytes())
    data[-100] ^= 1  # one flipped bit in the last chunk
    blob.write_bytes(bytes(data))
    events_before = len(world.session.exec(select(CustodyEvent)).all())
    with pytest.raises(Exception, match="blob|chunk|authentic"):
        world.export(out)
    assert out.read_bytes() == b"an older bundle"
    assert sorted(p.name for p in out.parent.iterdir()) == ["bundle.zip"]
    assert len(world.session.exec(select(CustodyEvent)).all()) == events_before


def test_items_are_chosen_by_date_channel_or_hand(world):
    session, negotiation, tz = world.session, world.negotiation, world.tz
    chosen = select_items(session, negotiation, tz=tz, since=date(2024, 12, 3),
                          until=date(2024, 12, 5))
    assert [e.id for e in chosen] == [world.items[n].id
                                     for n in ("night_call", "white_chat", "day_call")]
    calls = select_items(session, negotiation, tz=tz, channels=["call"])
    assert {e.id for e in calls} == {world.items["night_call"].id, world.items["day_call"].id}
    chats = select_items(session, negotiation, tz=tz, channels=["chat"])
    assert {e.id for e in chats} == {world.items["white_chat"].id, world.items["green_chat"].id}
    picked = select_items(session, negotiation, tz=tz, ids=[world.items["letter"].id])
    assert [e.id for e in picked] == [world.items["letter"].id]
    with pytest.raises(NotFound, match="#9999"):
        select_items(session, negotiation, tz=tz, ids=[9999])


def test_hand_made_groups_and_purposes_become_the_numbering(world, tmp_path):
    ids = world.items
    groups = [BundleGroup("证明双方达成分期还款约定", [ids["day_call"].id]),
              BundleGroup("证明催收方深夜来电并发函", [ids["letter"].id, ids["night_call"].id])]
    files = members(world.export(tmp_path / "g.zip", groups=groups).path)
    rows = list(csv.reader(io.StringIO(files["证据目录.csv"].decode("utf-8-sig"))))[1:]
    assert [(r[0], r[3]) for r in rows] == [("1-1", "证明双方达成分期还款约定"),
                                           ("2-1", "证明催收方深夜来电并发函"),
                                           ("2-2", "证明催收方深夜来电并发函")]
    assert "evidence/2-2_2024-12-03_通话录音_13800138000.wav" in files


def test_groups_that_name_an_item_twice_or_nothing_are_refused(world, tmp_path):
    night = world.items["night_call"].id
    with pytest.raises(BundleError, match="in more than one group"):
        world.export(tmp_path / "x.zip", groups=[BundleGroup("a", [night]),
                                                 BundleGroup("b", [night])])
    with pytest.raises(BundleError, match="no items"):
        world.export(tmp_path / "x.zip", groups=[BundleGroup("a", [])])
    assert not (tmp_path / "x.zip").exists()


def test_the_zip_stores_originals_as_they_are(court):
    result, _ = court
    with zipfile.ZipFile(result.path) as archive:
        for info in archive.infolist():
            expected = zipfile.ZIP_STORED if info.filename.startswith("evidence/") \
                else zipfile.ZIP_DEFLATED
            assert info.compress_type == expected, info.filename


def test_a_call_with_an_agreed_instalment_plan_is_prefilled_and_in_the_letter(world):
    from logger.bundles.letter import draft_letter
    from logger.promises.promises import InstalmentTerms, PromiseSource, add_plan
    from storage.models.promises import PromiseParty
    tz, call = world.tz, world.items["day_call"]
    add_plan(world.session, negotiation=world.negotiation, actor=world.owner,
             party=PromiseParty.them, tz=tz,
             instalments=[InstalmentTerms(datetime(2025, 1, 15, 23, 59, tzinfo=tz),
                                          Decimal("1000")),
                          InstalmentTerms(datetime(2025, 2, 15, 23, 59, tzinfo=tz),
                                          Decimal("1000"))],
             source=PromiseSource(evidence_id=call.id, quote=DAY_CALL_LINES[1]))
    groups = world.groups()
    assert BundleGroup("证明双方达成分期还款约定", [call.id]) in groups
    letter = draft_letter(world.session, world.negotiation, language="zh", tz=tz, party=PARTY,
                          today=date(2024, 12, 20))
    assert "对方承诺分期还款方案 人民币 2,000.00 元，分 2 期" in letter  # no date, no state
    assert "2025年1月15日 23:59 本人承诺还款 人民币 1,000.00 元（第1期）——尚未到期" in letter
