"""Every time a bundle shows or exports is local, in the negotiation's zone (issue 13): for people
"2026-11-20 21:47" (texts, the list in HTML and PDF, the print version, the letter), for machines
ISO 8601 with the offset (the CSV, the manifest); never UTC with a Z. Values known only to the
day are their date."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlmodel import select

from logger.conduct.contact_entries import add_contact_entry
from logger.conduct.report import configure_conduct
from logger.promises.due import date_only_due
from logger.promises.promises import PromiseTerms, add_promise
from storage.models import Channel, ExtractedText
from storage.models.promises import PromiseKind, PromiseParty
from storage.models.types import TimePrecision
from tests.support.bundles import members, world  # noqa: F401

# The example: a chat line stored in UTC, shown on the screenshot as 21:47 (Shanghai).
STORED_UTC = "2026-11-20T13:47:00Z"


@pytest.fixture
def chat_in_utc(world):
    """The white screenshot's message with its time stored as UTC, as the OCR job stores it."""
    text = world.session.exec(select(ExtractedText).where(
        ExtractedText.evidence_id == world.items["white_chat"].id)).one()
    text.segments = [{**text.segments[0], "time": STORED_UTC}]
    world.session.add(text)
    world.session.commit()
    return world


def export(world, tmp_path, purpose="court"):
    return members(world.export(tmp_path / f"{purpose}.zip", purpose=purpose).path)


def test_ocr_lines_show_the_local_time_the_screenshot_shows(chat_in_utc, tmp_path):
    files = export(chat_in_utc, tmp_path)
    text = files["texts/3-1_2024-12-04_聊天记录截图.ocr.txt"].decode()
    assert "[2026-11-20 21:47] 对方：" in text
    assert "13:47" not in text and "Z]" not in text
    assert "时间均为当地时间（Asia/Shanghai, UTC+08:00）。" in text


def test_a_transcript_says_when_the_recording_began_in_local_time(world, tmp_path):
    files = export(world, tmp_path)
    night = files["texts/2-1_2024-12-03_通话录音_13800138000.transcript.txt"].decode()
    assert "录音开始时间：2024-12-03 22:30（当地时间，Asia/Shanghai, UTC+08:00）。" in night
    srt = files["texts/2-1_2024-12-03_通话录音_13800138000.transcript.srt"].decode()
    assert "Z" not in srt   # positions in the recording, no wall-clock times at all


def test_the_list_is_local_for_people_and_iso_with_offset_for_machines(world, tmp_path):
    files = export(world, tmp_path)
    rows = {r[0]: r for r in csv.reader(io.StringIO(files["证据目录.csv"].decode("utf-8-sig")))}
    assert rows["2-1"][4] == "2024-12-03T22:30:00+08:00"
    assert rows["1-1"][4] == "2024-12-01T09:00:00+08:00"
    html = files["证据目录.html"].decode()
    assert "<td>2024-12-03 22:30</td>" in html and "+08:00" not in html
    pdf_text = "".join(page.extract_text() for page in
                       PdfReader(io.BytesIO(files["证据目录.pdf"])).pages)
    assert "2024-12-03 22:30" in pdf_text and "14:30" not in pdf_text   # not its UTC time


def test_the_print_version_shows_message_times_as_local(chat_in_utc, tmp_path):
    files = export(chat_in_utc, tmp_path)
    pdf_text = "".join(page.extract_text() for page in
                       PdfReader(io.BytesIO(files["证据材料_打印版.pdf"])).pages)
    assert "2026-11-20 21:47" in pdf_text and STORED_UTC not in pdf_text


def test_the_manifest_times_carry_the_local_offset(world, tmp_path):
    manifest = json.loads(export(world, tmp_path)["manifest.json"])
    assert manifest["timezone"] == "Asia/Shanghai"
    assert manifest["created_at"].endswith("+08:00")
    night = next(i for i in manifest["items"] if i["exhibit"] == "2-1")
    assert night["occurred_at"] == "2024-12-03T22:30:00+08:00"
    assert datetime.fromisoformat(night["intake_at"]) == world.items["night_call"].created_at
    assert night["intake_at"].endswith("+08:00")


def test_the_negotiations_own_zone_is_used_throughout(world, tmp_path):
    configure_conduct(world.session, world.negotiation, actor=world.owner,
                      default_zone=world.tz, timezone="America/New_York")
    files = export(world, tmp_path)
    rows = {r[0]: r for r in csv.reader(io.StringIO(files["证据目录.csv"].decode("utf-8-sig")))}
    assert rows["2-1"][4] == "2024-12-03T09:30:00-05:00"   # 22:30 in Shanghai
    manifest = json.loads(files["manifest.json"])
    assert manifest["timezone"] == "America/New_York"
    assert manifest["created_at"][-6:] in ("-05:00", "-04:00")


def test_the_letter_writes_local_times_and_dates_without_a_clock(world, tmp_path):
    tz = world.tz
    add_promise(world.session, negotiation=world.negotiation, actor=world.owner, tz=tz,
                terms=PromiseTerms(PromiseParty.me, PromiseKind.payment, Decimal("1000"),
                                   due_at=date_only_due(datetime(2025, 1, 15).date(), tz),
                                   due_precision=TimePrecision.day))
    add_contact_entry(world.session, negotiation=world.negotiation, actor=world.owner,
                      occurred_at=datetime(2024, 12, 8, 12, 0, tzinfo=tz),
                      occurred_precision=TimePrecision.day, channel=Channel.visit,
                      description="两个人上门")
    letter = export(world, tmp_path, purpose="complaint")["投诉信.txt"].decode()
    assert "2025年1月15日 本人承诺还款 人民币 1,000.00 元" in letter   # not 23:59
    assert "2024年12月8日 上门：两个人上门" in letter                  # not 12:00
    assert "2024年12月3日 22:30 通话录音" in letter
