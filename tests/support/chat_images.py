"""Chat screenshots and printed pages drawn with Pillow at test time, with known content.

A WeChat-like phone screenshot: grey background, the other party's white bubbles on the left
and the user's green bubbles on the right, each beside a square avatar, centred grey time
stamps, a status bar and a title bar. `conversation` draws the whole chat on one tall canvas so
that `screenshot` can cut overlapping windows from it, as scrolling does. Needs a CJK font from
a Debian package (tools/system-packages.sh installs fonts-wqy-zenhei).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
BACKGROUND, WHITE, GREEN, STAMP_GREY = "#ededed", "#ffffff", "#95ec69", "#9e9e9e"
AVATAR_THEM, AVATAR_ME = "#5b8bd9", "#d9905b"


@dataclass(frozen=True)
class Message:
    side: str   # "them" (left, white) or "me" (right, green)
    text: str


@dataclass(frozen=True)
class Stamp:
    text: str   # a centred time stamp as the app shows it, e.g. "昨天 21:47"


@dataclass(frozen=True)
class Placed:
    item: Message | Stamp
    top: int
    bottom: int


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


def conversation(items: list[Message | Stamp], *, width: int = 1080,
                 gap: int = 40) -> tuple[Image.Image, list[Placed]]:
    """The whole chat drawn top to bottom on one canvas, with where each item landed."""
    scale = width / 1080
    font, small = cjk_font(round(48 * scale)), cjk_font(round(34 * scale))
    avatar, pad, line_h = round(110 * scale), round(28 * scale), round(64 * scale)
    max_text = round(width * 0.62) - 2 * pad
    canvas = Image.new("RGB", (width, 20000), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    y, placed = gap, []
    for item in items:
        if isinstance(item, Stamp):
            text_w = small.getlength(item.text)
            draw.text(((width - text_w) / 2, y), item.text, font=small, fill=STAMP_GREY)
            bottom = y + round(44 * scale)
        else:
            lines = wrap(item.text, font, max_text)
            text_w = max(font.getlength(line) for line in lines)
            box_w, box_h = text_w + 2 * pad, len(lines) * line_h + 2 * pad - (line_h - 52)
            margin = round(30 * scale)
            if item.side == "them":
                draw.rectangle((margin, y, margin + avatar, y + avatar), fill=AVATAR_THEM)
                x0 = margin + avatar + round(24 * scale)
            else:
                draw.rectangle((width - margin - avatar, y, width - margin, y + avatar),
                               fill=AVATAR_ME)
                x0 = width - margin - avatar - round(24 * scale) - box_w
            draw.rounded_rectangle((x0, y, x0 + box_w, y + box_h), radius=round(12 * scale),
                                   fill=WHITE if item.side == "them" else GREEN)
            for index, line in enumerate(lines):
                draw.text((x0 + pad, y + pad + index * line_h), line, font=font, fill="#111111")
            bottom = y + max(box_h, avatar)
        placed.append(Placed(item, y, bottom))
        y = bottom + gap
    return canvas.crop((0, 0, width, y)), placed


def between_lines(placed: Placed, lines_above: int, *, width: int = 1080) -> int:
    """The canvas row inside a message bubble just below its first `lines_above` text lines
    (where a screen's edge cuts the bubble without cutting a line)."""
    scale = width / 1080
    return placed.top + round(28 * scale) + lines_above * round(64 * scale) - round(5 * scale)


def screenshot(canvas: Image.Image, top: int, *, height: int = 2340,
               title: str = "信用飞客服", clock: str = "21:50") -> Image.Image:
    """A phone screenshot showing the canvas from `top`: status bar (clock, battery), title
    bar, the chat, and an empty input bar."""
    width = canvas.width
    scale = width / 1080
    status_h, title_h, input_h = round(90 * scale), round(140 * scale), round(170 * scale)
    shot = Image.new("RGB", (width, height), BACKGROUND)
    chat_h = height - status_h - title_h - input_h
    shot.paste(canvas.crop((0, top, width, min(top + chat_h, canvas.height))),
               (0, status_h + title_h))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, width, status_h + title_h), fill="#e5e5e5")
    status = cjk_font(round(36 * scale))
    draw.text((round(50 * scale), round(24 * scale)), clock, font=status, fill="#000000")
    draw.text((width - round(150 * scale), round(24 * scale)), "85%", font=status,
              fill="#000000")
    heading = cjk_font(round(50 * scale))
    draw.text(((width - heading.getlength(title)) / 2, status_h + round(40 * scale)), title,
              font=heading, fill="#000000")
    draw.rectangle((0, height - input_h, width, height), fill="#f7f7f7")
    draw.rounded_rectangle((round(130 * scale), height - input_h + round(35 * scale),
                            width - round(230 * scale), height - round(35 * scale)),
                           radius=round(10 * scale), fill=WHITE)
    return shot


def chat_height(height: int = 2340, width: int = 1080) -> int:
    """How much of the canvas one `screenshot` shows."""
    return height - round((90 + 140 + 170) * width / 1080)


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
