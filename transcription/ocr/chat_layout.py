"""A chat screenshot's text lines turned into messages: who sent each one, when, and what it says.

Every chat app draws the same layout: the other party's bubbles on the left, each beside their
avatar, the user's on the right beside the user's, and time stamps and notices ("对方撤回了一条
消息") centred on the background between them, under a title bar and above an input bar. The
bars are set apart first (`chat_bars`). A line's bubble is the colour it is printed on; lines of
one bubble share that colour and its edges, with the colour between them (`chat_pixels`).

A bubble's side is decided from what a person sees, each a separate cue: the avatar beside it
(left or right), the tail it points with, its margins (a bubble hugs its own side, unless it is
as wide as a bubble can be), and its colour (WeChat's green, like any coloured bubble, is the
user's; white or grey is the other party's). The side is given only when the cues agree; when
the shapes (avatar, tail, margins) disagree, or the colour contradicts them, or the colour is
the only cue and the bubble is not full width, it stays None (unknown): for evidence a wrong
side is worse than a missing one. Text on a small patch of colour level with a bubble, between
it and the screen's side, is an avatar read as text ("赵", a face read as "日"), not a message.
A message takes the time of the stamp above it (None before the first stamp, and after a stamp
that cannot be read).

Segments, top to bottom: the title {"kind": "title", "side": None, "time": None, "text", "box"},
then {"kind": "message", "side": "them" | "me" | None, "time": ISO or None, "text", "box"}
per message,
{"kind": "notice", ...} for text on the background that is not a time stamp, and
{"kind": "stamp", ...} for a time stamp that could not be read (a read one is the messages'
"time", not a segment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

import numpy
from PIL.Image import Image

from logger.record.evidence import iso
from transcription.ocr.chat_bars import split_bars
from transcription.ocr.chat_pixels import (EDGE_COLUMNS, EDGE_CONTRAST, Scene, avatar_beside,
                                           contrast_with, edges, filled, read_scene, same,
                                           surround, tail_beside, tint)
from transcription.ocr.chat_times import looks_like_stamp, parse_stamp
from transcription.ocr.reader import TextLine, is_cjk, rows

# A bubble whose left and right margins differ by less than this share of the width is as wide
# as a bubble can be (or centred): its margins tell no side.
CENTRED_SHARE = 0.05
# A stamp's centre lies within this share of the width of the middle.
STAMP_CENTRED = 0.08
# Only a bubble at least this share of the width wide may take its side from its colour alone
# (a narrow centred shade is a notice or a stamp's background, not a message).
WIDE_SHARE = 0.5
# Lines of one bubble: at most this many line heights apart, edges within EDGE_SLACK line
# heights. Lines on the background (notices) group as text does: same left edge, LINE_GAP apart.
BUBBLE_GAP, EDGE_SLACK, LINE_GAP = 1.2, 0.35, 0.6
# An avatar is at least this many line heights wide (WeChat's are about two), looked for from
# this far above the bubble's first line to this far below its top, beyond a tail's reach.
AVATAR_SIZE, AVATAR_ROWS, TAIL_REACH = 0.8, (0.4, 0.9), 0.3
# A tail is looked for from this far above the first line's top to this far below it.
TAIL_ROWS_AROUND = (0.6, 1.2)
# A line on a patch of colour at most this many of its line heights wide, level with a bubble's
# line and at most AVATAR_GAP of that line's heights outside it, is an avatar's.
AVATAR_WIDEST, AVATAR_GAP = 4, 1.5
# A phone screenshot is at least this many widths tall: it has bars.
PHONE_RATIO = 1.6


@dataclass
class Bubble:
    lines: list[TextLine]
    colour: numpy.ndarray | None   # None: text on the background
    left: int
    right: int
    contrast: float = EDGE_CONTRAST   # how far a pixel may differ from `colour` (chat_pixels)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (min(line.box[0] for line in self.lines), min(line.box[1] for line in self.lines),
                max(line.box[2] for line in self.lines), max(line.box[3] for line in self.lines))

    @property
    def size(self) -> float:
        return median(line.height for line in self.lines)

    @property
    def text(self) -> str:
        """The lines joined as the bubble wraps them: nothing between Chinese, a space
        between Latin words."""
        text = self.lines[0].text
        for line in self.lines[1:]:
            text += ("" if is_cjk(text[-1]) or is_cjk(line.text[0]) else " ") + line.text
        return text


def chat_segments(lines: list[TextLine], image: Image, *, reference: datetime) -> list[dict]:
    """The segments of the chat screenshot `image` (upright RGB) whose text `lines` were
    found, top to bottom, as stored (see the module's docstring). `reference` (aware, in the
    user's time zone) is when the screenshot was taken; relative stamps ("昨天 21:47") resolve
    against it."""
    pixels = numpy.asarray(image)
    height, width = pixels.shape[:2]
    phone = height >= PHONE_RATIO * width
    scene = read_scene(pixels, phone=phone)
    joined = rows(lines, joinable=lambda a, b: _one_surface(pixels, a, b))
    title, inside = split_bars(joined, pixels, scene) if phone else (None, joined)
    segments = []
    if title is not None:
        segments.append({"kind": "title", "side": None, "time": None, "text": title.text,
                         "box": list(title.box)})
    current = None
    for bubble in bubbles(inside, pixels, scene):
        text, box = bubble.text, list(bubble.box)
        if len(bubble.lines) == 1 and _centred(bubble, width, STAMP_CENTRED):
            stamp = parse_stamp(text, reference)
            if stamp is not None:
                current = stamp
                continue
            if bubble.colour is None and looks_like_stamp(text):
                current = None   # a misread stamp: the time below it is unknown
                segments.append({"kind": "stamp", "side": None, "time": None, "text": text,
                                 "box": box})
                continue
        if bubble.colour is None:
            segments.append({"kind": "notice", "side": None, "time": iso(current),
                             "text": text, "box": box})
        else:
            segments.append({"kind": "message", "side": bubble_side(pixels, bubble, scene),
                             "time": iso(current), "text": text, "box": box})
    return segments


def _one_surface(pixels: numpy.ndarray, left: TextLine, right: TextLine) -> bool:
    """Two pieces of one printed row belong together only when printed on one colour (an
    avatar's initial beside a bubble is not part of its text) and less than a line height
    apart (the back arrow's label is not part of the title)."""
    return right.box[0] - left.box[2] < max(left.height, right.height) and \
        same(surround(pixels, left.box), surround(pixels, right.box), 10)


def bubbles(lines: list[TextLine], pixels: numpy.ndarray, scene: Scene) -> list[Bubble]:
    """Lines (top to bottom) grouped into bubbles: a line joins a bubble just above it that
    has its colour and its edges, with that colour all the way between them; lines on the
    background join the one above them at the same left edge. Avatars read as text are left
    out."""
    found = []
    for line in lines:
        colour = surround(pixels, line.box)
        if same(colour, scene.background):
            colour = None
        contrast = EDGE_CONTRAST if colour is None else contrast_with(colour, scene.background)
        left, right = edges(pixels, line.box, colour if colour is not None
                            else scene.background, contrast)
        found.append(Bubble([line], colour, left, right, contrast))
    width = pixels.shape[1]
    groups: list[Bubble] = []
    for piece in found:
        if _an_avatar(piece, found, width):
            continue
        line, colour = piece.lines[0], piece.colour
        for group in reversed(groups[-3:]):
            if _continues(pixels, group, line, colour, (piece.left, piece.right)):
                group.lines.append(line)
                group.left, group.right = max(group.left, piece.left), \
                    min(group.right, piece.right)
                break
        else:
            groups.append(piece)
    return sorted(groups, key=lambda group: (group.box[1], group.box[0]))


def _an_avatar(piece: Bubble, pieces: list[Bubble], width: int) -> bool:
    """A picture read as text (an initial, a face read as "日"): a line of one or two
    characters on a small patch of colour (or, not centred, on the background around the
    picture), level with a line of a bubble and between it and the screen's side."""
    x0, y0, x1, y1 = piece.box
    reach = (piece.right - piece.left) if piece.colour is not None else x1 - x0
    if len(piece.text.strip()) > 2 or reach > AVATAR_WIDEST * piece.size or \
            (piece.colour is None and _centred(piece, width, STAMP_CENTRED)):
        return False
    middle = (x0 + x1) / 2
    on_left = middle < width / 2
    for other in pieces:
        if other is piece or other.colour is None:
            continue
        top, bottom = other.box[1] - other.size / 2, other.box[3]
        # Outside the bubble (the reader's box of a picture may overlap the tail) and near it.
        outside = middle < other.left if on_left else middle > other.right
        apart = other.left - x1 if on_left else x0 - other.right
        if min(y1, bottom) - max(y0, top) > 0 and outside and apart <= AVATAR_GAP * other.size:
            return True
    return False


def _continues(pixels: numpy.ndarray, group: Bubble, line: TextLine,
               colour: numpy.ndarray | None, reach: tuple[int, int]) -> bool:
    above = group.lines[-1]
    size = max(above.height, line.height)   # a last line of only "。" is short
    gap = line.box[1] - above.box[3]
    if (group.colour is None) != (colour is None):
        return False
    if colour is None:
        # Text on the background: a notice wrapped onto two lines (left-aligned or centred);
        # a time stamp stands alone, never part of a notice.
        if looks_like_stamp(above.text) or looks_like_stamp(line.text):
            return False
        aligned = min(abs(line.box[0] - above.box[0]),
                      abs(line.box[0] + line.box[2] - above.box[0] - above.box[2]) / 2)
        return gap < LINE_GAP * size and aligned < EDGE_SLACK * size * 2
    if not same(group.colour, colour, 10) or not -0.3 * size < gap < BUBBLE_GAP * size:
        return False
    if abs(reach[0] - group.left) > EDGE_SLACK * size or \
            abs(reach[1] - group.right) > EDGE_SLACK * size:
        return False
    inner = (max(group.left, reach[0]) + min(above.box[0], line.box[0])) // 2
    return filled(pixels, inner, (above.box[3], line.box[1]), colour, group.contrast)


def bubble_side(pixels: numpy.ndarray, bubble: Bubble, scene: Scene) -> str | None:
    """"them" or "me" when the cues a person reads agree, else None (see the module's
    docstring)."""
    width = pixels.shape[1]
    margins = None
    left_margin, right_margin = bubble.left, width - bubble.right
    if abs(left_margin - right_margin) >= CENTRED_SHARE * width:
        margins = "them" if left_margin < right_margin else "me"
    shade = tint(bubble.colour)
    colour = {"coloured": "me", "neutral": "them"}.get(shade) if shade else None
    placed = {cue for cue in (_avatar_side(pixels, bubble, scene), _tail_side(pixels, bubble),
                              margins) if cue}
    if len(placed) > 1:   # the shapes disagree
        return None
    if not placed:
        return colour if bubble.right - bubble.left >= WIDE_SHARE * width else None
    side = placed.pop()
    return side if colour is None or colour == side else None


def _avatar_side(pixels: numpy.ndarray, bubble: Bubble, scene: Scene) -> str | None:
    """Which side of the bubble's first line an avatar is on (None: neither or both)."""
    first, size = bubble.lines[0], bubble.size
    top = max(scene.top, round(first.box[1] - AVATAR_ROWS[0] * size))
    bottom = min(scene.bottom, round(first.box[1] + AVATAR_ROWS[1] * size))
    width = pixels.shape[1]
    tail = round(TAIL_REACH * size)
    found = [side for side, span in (("them", (EDGE_COLUMNS[1], bubble.left - tail)),
                                     ("me", (bubble.right + tail, width - EDGE_COLUMNS[1])))
             if avatar_beside(pixels, (top, bottom), span, scene.background, AVATAR_SIZE * size)]
    return found[0] if len(found) == 1 else None


def _tail_side(pixels: numpy.ndarray, bubble: Bubble) -> str | None:
    """Which side the bubble's tail points to (WeChat draws it level with the first line)."""
    first, size = bubble.lines[0], bubble.size
    rows = (max(0, round(first.box[1] - TAIL_ROWS_AROUND[0] * size)),
            round(first.box[1] + TAIL_ROWS_AROUND[1] * size))
    tail = tail_beside(pixels, rows, (bubble.left, bubble.right), bubble.colour, size,
                       bubble.contrast)
    return {"left": "them", "right": "me"}.get(tail or "")


def _centred(bubble: Bubble, width: int, share: float) -> bool:
    x0, _, x1, _ = bubble.box
    return abs((x0 + x1) / 2 - width / 2) < share * width
