"""Chat screenshots and printed pages drawn with Pillow at test time, with known content.

A WeChat-like phone screenshot: the other party's bubbles on the left and the user's green ones
on the right, each beside an avatar and with a tail pointing at it, centred grey time stamps, a
status bar (clock, battery), a title bar (back arrow, the contact's name, a menu) and an input
bar (voice, text box, emoji, plus). `Style` chooses light or dark mode, the phone's width and
the details a person sees; `conversation` draws the whole chat on one tall canvas so that
`phone_screen` can cut overlapping windows from it, as scrolling does. Every piece of text is
recorded where it was drawn, so a test can hand the layout the lines a perfect reader would
find (`drawn_lines`). Needs a CJK font from a Debian package (tools/system-packages.sh
installs fonts-wqy-zenhei). tests/support/chat_corpus.py draws random conversations from a seed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
BACKGROUND, WHITE, GREEN, STAMP_GREY = "#ededed", "#ffffff", "#95ec69", "#9e9e9e"
AVATAR_THEM, AVATAR_ME = "#5b8bd9", "#d9905b"
# Sizes in pixels of a 1080-wide screen; other widths scale them.
STATUS_H, TITLE_H, INPUT_H = 90, 140, 170
MARGIN, AVATAR, AVATAR_GAP, PAD, LINE_H, FONT = 30, 110, 24, 28, 64, 48


@dataclass(frozen=True)
class Theme:
    background: str
    bar: str
    bubble_them: str
    bubble_me: str
    text_them: str
    text_me: str
    stamp: str
    input_bar: str
    input_box: str
    ink: str       # status bar, title and icons
    divider: str


LIGHT = Theme(BACKGROUND, BACKGROUND, WHITE, GREEN, "#111111", "#111111", STAMP_GREY, "#f7f7f7",
              WHITE, "#181818", "#d5d5d5")
DARK = Theme("#111111", "#111111", "#2c2c2c", "#3eb575", "#d5d5d5", "#0b0b0b", "#7a7a7a",
             "#1e1e1e", "#2c2c2c", "#d0d0d0", "#262626")


@dataclass(frozen=True)
class Style:
    """What varies between phones and apps. `short_of_full` narrows the widest bubble by this
    share of the width (0: a full bubble's margins are equal on both sides, as in WeChat)."""

    width: int = 1080
    theme: Theme = LIGHT
    short_of_full: float = 0.0
    tails: bool = True
    avatars: tuple[str, str] = (AVATAR_THEM, AVATAR_ME)
    initials: tuple[str, str] | None = None   # characters drawn on the avatars
    bar: str | None = None                     # the title bar's colour when not the theme's
    divider: bool = True                       # a line under the title bar
    centred_clock: bool = False                # older iPhones centre the status bar's clock
    home_indicator: bool = False
    stamp_pill: bool = False                   # a rounded shade behind each time stamp
    round_avatars: bool = False
    text_size: int = FONT                      # the messages' type, on a 1080-wide screen

    @property
    def scale(self) -> float:
        return self.width / 1080

    def px(self, size: float) -> int:
        return round(size * self.scale)


@dataclass(frozen=True)
class Message:
    side: str   # "them" (left, white) or "me" (right, green)
    text: str


@dataclass(frozen=True)
class Stamp:
    text: str   # a centred time stamp as the app shows it, e.g. "昨天 21:47"


@dataclass(frozen=True)
class Notice:
    text: str   # a centred line that is neither a message nor a time ("对方撤回了一条消息")


@dataclass(frozen=True)
class Placed:
    """Where an item landed on the canvas: rows `top`..`bottom` (avatar included), its bubble's
    box, and each piece of text drawn for it as (box, text)."""

    item: Message | Stamp | Notice
    top: int
    bottom: int
    bubble: tuple[int, int, int, int] | None = None
    lines: tuple[tuple[tuple[int, int, int, int], str], ...] = ()


@dataclass
class Screen:
    """A phone screenshot showing the canvas from row `top` in screen rows `chat_top` ..
    `chat_bottom`; `chrome` is the text drawn in the bars as (box, text, part), part one of
    "status", "back", "title", "input"."""

    image: Image.Image
    top: int
    chat_top: int
    chat_bottom: int
    chrome: list[tuple[tuple[int, int, int, int], str, str]] = field(default_factory=list)

    def on_screen(self, canvas_y: float) -> float:
        return canvas_y - self.top + self.chat_top

    def on_canvas(self, screen_y: float) -> float:
        return screen_y - self.chat_top + self.top


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """A font that has Chinese glyphs; fails with what to install when there is none."""
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise AssertionError("no CJK font: run tools/system-packages.sh (installs fonts-wqy-zenhei)")


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break `text` into lines no wider than `width` (character by character, as Chinese
    wraps)."""
    lines, line = [], ""
    for char in text:
        if line and font.getlength(line + char) > width:
            lines.append(line)
            line = ""
        line += char
    return lines + [line] if line else lines


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font, fill: str
          ) -> tuple[tuple[int, int, int, int], str]:
    draw.text(xy, text, font=font, fill=fill)
    x0, y0, x1, y1 = draw.textbbox(xy, text, font=font)
    return (int(x0), int(y0), int(x1), int(y1)), text


def conversation(items: list[Message | Stamp | Notice], *, width: int = 1080, gap: int = 40,
                 style: Style | None = None) -> tuple[Image.Image, list[Placed]]:
    """The whole chat drawn top to bottom on one canvas, with where each item landed."""
    style = style or Style(width=width)
    theme, px = style.theme, style.px
    font, small = cjk_font(px(style.text_size)), cjk_font(px(34))
    width = style.width
    reach = px(MARGIN + AVATAR + AVATAR_GAP)
    max_text = width - 2 * reach - round(style.short_of_full * width) - 2 * px(PAD)
    canvas = Image.new("RGB", (width, 20000), theme.background)
    draw = ImageDraw.Draw(canvas)
    y, placed = px(gap), []
    for item in items:
        if isinstance(item, Message):
            placed.append(_bubble(draw, item, y, style, font, max_text))
        else:
            text_w = small.getlength(item.text)
            x = (width - text_w) / 2
            if style.stamp_pill and isinstance(item, Stamp):
                draw.rounded_rectangle((x - px(16), y - px(4), x + text_w + px(16), y + px(46)),
                                       radius=px(8), fill=_shade(theme.background))
            line = _text(draw, (x, y), item.text, small, theme.stamp)
            placed.append(Placed(item, y, y + px(44), None, (line,)))
        y = placed[-1].bottom + px(gap)
    return canvas.crop((0, 0, width, y)), placed


def _bubble(draw: ImageDraw.ImageDraw, item: Message, y: int, style: Style, font,
            max_text: int) -> Placed:
    theme, px, width = style.theme, style.px, style.width
    size = style.text_size
    pad, line_h, avatar, margin = px(PAD), px(size * LINE_H / FONT), px(AVATAR), px(MARGIN)
    lines = wrap(item.text, font, max_text)
    text_w = max(font.getlength(line) for line in lines)
    box_w = round(text_w) + 2 * pad
    box_h = len(lines) * line_h + 2 * pad - (line_h - px(size * 52 / FONT))
    them = item.side == "them"
    avatar_x = margin if them else width - margin - avatar
    _avatar(draw, (avatar_x, y, avatar_x + avatar, y + avatar), style, 0 if them else 1)
    x0 = avatar_x + avatar + px(AVATAR_GAP) if them else avatar_x - px(AVATAR_GAP) - box_w
    fill = theme.bubble_them if them else theme.bubble_me
    draw.rounded_rectangle((x0, y, x0 + box_w, y + box_h), radius=px(12), fill=fill)
    if style.tails:
        tip, mid, half = (x0 - px(12), y + px(40), px(11)) if them else \
            (x0 + box_w + px(12), y + px(40), px(11))
        edge = x0 if them else x0 + box_w
        draw.polygon([(edge, mid - half), (tip, mid), (edge, mid + half)], fill=fill)
    ink = theme.text_them if them else theme.text_me
    drawn = tuple(_text(draw, (x0 + pad, y + pad + index * line_h), line, font, ink)
                  for index, line in enumerate(lines))
    return Placed(item, y, y + max(box_h, avatar), (x0, y, x0 + box_w, y + box_h), drawn)


def _avatar(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], style: Style,
            which: int) -> None:
    """A square picture: a head and shoulders in a lighter shade, or the initial."""
    x0, y0, x1, y1 = box
    size = x1 - x0
    colour = style.avatars[which]
    if style.round_avatars:
        draw.ellipse(box, fill=colour)
    else:
        draw.rounded_rectangle(box, radius=max(2, size // 12), fill=colour)
    if style.initials:
        font = cjk_font(size // 2)
        text = style.initials[which]
        w = font.getlength(text)
        draw.text((x0 + (size - w) / 2, y0 + size / 4), text, font=font, fill="#ffffff")
        return
    light = _shade(colour, 60)
    draw.ellipse((x0 + size * 0.32, y0 + size * 0.18, x0 + size * 0.68, y0 + size * 0.54),
                 fill=light)
    draw.pieslice((x0 + size * 0.16, y0 + size * 0.6, x0 + size * 0.84, y0 + size * 1.3),
                  180, 360, fill=light)


def _shade(colour: str, step: int = -12) -> str:
    """`colour` lightened (step > 0) or darkened; dark colours are always lightened."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    if r + g + b < 200 and step < 0:
        step = -step
    return "#" + "".join(f"{min(255, max(0, c + step)):02x}" for c in (r, g, b))


def between_lines(placed: Placed, lines_above: int, *, width: int = 1080) -> int:
    """The canvas row inside a message bubble just below its first `lines_above` text lines
    (where a screen's edge cuts the bubble without cutting a line)."""
    scale = width / 1080
    return placed.top + round(PAD * scale) + lines_above * round(LINE_H * scale) - \
        round(5 * scale)


def bars(width: int = 1080) -> tuple[int, int, int]:
    """The heights of the status, title and input bars on a screen `width` wide."""
    scale = width / 1080
    return round(STATUS_H * scale), round(TITLE_H * scale), round(INPUT_H * scale)


def chat_height(height: int = 2340, width: int = 1080) -> int:
    """How much of the canvas one `screenshot` shows."""
    return height - sum(bars(width))


def screenshot(canvas: Image.Image, top: int, *, height: int = 2340,
               title: str = "信用飞客服", clock: str = "21:50") -> Image.Image:
    """A phone screenshot showing the canvas from `top` (see `phone_screen`)."""
    return phone_screen(canvas, top, height=height, title=title, clock=clock).image


def phone_screen(canvas: Image.Image, top: int, *, height: int = 2340,
                 title: str = "信用飞客服", clock: str = "21:50", style: Style | None = None,
                 back_label: str | None = None, draft: str | None = None,
                 hold_to_talk: bool = False) -> Screen:
    """A phone screenshot showing the canvas from row `top`: status bar, title bar (back
    arrow with an optional label such as "微信(3)", the title, a menu), the chat, and the
    input bar (with a half-typed `draft`, or the hold-to-talk button)."""
    style = style or Style(width=canvas.width)
    theme, px, width = style.theme, style.px, canvas.width
    status_h, title_h, input_h = bars(width)
    chat_top, chat_bottom = status_h + title_h, height - input_h
    shot = Image.new("RGB", (width, height), theme.background)
    shot.paste(canvas.crop((0, top, width, min(top + chat_bottom - chat_top, canvas.height))),
               (0, chat_top))
    draw = ImageDraw.Draw(shot)
    chrome: list[tuple[tuple[int, int, int, int], str, str]] = []
    draw.rectangle((0, 0, width, chat_top - 1), fill=style.bar or theme.bar)
    if style.divider:
        draw.rectangle((0, chat_top - max(1, px(2)), width, chat_top - 1), fill=theme.divider)
    status = cjk_font(px(36))
    clock_x = (width - status.getlength(clock)) / 2 if style.centred_clock else px(50)
    chrome.append((*_text(draw, (clock_x, px(24)), clock, status, theme.ink), "status"))
    chrome.append((*_text(draw, (width - px(150), px(24)), "85%", status, theme.ink), "status"))
    draw.rounded_rectangle((width - px(60), px(32), width - px(22), px(58)), radius=px(4),
                           outline=theme.ink, width=max(1, px(3)))
    middle = status_h + title_h // 2
    arrow = (px(40), middle - px(24), px(64), middle + px(24))
    draw.line([(arrow[2], arrow[1]), (arrow[0], middle), (arrow[2], arrow[3])], fill=theme.ink,
              width=max(2, px(5)))
    chrome.append((arrow, "く", "back"))
    heading = cjk_font(px(50))
    if back_label:
        chrome.append((*_text(draw, (px(80), middle - px(25)), back_label, heading, theme.ink),
                       "back"))
    chrome.append((*_text(draw, ((width - heading.getlength(title)) / 2, middle - px(28)),
                          title, heading, theme.ink), "title"))
    for dx in (-px(22), 0, px(22)):
        cx = width - px(70) + dx
        draw.ellipse((cx - px(5), middle - px(5), cx + px(5), middle + px(5)), fill=theme.ink)
    chrome += _input_bar(draw, style, height, input_h, draft, hold_to_talk)
    return Screen(shot, top, chat_top, chat_bottom, chrome)


def _input_bar(draw: ImageDraw.ImageDraw, style: Style, height: int, input_h: int,
               draft: str | None, hold_to_talk: bool) -> list:
    theme, px, width = style.theme, style.px, style.width
    bar_top = height - input_h
    draw.rectangle((0, bar_top, width, height), fill=theme.input_bar)
    draw.rectangle((0, bar_top, width, bar_top + max(1, px(2))), fill=theme.divider)
    box = (px(130), bar_top + px(35), width - px(230), bar_top + px(120))
    middle = (box[1] + box[3]) // 2
    radius, line = px(30), max(2, px(4))
    for cx in (px(65), width - px(165), width - px(65)):
        draw.ellipse((cx - radius, middle - radius, cx + radius, middle + radius),
                     outline=theme.ink, width=line)
    plus = width - px(65)
    draw.line([(plus - px(14), middle), (plus + px(14), middle)], fill=theme.ink, width=line)
    draw.line([(plus, middle - px(14)), (plus, middle + px(14))], fill=theme.ink, width=line)
    draw.arc((px(50), middle - px(14), px(78), middle + px(14)), 300, 60, fill=theme.ink,
             width=line)
    draw.rounded_rectangle(box, radius=px(10), fill=theme.input_box)
    chrome = []
    font = cjk_font(px(44))
    if hold_to_talk:
        label = "按住 说话"
        x = (box[0] + box[2] - font.getlength(label)) / 2
        chrome.append((*_text(draw, (x, middle - px(24)), label, font, theme.ink), "input"))
    elif draft:
        chrome.append((*_text(draw, (box[0] + px(20), middle - px(24)), draft, font,
                              theme.ink), "input"))
    if style.home_indicator:
        draw.rounded_rectangle((width // 2 - px(140), height - px(22), width // 2 + px(140),
                                height - px(12)), radius=px(5), fill=theme.ink)
    return chrome


def drawn_lines(screen: Screen, placed: list[Placed]) -> list[tuple[tuple[int, int, int, int],
                                                                    str]]:
    """The text a perfect reader finds on `screen`, as (box, text) top to bottom: the bars'
    text and every line of the chat that lies whole inside the chat area."""
    found = [(box, text) for box, text, _ in screen.chrome]
    for item in placed:
        for (x0, y0, x1, y1), text in item.lines:
            top, bottom = screen.on_screen(y0), screen.on_screen(y1)
            if top >= screen.chat_top and bottom <= screen.chat_bottom:
                found.append(((x0, int(top), x1, int(bottom)), text))
    return sorted(found, key=lambda line: (line[0][1], line[0][0]))


def a4_page(paragraphs: list[str], *, dpi: int = 150) -> Image.Image:
    """A white A4 page of Chinese text at `dpi` (12-point type, 2.5 cm margins)."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    font = cjk_font(round(12 / 72 * dpi))
    margin, line_h = round(dpi / 2.54 * 2.5), round(12 / 72 * dpi * 1.6)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    y = margin
    for paragraph in paragraphs:
        for line in wrap(paragraph, font, width - 2 * margin):
            if y + line_h > height - margin:
                return page
            draw.text((margin, y), line, font=font, fill="black")
            y += line_h
        y += line_h // 2
    return page


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
