"""Random WeChat-style conversations from a seed, captured as an overlapping pair of phone
screenshots (one scrolled conversation), with what a person reads on them.

`make_case(seed)` picks a phone (750x1334 or 1080x2340), light or dark mode and the details
that vary between phones (avatars with faces or initials, the title bar's colour, a divider,
a label beside the back arrow, a draft or the hold-to-talk button in the input bar, other
versions' bubble shades, round avatars, the type size, JPEG recompression), writes a
conversation of short, one-line and full-width multi-line bubbles with time stamps in the ways
WeChat writes them ("21:47", "昨天 21:47", "星期一 09:05", "2024年12月3日 下午3:05" ...),
and cuts two windows of it that overlap, at rows that may cut through a line. The same seed
always gives the same pictures. Seeds below `HELD_OUT_FROM` are for tuning; the others are
kept apart to report on (a second and a third set after the first was seen).
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from tests.support.chat_images import (DARK, LIGHT, Message, Notice, Placed, Screen, Stamp, Style,
                                       bars, conversation, phone_screen)

ZONE = ZoneInfo("Asia/Shanghai")
HELD_OUT_FROM = 1000
TUNING_SEEDS = range(0, 24)
HELD_OUT_SEEDS = range(HELD_OUT_FROM, HELD_OUT_FROM + 24)
# Each drawn after the one before it had been looked at (and the bugs it showed were fixed):
# none was looked at before its figures were first reported (bench/chat_screenshots.py).
SECOND_HELD_OUT_SEEDS = range(2 * HELD_OUT_FROM, 2 * HELD_OUT_FROM + 24)
THIRD_HELD_OUT_SEEDS = range(3 * HELD_OUT_FROM, 3 * HELD_OUT_FROM + 24)

THEM = ["您好，这里是信用飞贷后管理中心，您的借款已经逾期三十二天，请尽快处理。",
        "请问您今天能还款吗？", "逾期会影响您的征信记录，请您重视。", "在吗？",
        "您的账单已经逾期十五天了，最低还款额是1280元。",
        "可以帮您申请减免罚息，但需要您先还最低还款额。", "请在11月25日前还款2000元。",
        "您的申请我们已经提交审核，结果会在三个工作日内通知您。", "审核通过了。",
        "首期一千元请在本月二十五日前还款，之后每月二十五日还款一千元，共十二期。",
        "好的，我帮您备注一下", "如有其他问题，请随时联系我们的客服热线。", "收到",
        "协议稍后发送到您的邮箱，请注意查收。", "月底前请务必还款，否则无法继续为您申请减免。",
        "我们这边最多只能减免百分之三十的罚息，本金需要全额归还。", "请提供一下您的身份证后四位",
        "今天下午五点前还不上的话，我们会联系您的紧急联系人。", "您考虑得怎么样了？",
        "系统显示您还没有还款，请问是什么原因？", "可以先还一部分吗？比如五百元。"]
ME = ["我知道，最近生病住院了，收入中断。", "好的，谢谢", "能不能申请分期还款？",
      "我想申请分期还款，每个月还一千元，分十二个月还清，可以吗？", "我最近失业了，这个月实在还不上",
      "我会尽量筹钱，能否宽限到月底？", "收到了，我会按时还款。另外想确认一下，协议里会写明停止催收吗？",
      "明白了", "请问减免的罚息会在账单上体现吗？我想要一份书面的还款协议。", "嗯",
      "下周五我先还三千", "请不要再联系我的家人和同事，这已经影响到我的正常生活了。",
      "我下个月10号发工资，到时候一次性还2000元。", "好", "身份证后四位是0417",
      "我可以先还五百，剩下的下个月再还。", "可以把还款计划发给我看一下吗？", "已经还了1000元，请查收",
      "你们昨天晚上十一点还在打电话，这样是不合规的。", "行，我同意这个方案。"]
NOTICES = ["对方撤回了一条消息", "以下为新消息", "你撤回了一条消息"]
TITLES = ["信用飞客服", "小赵（信用飞）", "王经理", "分期乐贷后 李", "Lily 催收专员", "95188"]
WEEKDAYS = "一二三四五六日"


@dataclass
class Shot:
    """One screenshot of the case, and when it was taken."""

    screen: Screen
    taken: datetime
    title: str


@dataclass
class Case:
    seed: int
    style: Style
    items: list
    placed: list[Placed]
    times: dict[int, datetime]   # index of each stamp in `items` -> the time it names
    shots: list[Shot]            # in upload order (which one comes first is random)


def stamp_text(moment: datetime, taken: datetime, rng: random.Random, twelve: bool) -> str:
    """The stamp WeChat writes for `moment` on a screen looked at `taken`."""
    clock = _clock(moment, twelve)
    days = (taken.date() - moment.date()).days
    if days == 0:
        return clock
    if days == 1:
        return f"昨天 {clock}"
    if days < 7:
        prefix = rng.choice(["星期", "周"])
        return f"{prefix}{WEEKDAYS[moment.weekday()]} {clock}"
    if moment.year == taken.year:
        return f"{moment.month}月{moment.day}日 {clock}"
    return f"{moment.year}年{moment.month}月{moment.day}日 {clock}"


def _clock(moment: datetime, twelve: bool) -> str:
    if not twelve:
        return f"{moment.hour:02d}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    half = "凌晨" if moment.hour < 6 else "上午" if moment.hour < 12 else \
        "下午" if moment.hour < 18 else "晚上"
    return f"{half}{hour}:{moment.minute:02d}"


def _moments(taken: datetime, rng: random.Random) -> list[datetime]:
    """Four to six times, oldest first, across the kinds of stamp: last year, this year, this
    week, yesterday, today."""
    kinds = [rng.randint(200, 500), rng.randint(8, 60), rng.randint(2, 6), 1, 0]
    chosen = sorted(rng.sample(kinds, rng.randint(4, 5)), reverse=True)
    moments = []
    for days in chosen:
        day = taken - timedelta(days=days)
        latest = taken if days == 0 else day.replace(hour=23, minute=59)
        start = day.replace(hour=7, minute=0)
        if latest <= start:
            start = latest - timedelta(minutes=30)
        seconds = rng.randint(0, int((latest - start).total_seconds()))
        moments.append((start + timedelta(seconds=seconds)).replace(second=0, microsecond=0))
    return sorted(set(moments))


def _items(rng: random.Random, taken: datetime, most: int) -> tuple[list, dict[int, datetime]]:
    twelve = rng.random() < 0.4
    them, me = rng.sample(THEM, len(THEM)), rng.sample(ME, len(ME))
    items, times = [], {}
    side = rng.choice(["them", "me"])
    for moment in _moments(taken, rng):
        times[len(items)] = moment
        items.append(Stamp(stamp_text(moment, taken, rng, twelve)))
        for _ in range(rng.randint(2, most)):
            pool = them if side == "them" else me
            if pool:
                items.append(Message(side, pool.pop()))
            if rng.random() < 0.6:
                side = "me" if side == "them" else "them"
        if rng.random() < 0.15:
            items.append(Notice(rng.choice(NOTICES)))
    return items, times


def make_style(rng: random.Random, width: int) -> Style:
    dark = rng.random() < 0.5
    palette = ["#5b8bd9", "#d9905b", "#6fb36f", "#b86fb3", "#c9c14f", "#4fb9c9", "#9a9a9a"]
    avatars = tuple(rng.sample(palette, 2))
    bar = None
    if rng.random() < 0.3:
        bar = "#e5e5e5" if not dark else "#1b1b1b"
    theme = DARK if dark else LIGHT
    if rng.random() < 0.3:   # other versions' shades
        theme = replace(theme, bubble_me=rng.choice(["#a0e75a", "#9eea6a"] if not dark else
                                                    ["#26b15d", "#4cbf7a"]),
                        bubble_them="#fafafa" if not dark else "#262626")
    return Style(width=width, theme=theme, round_avatars=rng.random() < 0.3,
                 text_size=rng.choice([44, 48, 48, 52]),
                 short_of_full=rng.choice([0.0, 0.0, 0.01, 0.03]), tails=rng.random() < 0.8,
                 avatars=avatars, initials=("赵", "我") if rng.random() < 0.2 else None,
                 bar=bar, divider=rng.random() < 0.6, centred_clock=width == 750,
                 home_indicator=rng.random() < 0.3, stamp_pill=rng.random() < 0.2)


def make_case(seed: int) -> Case:
    rng = random.Random(seed)
    width, height = rng.choice([(750, 1334), (1080, 2340)])
    style = make_style(rng, width)
    taken = datetime(2024, 12, rng.randint(1, 28), rng.randint(8, 22), rng.randint(0, 59),
                     tzinfo=ZONE)
    chat_h = height - sum(bars(width))
    most = 4
    while True:
        items, times = _items(rng, taken, most)
        canvas, placed = conversation(items, style=style)
        if canvas.height >= 1.5 * chat_h:   # long enough to scroll
            break
        most += 1
    second_top = canvas.height - chat_h
    first_top = max(0, second_top - round(rng.uniform(0.4, 0.65) * chat_h))
    title = rng.choice(TITLES)
    shots = []
    for index, top in enumerate((first_top, second_top)):
        minutes = rng.randint(0, 3) + 2 * index
        shots.append(Shot(phone_screen(
            canvas, top, height=height, title=title, style=style,
            clock=f"{taken.hour:02d}:{taken.minute:02d}",
            back_label=rng.choice([None, None, "微信(3)", "12"]),
            draft=rng.choice([None, None, None, "好的我明天"]), hold_to_talk=rng.random() < 0.2),
            taken + timedelta(minutes=minutes), title))
    if rng.random() < 0.25:   # sent through an app that recompresses pictures
        for shot in shots:
            shot.screen.image = _as_jpeg(shot.screen.image, rng.choice([75, 85, 92]))
    if rng.random() < 0.5:
        shots.reverse()
    return Case(seed, style, items, placed, times, shots)


def _as_jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
