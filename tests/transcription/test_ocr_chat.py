"""Chat screenshots drawn at test time (tests/chat_images.py) with known speakers and stamps,
imported as evidence and read by the OCR job: who said what, and when; then two overlapping
screenshots of one scrolled conversation merged (logger.extract.chat_merge)."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.support.chat_images import (Message, Placed, Stamp, between_lines, chat_height, conversation,
                         png_bytes, screenshot)
from logger.extract.chat_merge import merge_conversations
from transcription.chinese import cer

SHANGHAI = ZoneInfo("Asia/Shanghai")
TITLE = "信用飞客服"
# What each stamp means for a screenshot taken on Friday 2026-11-20 at 22:05 (Shanghai).
CHAT = [
    Stamp("2026年11月10日 10:02"),
    Message("them", "您好，这里是信用飞贷后管理中心，您的借款已经逾期三十二天，请尽快处理。"),
    Message("me", "我知道，最近生病住院了，收入中断。"),
    Stamp("星期二 14:05"),
    Message("them", "请问您什么时候可以还款？逾期会影响您的征信记录。"),
    Message("me", "我想申请分期还款，每个月还一千元，分十二个月还清，可以吗？"),
    Message("them", "您的申请我们已经提交审核，结果会在三个工作日内通知您。"),
    Stamp("昨天 21:47"),
    Message("them", "审核通过了，首期一千元请在本月二十五日前还款。"),
    Message("me", "好的，谢谢"),
    Stamp("下午9:47"),
    Message("me", "请问减免的罚息会在账单上体现吗？我想要一份书面的还款协议。"),
    Message("them", "会的，协议稍后发送到您的邮箱，请注意查收。"),
]
STAMP_TIMES = {"2026年11月10日 10:02": datetime(2026, 11, 10, 10, 2),
               "星期二 14:05": datetime(2026, 11, 17, 14, 5),
               "昨天 21:47": datetime(2026, 11, 19, 21, 47),
               "下午9:47": datetime(2026, 11, 20, 21, 47)}
MORE = [
    Message("me", "收到了，我会按时还款。另外想确认一下，协议里会写明停止催收吗？"),
    Message("them", "协议里会注明，在您按期还款期间不会再有催收电话。"),
    Message("me", "明白了"),
    Message("them", "如有其他问题，请随时联系我们的客服热线。"),
]


@pytest.fixture
def negotiation_id(cli) -> int:
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    out = cli("negotiation", "add", "--creditor", "信用飞", "--language", "zh", "--json")
    return json.loads(out.stdout)["id"]


def expected_messages(items) -> list[tuple[str, datetime | None, str]]:
    """(side, local time, text) of each message, in order."""
    current, messages = None, []
    for item in items:
        if isinstance(item, Stamp):
            current = STAMP_TIMES[item.text].replace(tzinfo=SHANGHAI)
        else:
            messages.append((item.side, current, item.text))
    return messages


def local(iso_time: str | None) -> datetime | None:
    return datetime.fromisoformat(iso_time).astimezone(SHANGHAI) if iso_time else None


def read_screenshots(cli, negotiation_id, tmp_path, shots, *options) -> list[tuple[int, list]]:
    """Import the screenshots, run the jobs, return (evidence id, OCR segments) of each."""
    paths = []
    for index, shot in enumerate(shots):
        paths.append(tmp_path / f"Screenshot_{index}.png")
        paths[-1].write_bytes(png_bytes(shot))
    out = cli("import", "--negotiation", negotiation_id, *options, *paths, "--json")
    assert out.exit_code == 0, out.output
    ids = [row["id"] for row in json.loads(out.stdout)]
    run = cli("transcribe", "--wait", "--json")
    assert run.exit_code == 0, run.output
    result = []
    for evidence_id in ids:
        shown = json.loads(cli("show", evidence_id, "--json").stdout)
        assert shown["kind"] == "chat"
        [text] = [t for t in shown["texts"] if t["source"] == "ocr"]
        assert text["text"] == "\n".join(s["text"] for s in text["segments"])
        result.append((evidence_id, text["segments"]))
    return result


def showing(placed: Placed, windows: dict[int, tuple[int, int]]) -> list[int]:
    """The screenshots (evidence ids) whose window (top, end on the canvas) shows this item."""
    return [evidence_id for evidence_id, (top, end) in windows.items()
            if placed.top < end and placed.bottom > top]


def assert_messages(read: list[dict], expected: list[tuple]) -> None:
    assert [(m["side"], local(m["time"])) for m in read] == [(s, t) for s, t, _ in expected]
    for message, (_, _, text) in zip(read, expected, strict=True):
        assert cer(text, message["text"]) <= 0.1, (text, message["text"])


@pytest.mark.slow
def test_a_chat_screenshot_gives_sides_times_and_texts(cli, negotiation_id, tmp_path):
    """A long screenshot (taller than 2.4 widths: read in overlapping windows)."""
    canvas, _ = conversation(CHAT)
    shot = screenshot(canvas, 0, height=canvas.height + 2340 - chat_height())
    assert shot.height > 2.4 * shot.width
    [(evidence_id, segments)] = read_screenshots(cli, negotiation_id, tmp_path, [shot],
                                                 "--occurred-at", "2026-11-20T22:05")
    title, *messages = segments
    assert (title["side"], title["time"], title["text"]) == (None, None, TITLE)
    # Issue 13: the title is marked as such, every other segment is a message.
    assert title["kind"] == "title" and {m["kind"] for m in messages} == {"message"}
    assert_messages(messages, expected_messages(CHAT))   # no stamp, clock or battery among them
    assert all(len(m["box"]) == 4 for m in segments)
    hits = json.loads(cli("search", "征信", "--json").stdout)
    assert [(h["evidence_id"], h["source"]) for h in hits] == [(evidence_id, "ocr")]


@pytest.mark.slow
def test_relative_stamps_without_a_screenshot_time_give_no_time(cli, negotiation_id, tmp_path):
    """Issue 13: "昨天 21:47" counts from when the screenshot was taken; with no time for it
    (no date in its name, no EXIF, nobody said), the stamp gives no time, never one counted
    from the upload. A stamp with its own date still does. (This test used to expect times
    counted from the upload day.)"""
    canvas, _ = conversation([Stamp("2026年11月10日 10:02"), Message("them", "您的借款已经逾期"),
                              Stamp("昨天 21:47"), Message("them", "请问今天能还款吗？"),
                              Stamp("21:47"), Message("me", "今天还不了，明天一定还")])
    [(evidence_id, segments)] = read_screenshots(cli, negotiation_id, tmp_path,
                                                 [screenshot(canvas, 0)])
    shown = json.loads(cli("show", evidence_id, "--json").stdout)
    assert [(m["side"], local(m["time"])) for m in segments[1:]] == [
        ("them", datetime(2026, 11, 10, 10, 2, tzinfo=SHANGHAI)), ("them", None), ("me", None)]
    # The last stamp is not known: neither is when the conversation happened.
    assert shown["occurred_at"] is None and shown["occurred_at_source"] is None


@pytest.mark.slow
def test_overlapping_screenshots_of_a_scrolled_chat_merge(cli, negotiation_id, tmp_path):
    """The first screen ends inside a bubble (after its first line), the second begins inside
    an earlier one of the user's, showing only its short last line (its text alone sits on the
    left half; the green around it says it is the user's); the merge shows every message once,
    with its time and the screenshots that show it."""
    items = CHAT + MORE
    canvas, placed = conversation(items)
    chrome = 2340 - chat_height()   # status, title and input bars
    first_top, first_end = placed[3].top - 12, between_lines(placed[13], 1)
    second_top, second_end = between_lines(placed[5], 2), placed[15].top - 10
    shots = [screenshot(canvas, top, height=end - top + chrome)
             for top, end in ((first_top, first_end), (second_top, second_end))]
    (first_id, first), (second_id, second) = read_screenshots(
        cli, negotiation_id, tmp_path, shots, "--occurred-at", "2026-11-20T22:05")

    merged = merge_conversations([(second_id, second), (first_id, first)])   # any order
    title, *messages = merged
    assert (title["text"], sorted(title["sources"])) == (TITLE, sorted([first_id, second_id]))
    windows = {first_id: (first_top, first_end), second_id: (second_top, second_end)}
    shown = [(index, showing(placed[index], windows)) for index, item in enumerate(items)
             if isinstance(item, Message) and showing(placed[index], windows)]
    times = {text: time for _, time, text in expected_messages(items)}
    assert len(messages) == len(shown) == 9, [m["text"] for m in messages]
    for message, (index, sources) in zip(messages, shown, strict=True):
        item = items[index]
        assert (message["side"], local(message["time"])) == (item.side, times[item.text])
        assert cer(item.text, message["text"]) <= 0.1, (item.text, message["text"])
        assert sorted(message["sources"]) == sorted(sources), (item.text, message["sources"])
