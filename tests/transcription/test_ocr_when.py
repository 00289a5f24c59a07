"""The time of a chat screenshot read from its stamps by the OCR job (issue 13): relative stamps
count from when the screenshot was taken (its file name, EXIF or a person's time), never from
the upload; the last stamp becomes the item's time as its content, above the file name, never
above a person's; what the job fills in is in the custody history.

The OCR engine is replaced by a perfect reader of the drawn screenshot (the text
tests/support/chat_images.py drew, where it drew it), so these tests are about time alone."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import transcription.jobs.ocr as ocr_job
from storage.models import CustodyEvent
from tests.support.chat_images import (Message, Stamp, conversation, drawn_lines, phone_screen,
                                       png_bytes)
from tests.support.intake import import_files, make_world, run_jobs, show
from transcription.ocr.reader import TextLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHAT = [Stamp("2026年11月10日 10:02"), Message("them", "您的借款已经逾期三十二天"),
        Stamp("昨天 21:47"), Message("them", "请问今天能还款吗？"),
        Stamp("21:47"), Message("me", "今天还不了，明天一定还")]


class PerfectReader:
    """Stands in for OcrEngine: gives back the lines drawn on the screenshot."""

    name, model = "perfect-reader", "test"
    lines: list[TextLine] = []

    def read(self, image, *, progress=None):
        return list(PerfectReader.lines)


@pytest.fixture
def world(cli, monkeypatch) -> int:
    monkeypatch.setattr(ocr_job, "OcrEngine", PerfectReader)
    return make_world(cli)


def screenshot_file(tmp_path, name: str, items) -> str:
    canvas, placed = conversation(items)
    screen = phone_screen(canvas, 0)
    PerfectReader.lines = [TextLine(box, text, 1.0) for box, text in drawn_lines(screen, placed)]
    path = tmp_path / name
    path.write_bytes(png_bytes(screen.image))
    return path


def read(cli, world, path, *options) -> tuple[dict, list[dict]]:
    [item] = import_files(cli, world, *options, path)
    run_jobs(cli)
    shown = show(cli, item)
    [text] = [t for t in shown["texts"] if t["source"] == "ocr"]
    return shown, [s for s in text["segments"] if s["time"] or s["side"]]


def local(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(SHANGHAI) \
        if iso else None


def times(segments: list[dict]) -> list[datetime | None]:
    return [local(s["time"]) for s in segments if s["text"] in
            {m.text for m in CHAT if isinstance(m, Message)}]


def test_stamps_count_from_the_time_in_the_file_name(cli, world, tmp_path, services_for):
    path = screenshot_file(tmp_path, "Screenshot_20261120-220500_WeChat.png", CHAT)
    shown, segments = read(cli, world, path)
    assert times(segments) == [datetime(2026, 11, 10, 10, 2, tzinfo=SHANGHAI),
                               datetime(2026, 11, 19, 21, 47, tzinfo=SHANGHAI),
                               datetime(2026, 11, 20, 21, 47, tzinfo=SHANGHAI)]
    # The last stamp, not the capture time of the name: when the conversation happened.
    assert (shown["occurred_at"], shown["occurred_at_source"],
            shown["occurred_at_precision"]) == ("2026-11-20T21:47:00+08:00", "content", "minute")
    with services_for() as services, services.session() as session:
        [edit] = session.exec(select(CustodyEvent).where(
            CustodyEvent.evidence_id == shown["id"],
            CustodyEvent.action == "metadata_edit")).all()
    assert edit.details == {"by": "ocr job", "changes": {
        "occurred_at": {"old": "2026-11-20T14:05:00Z", "new": "2026-11-20T13:47:00Z"},
        "occurred_at_source": {"old": "file_name", "new": "content"}}}


def test_a_date_only_name_resolves_the_days_of_the_stamps(cli, world, tmp_path):
    path = screenshot_file(tmp_path, "微信截图_20261120.png", CHAT)
    shown, segments = read(cli, world, path)
    assert times(segments)[1:] == [datetime(2026, 11, 19, 21, 47, tzinfo=SHANGHAI),
                                   datetime(2026, 11, 20, 21, 47, tzinfo=SHANGHAI)]
    assert (shown["occurred_at"], shown["occurred_at_source"]) == ("2026-11-20T21:47:00+08:00",
                                                                   "content")


def test_without_a_screenshot_time_only_dated_stamps_give_a_time(cli, world, tmp_path):
    shown, segments = read(cli, world, screenshot_file(tmp_path, "chat.png", CHAT))
    assert times(segments) == [datetime(2026, 11, 10, 10, 2, tzinfo=SHANGHAI), None, None]
    assert shown["occurred_at"] is None  # the last stamp could not be read: unknown

    dated = CHAT[:4] + [Stamp("2026年11月19日 21:50"), Message("me", "今天还不了，明天一定还")]
    shown, segments = read(cli, world, screenshot_file(tmp_path, "chat2.png", dated))
    assert (shown["occurred_at"], shown["occurred_at_source"]) == ("2026-11-19T21:50:00+08:00",
                                                                   "content")


def test_a_persons_time_is_kept_and_counts_as_when_the_screenshot_was_taken(cli, world,
                                                                             tmp_path):
    path = screenshot_file(tmp_path, "chat.png", CHAT)
    shown, segments = read(cli, world, path, "--occurred-at", "2026-11-20T22:05")
    assert times(segments)[2] == datetime(2026, 11, 20, 21, 47, tzinfo=SHANGHAI)
    assert (shown["occurred_at"], shown["occurred_at_source"]) == ("2026-11-20T22:05:00+08:00",
                                                                   "person")


def test_a_stamp_later_than_the_screenshot_is_a_misreading(cli, world, tmp_path):
    late = CHAT[:4] + [Stamp("2026年11月21日 09:00"), Message("me", "今天还不了，明天一定还")]
    path = screenshot_file(tmp_path, "Screenshot_20261120-220500_WeChat.png", late)
    shown, _ = read(cli, world, path)
    assert (shown["occurred_at"], shown["occurred_at_source"]) == ("2026-11-20T22:05:00+08:00",
                                                                   "file_name")


def test_json_of_the_item_says_where_its_time_came_from(cli, world, tmp_path):
    path = screenshot_file(tmp_path, "IMG_20261120_220500.png", CHAT)
    [item] = import_files(cli, world, path)
    listed = json.loads(cli("evidence", "list", "--negotiation", world, "--json").stdout)
    assert [(e["id"], e["occurred_at_source"], e["occurred_at_precision"]) for e in listed] == [
        (item, "file_name", "minute")]
