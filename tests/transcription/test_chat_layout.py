"""Who said each message of a chat screenshot, decided from the pixels a person sees (bubble
colour, avatar, margins), and the phone's bars kept out of the messages
(transcription.ocr.chat_layout). The screenshots are drawn (tests/support/chat_images.py) and
handed to the layout with the lines a perfect reader would find, so these run without OCR;
test_chat_ocr.py reads some with the real engine."""

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw

from tests.support.chat_images import (DARK, LIGHT, Message, Notice, Stamp, Style, cjk_font,
                                       conversation, drawn_lines, phone_screen)
from transcription.ocr.chat_layout import CENTRED_SHARE, chat_segments
from transcription.ocr.reader import TextLine

SHANGHAI = ZoneInfo("Asia/Shanghai")
TAKEN = datetime(2024, 12, 6, 22, 5, tzinfo=SHANGHAI)   # a Friday evening
TITLE = "信用飞客服"
LONG_THEM = "您好，这里是信用飞贷后管理中心，您的借款已经逾期三十二天，请尽快处理，逾期会影响征信。"
LONG_ME = "我最近生病住院了，收入中断，想申请分期还款，每个月还一千元，分十二个月还清，可以吗？"
CHAT = [Stamp("2024年12月3日 下午3:05"), Message("them", LONG_THEM), Message("me", LONG_ME),
        Stamp("昨天 21:47"), Message("them", "请问您今天能还款吗？"), Message("me", "好的"),
        Message("me", "我下个月10号发工资，到时候一次性还2000元，请不要再联系我的家人和同事。"),
        Stamp("星期一 09:05"), Notice("对方撤回了一条消息"), Message("them", "收到"),
        Stamp("21:47"), Message("them", "月底前请务必还款，否则无法继续为您申请减免，谢谢配合。")]
TIMES = {"2024年12月3日 下午3:05": datetime(2024, 12, 3, 15, 5), "昨天 21:47":
         datetime(2024, 12, 5, 21, 47), "星期一 09:05": datetime(2024, 12, 2, 9, 5),
         "21:47": datetime(2024, 12, 6, 21, 47)}


def read(style: Style, items=CHAT, **screen) -> tuple[list[dict], list]:
    """The segments of one screenshot of the whole chat, and where its items were drawn."""
    canvas, placed = conversation(items, style=style)
    height = canvas.height + 400 * style.width // 1080 + 10
    shot = phone_screen(canvas, 0, height=max(height, round(1.7 * style.width)), title=TITLE,
                        style=style, **screen)
    lines = [TextLine(box=box, text=text, score=1.0) for box, text in drawn_lines(shot, placed)]
    return chat_segments(lines, shot.image, reference=TAKEN), placed


def expected(items=CHAT) -> list[tuple[str, datetime | None, str]]:
    current, out = None, []
    for item in items:
        if isinstance(item, Stamp):
            current = TIMES[item.text].replace(tzinfo=SHANGHAI)
        elif isinstance(item, Message):
            out.append((item.side, current, item.text))
    return out


def messages(segments: list[dict]) -> list[tuple[str | None, datetime | None, str]]:
    return [(s["side"], datetime.fromisoformat(s["time"]).astimezone(SHANGHAI)
             if s["time"] else None, s["text"]) for s in segments if s["kind"] == "message"]


def test_full_width_bubbles_are_as_wide_as_bubbles_get():
    """The case that lost its side: the widest bubble's margins are equal on both sides."""
    canvas, placed = conversation(CHAT, style=Style(width=1080))
    for index in (1, 2):
        x0, _, x1, _ = placed[index].bubble
        assert abs(x0 - (1080 - x1)) < CENTRED_SHARE * 1080


@pytest.mark.parametrize("style", [
    Style(width=1080),
    Style(width=750, tails=False, round_avatars=True),
    Style(width=1080, theme=DARK),
    Style(width=750, theme=DARK, initials=("赵", "我"), bar="#1b1b1b", divider=False),
], ids=["light-1080", "light-750", "dark-1080", "dark-750-initials"])
def test_every_bubble_gets_its_side_and_the_stamp_above_it(style):
    segments, _ = read(style)
    assert messages(segments) == expected()


