"""A chat screenshot's text lines turned into messages: who sent each one, when, and what it says.

Every chat app draws the same layout: the other party's bubbles against the left edge, the
user's against the right, and time stamps and notices ("对方撤回了一条消息") centred between
them. Text inside a bubble is left-aligned whichever side the bubble is on, so the lines of one
bubble share their left edge and sit closer together than two bubbles do. `chat_segments`
groups the lines into bubbles that way, finds each bubble's edges in the pixels (as far as its
colour reaches on either side of the text: the text alone would put a short last line of a
right-hand bubble cut by the screen's edge on the left), tells the side by which edge the
bubble hugs, and gives each message the time of the stamp above it (None before the first
stamp). The phone's status bar (clock, battery) is dropped; the title bar (the contact's name)
and centred notices are kept as messages without a side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

import numpy
from PIL.Image import Image

from logger.record.evidence import iso
from transcription.ocr.chat_times import parse_stamp
from transcription.ocr.reader import TextLine, is_cjk, rows

# A group whose left and right margins differ by less than this share of the width is centred.
CENTRED_SHARE = 0.05
# Lines of one bubble: at most this many line heights apart vertically, and left edges within
# this many line heights of each other.
LINE_GAP, EDGE_SLACK = 0.6, 0.6
# A phone screenshot is at least this many widths tall; its status bar is the top share.
PHONE_RATIO, STATUS_BAR_SHARE = 1.6, 0.05
# A bubble's colour ends where a pixel differs from it by more than this in some channel (white
# bubbles on WeChat's light grey differ by 18).
EDGE_CONTRAST = 10


@dataclass
class Bubble:
    lines: list[TextLine]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (min(line.box[0] for line in self.lines), min(line.box[1] for line in self.lines),
                max(line.box[2] for line in self.lines), max(line.box[3] for line in self.lines))

    @property
    def text(self) -> str:
        """The lines joined as the bubble wraps them: nothing between Chinese, a space
        between Latin words."""
        text = self.lines[0].text
        for line in self.lines[1:]:
            text += ("" if is_cjk(text[-1]) or is_cjk(line.text[0]) else " ") + line.text
        return text


def chat_segments(lines: list[TextLine], image: Image, *, reference: datetime) -> list[dict]:
    """The messages of the chat screenshot `image` (upright RGB) whose text `lines` were
    found, top to bottom, as stored: {"side": "them" | "me" | None, "time": ISO time or None,
    "text", "box"}. `reference` (aware, in the user's time zone) is when the screenshot was
    taken; relative stamps ("昨天 21:47") resolve against it."""
    pixels = numpy.asarray(image)
    messages, current = [], None
    for bubble in bubbles(_without_status_bar(rows(lines), image.width, image.height)):
        side = bubble_side(pixels, bubble)
        if side is None and len(bubble.lines) == 1:
            stamp = parse_stamp(bubble.text, reference)
            if stamp is not None:
                current = stamp
                continue
        messages.append({"side": side, "time": iso(current), "text": bubble.text,
                         "box": list(bubble.box)})
    return messages


def _without_status_bar(lines: list[TextLine], width: int, height: int) -> list[TextLine]:
    if height < PHONE_RATIO * width:
        return lines
    return [line for line in lines if line.box[3] > STATUS_BAR_SHARE * height]


def bubbles(lines: list[TextLine]) -> list[Bubble]:
    """Lines (top to bottom) grouped into bubbles: a line joins the bubble above it when it
    starts at the same left edge and follows closely."""
    groups: list[Bubble] = []
    for line in lines:
        if groups and _continues(groups[-1].lines[-1], line):
            groups[-1].lines.append(line)
        else:
            groups.append(Bubble([line]))
    return groups


def _continues(above: TextLine, line: TextLine) -> bool:
    size = median([above.height, line.height])
    gap = line.box[1] - above.box[3]
    return gap < LINE_GAP * size and abs(line.box[0] - above.box[0]) < EDGE_SLACK * size


def bubble_side(pixels: numpy.ndarray, bubble: Bubble) -> str | None:
    """"them" for a bubble nearer the left edge, "me" for one nearer the right, None for one
    in the middle (a time stamp, a notice, the title)."""
    width = pixels.shape[1]
    left, right = bubble_edges(pixels, bubble.lines[0].box)
    left_margin, right_margin = left, width - right
    if abs(left_margin - right_margin) < CENTRED_SHARE * width:
        return None
    return "them" if left_margin < right_margin else "me"


def bubble_edges(pixels: numpy.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int]:
    """The left and right edges (x) of the bubble around the text in `box`: on the text's
    middle row, as far as the bubble's colour (the commonest colour between the glyphs) reaches
    out from the text box either way (to the image's edges for text on the background)."""
    width = pixels.shape[1]
    row = pixels[(box[1] + box[3]) // 2].astype(numpy.int16)
    x0, x1 = max(0, box[0]), min(width - 1, box[2])
    differs = numpy.abs(row - _commonest(row[x0:x1 + 1])).max(axis=1) > EDGE_CONTRAST
    before, after = numpy.flatnonzero(differs[:x0 + 1]), numpy.flatnonzero(differs[x1:])
    left = int(before[-1]) + 1 if before.size else 0
    right = x1 + int(after[0]) if after.size else width
    return left, right


def _commonest(colours: numpy.ndarray) -> numpy.ndarray:
    """The mean of the most frequent colour (in steps of 8, which JPEG noise stays within)."""
    steps = colours // 8
    values, counts = numpy.unique(steps, axis=0, return_counts=True)
    return colours[(steps == values[counts.argmax()]).all(axis=1)].mean(axis=0)
