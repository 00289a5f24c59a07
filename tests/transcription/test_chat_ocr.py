"""Chat screenshots drawn at test time and read by the real OCR engine: every bubble's side
(full-width bubbles, light and dark mode), the bars kept out of the messages, and two
overlapping screenshots of one scrolled conversation merged in either upload order. Three
images, each read once per run (the engine is slow on small machines)."""

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from logger.extract.chat_merge import merge_conversations
from tests.support.chat_images import (DARK, Message, Stamp, Style, chat_height, conversation,
                                       drawn_lines, phone_screen)
from transcription.chinese import cer
from transcription.ocr.chat_layout import chat_segments
from transcription.ocr.reader import OcrEngine

pytestmark = pytest.mark.slow

SHANGHAI = ZoneInfo("Asia/Shanghai")
TAKEN = datetime(2024, 12, 6, 22, 5, tzinfo=SHANGHAI)
TITLE = "信用飞客服"
CHAT = [
    Stamp("2024年12月3日 下午3:05"),
    Message("them", "您好，这里是信用飞贷后管理中心，您的借款已经逾期三十二天，请尽快处理。"),
    Message("me", "我知道，最近生病住院了，收入中断，想申请分期还款，每个月还一千元可以吗？"),
    Stamp("昨天 21:47"),
    Message("them", "您的申请我们已经提交审核，结果会在三个工作日内通知您。"),
    Message("me", "好的"),
    Message("them", "首期一千元请在本月二十五日前还款，之后每月二十五日还款一千元，共十二期。"),
    Stamp("星期一 09:05"),
    Message("me", "收到了，我会按时还款。另外想确认一下，协议里会写明停止催收吗？"),
    Message("them", "协议里会注明，在您按期还款期间不会再有催收电话。"),
    Stamp("21:47"),
    Message("me", "请不要再联系我的家人和同事，这已经影响到我的正常生活了。"),
    Message("them", "好的，我帮您备注一下"),
    Message("me", "我下个月10号发工资，到时候一次性还2000元。"),
]
TIMES = {"2024年12月3日 下午3:05": datetime(2024, 12, 3, 15, 5), "昨天 21:47":
         datetime(2024, 12, 5, 21, 47), "星期一 09:05": datetime(2024, 12, 2, 9, 5),
         "21:47": datetime(2024, 12, 6, 21, 47)}
PHONES = {"light-750": (Style(width=750, initials=("赵", "我")), 1334),
          "dark-1080": (Style(width=1080, theme=DARK, divider=False), 2340)}


@cache
def screen(name: str, top_share: float = 0.0, end_share: float = 1.0):
    """(screen, placed) of a screenshot of CHAT on the phone `name`, showing the canvas from
    `top_share` of its scrollable height."""
    style, height = PHONES[name]
    canvas, placed = conversation(CHAT, style=style)
    visible = chat_height(height, style.width)
    top = round(top_share * max(0, canvas.height - visible))
    shot = phone_screen(canvas, top, height=height, title=TITLE, style=style,
                        back_label="微信(3)", draft="好的我明天" if top_share else None)
    return shot, placed


@cache
def segments(name: str, top_share: float = 0.0) -> list[dict]:
    shot, _ = screen(name, top_share)
    return chat_segments(OcrEngine().read(shot.image), shot.image, reference=TAKEN)


def drawn_message(shot, placed, box) -> tuple[int, Message] | None:
    """The message whose bubble the segment's box lies in (None: a bar, a stamp...)."""
    middle_x, middle_y = (box[0] + box[2]) / 2, shot.on_canvas((box[1] + box[3]) / 2)
    if not shot.chat_top < (box[1] + box[3]) / 2 < shot.chat_bottom:
        return None
    for index, item in enumerate(placed):
        if item.bubble and item.bubble[1] <= middle_y <= item.bubble[3] \
                and item.bubble[0] <= middle_x <= item.bubble[2]:
            return index, item.item
    return None


def whole(shot, placed) -> set[int]:
    """Indexes of the messages with at least one whole line on the screen."""
    lines = {text for _, text in drawn_lines(shot, placed)}
    return {i for i, p in enumerate(placed) if isinstance(p.item, Message)
            and any(text in lines for _, text in p.lines)}


def stamp_above(index: int) -> datetime:
    return next(TIMES[item.text] for item in reversed(CHAT[:index]) if isinstance(item, Stamp)
                ).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("name", list(PHONES))
def test_every_bubble_read_gets_its_side_and_no_bar_is_a_message(name):
    shot, placed = screen(name, 0.0)
    found = {}
    title, *rest = segments(name, 0.0)
    assert (title["kind"], title["text"]) == ("title", TITLE)
    for segment in rest:
        assert segment["kind"] == "message", segment
        hit = drawn_message(shot, placed, segment["box"])
        assert hit is not None, f"not a message: {segment}"
        found[hit[0]] = segment
    assert set(found) >= whole(shot, placed)
    for index, segment in found.items():
        item = CHAT[index]
        assert segment["side"] == item.side, (item.text, segment)
        assert datetime.fromisoformat(segment["time"]) == stamp_above(index), item.text
        assert cer(item.text, segment["text"]) <= 0.15, (item.text, segment["text"])


def test_overlapping_screenshots_merge_in_either_order():
    """The second screenshot is the chat scrolled on; they share several messages. Uploaded in
    either order, the merge shows each message once, the shared ones from both."""
    first, placed = screen("dark-1080", 0.0)
    second, _ = screen("dark-1080", 1.0)
    assert second.top - first.top < first.chat_bottom - first.chat_top   # they overlap
    shots = {1: (first, segments("dark-1080", 0.0)), 2: (second, segments("dark-1080", 1.0))}
    shown = whole(first, placed) | whole(second, placed)
    both = whole(first, placed) & whole(second, placed)
    assert len(both) >= 2
    for order in ((1, 2), (2, 1)):
        merged = merge_conversations([(i, shots[i][1]) for i in order])
        assert [m["text"] for m in merged if m.get("kind") == "title"] == [TITLE]
        seen = []
        for message in (m for m in merged if m["kind"] == "message"):
            source = message["sources"][0]
            index, item = drawn_message(shots[source][0], placed, message["boxes"][0])
            seen.append(index)
            assert message["side"] == item.side
            if index in both:
                assert sorted(message["sources"]) == [1, 2], item.text
        assert sorted(seen) == sorted(set(seen)), "a message came twice"
        assert set(seen) >= shown
        assert seen == sorted(seen), "out of order"