def test_the_bars_are_not_messages():
    """Status bar (clock, battery), title bar (back arrow and its label, the contact's name),
    input bar (a half-typed draft): only the title is kept, marked as the title."""
    for divider in (True, False):   # WeChat's light title bar has the chat's own colour
        style = Style(width=1080, divider=divider)
        segments, _ = read(style, back_label="微信(3)", draft="好的我明天")
        title, *rest = segments
        assert (title["kind"], title["side"], title["time"], title["text"]) == \
            ("title", None, None, TITLE)
        texts = " ".join(s["text"] for s in segments)
        for chrome in ("21:50", "85%", "く", "微信(3)", "好的我明天"):
            assert chrome not in texts
        assert [s["text"] for s in rest if s.get("kind") == "notice"] == ["对方撤回了一条消息"]
        assert messages(segments) == expected()


def test_the_hold_to_talk_button_and_a_centred_clock_are_bars_too():
    style = Style(width=750, centred_clock=True, home_indicator=True, theme=DARK)
    segments, _ = read(style, hold_to_talk=True)
    assert [s["text"] for s in segments if s.get("kind") == "title"] == [TITLE]
    assert "按住 说话" not in [s["text"] for s in segments]
    assert messages(segments) == expected()


def test_a_bubble_whose_side_cannot_be_told_stays_unknown():
    """A narrow bubble in the middle, with no avatar beside it: neither margins nor an avatar
    say whose it is, and its white colour alone is no proof; it is kept without a side."""
    image = Image.new("RGB", (750, 1334), "#ededed")
    draw = ImageDraw.Draw(image)
    font = cjk_font(34)
    text = "请问您今天能还款吗"
    width = font.getlength(text)
    x0 = (750 - width) / 2
    draw.rounded_rectangle((x0 - 20, 600, x0 + width + 20, 670), radius=8, fill="#ffffff")
    draw.text((x0, 615), text, font=font, fill="#111111")
    box = tuple(int(v) for v in draw.textbbox((x0, 615), text, font=font))
    [segment] = chat_segments([TextLine(box=box, text=text, score=1.0)], image, reference=TAKEN)
    assert (segment["side"], segment["kind"], segment["text"]) == (None, "message", text)


def test_after_a_stamp_that_cannot_be_read_the_time_is_unknown():
    """A misread stamp ("昨夭 21:47") does not leave the earlier stamp's time on the messages
    below it."""
    items = [Stamp("2024年12月3日 下午3:05"), Message("them", "请问您今天能还款吗？"),
             Stamp("昨夭 21:47"), Message("me", "今天还不了，明天一定还")]
    segments, _ = read(Style(width=1080), items)
    assert [(side, time) for side, time, _ in messages(segments)] == \
        [("them", datetime(2024, 12, 3, 15, 5, tzinfo=SHANGHAI)), ("me", None)]


def test_without_avatars_the_tail_tells_the_side_and_without_it_nothing_does():
    """Full-width bubbles of one pale shade (neither WeChat's green nor white) and no avatars:
    the tail pointing left or right is the one cue left. Without tails the side is unknown,
    never guessed from the colour."""
    pale = replace(LIGHT, bubble_me="#dde8f3", bubble_them="#dde8f3")
    items = [Message("them", LONG_THEM), Message("me", LONG_ME)]
    for tails, sides in ((True, ["them", "me"]), (False, [None, None])):
        style = Style(width=1080, theme=pale, tails=tails, avatars=(LIGHT.background,) * 2)
        segments, _ = read(style, items)
        assert [s["side"] for s in segments if s["kind"] == "message"] == sides


def test_white_bubbles_on_a_background_barely_darker_still_have_their_edges():
    """Another app's light mode: white bubbles on #f5f5f5 (10 apart, less than JPEG noise
    allows elsewhere): the bubbles are still told from the background and from each other."""
    pale = replace(LIGHT, background="#f5f5f5", bar="#f5f5f5")
    segments, _ = read(Style(width=750, theme=pale))
    assert messages(segments) == expected()
