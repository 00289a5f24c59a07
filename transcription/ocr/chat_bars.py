"""The phone's bars around a chat: the status bar (clock, battery), the title bar (back arrow,
the contact's name, a menu) and the input bar (text box, voice, emoji, plus; sometimes a
half-typed draft or "按住 说话"). None of their text is a message.

The chat area is found in the pixels first (`chat_pixels.read_scene`: the rows between the bars,
whose sides show the chat's background). When the title bar has the chat's own colour and no
line under it (WeChat's light mode does this), the title is found from the text: the largest
line near the top that is centred, printed on a colour reaching the screen's sides (a bar, not
a bubble) and not a clock; everything on its row or above it belongs to the bars.
"""

from __future__ import annotations

from statistics import median

import numpy

from transcription.ocr.chat_pixels import Scene, same, surround
from transcription.ocr.chat_times import looks_like_stamp
from transcription.ocr.reader import TextLine

# The title's centre lies within this share of the width of the screen's middle, and within
# this many widths of the top.
TITLE_CENTRED, TITLE_REACH = 0.12, 0.3
# The status bar and the title bar together are at least this many widths tall.
BARS_LEAST = 0.12
# Without any bar found, a phone screenshot's status bar is its top share.
STATUS_BAR_SHARE = 0.05
# A line more than this share of its height outside the chat area was cut by a bar's edge:
# what shows of it cannot be read reliably.
CUT_SHARE = 0.2
# A line starting within EDGE_ROWS of its height from the chat area's edge and lower than
# CUT_HEIGHT of the usual line height shows only part of its glyphs.
EDGE_ROWS, CUT_HEIGHT = 0.5, 0.75


def split_bars(lines: list[TextLine], pixels: numpy.ndarray, scene: Scene
               ) -> tuple[TextLine | None, list[TextLine]]:
    """(the title line or None, the lines of the chat area) of a phone screenshot's lines
    (top to bottom). Lines in the bars and lines cut by their edges are left out."""
    height, width = pixels.shape[:2]
    top, bottom = scene.top, scene.bottom
    title = _title(lines, pixels, scene)
    if title is not None:
        band = [line for line in lines if _same_band(line, title)]
        top = max(top, max(line.box[3] for line in band) + 1)
    elif not scene.top_seen:
        top = max(top, round(STATUS_BAR_SHARE * height))
    inside = [line for line in lines if _inside(line, top, bottom)]
    if inside:
        usual = median(line.height for line in inside)
        inside = [line for line in inside if not _cut(line, top, bottom, usual)]
    return title, inside


def _title(lines: list[TextLine], pixels: numpy.ndarray, scene: Scene) -> TextLine | None:
    width = pixels.shape[1]
    # A bar found lower than a status bar alone reaches holds the title; else look further.
    reach = scene.top if scene.top >= BARS_LEAST * width else TITLE_REACH * width
    found = None
    for line in lines:
        if line.centre_y > reach:
            continue
        centre_x = (line.box[0] + line.box[2]) / 2
        if abs(centre_x - width / 2) > TITLE_CENTRED * width or looks_like_stamp(line.text):
            continue
        if _on_a_bar(pixels, line) and (found is None or line.height > found.height):
            found = line   # the title's type is the largest (a notice under the bar is smaller)
    return found


def _on_a_bar(pixels: numpy.ndarray, line: TextLine) -> bool:
    """The colour around the text reaches both sides of the screen on its row (a bar does; a
    bubble ends before its avatar and the margin)."""
    colour = surround(pixels, line.box)
    row = pixels[min(pixels.shape[0] - 1, max(0, round(line.centre_y)))]
    return same(row[2], colour, 10) and same(row[-3], colour, 10)


def _same_band(line: TextLine, title: TextLine) -> bool:
    overlap = min(line.box[3], title.box[3]) - max(line.box[1], title.box[1])
    return overlap >= 0.4 * min(line.height, title.height)


def _cut(line: TextLine, top: int, bottom: int, usual: float) -> bool:
    """A line at the edge of the chat area, lower than lines usually are: glyphs the bar cuts
    off, read as something else (a time stamp read whole is kept: it is read right)."""
    at_edge = line.box[1] < top + EDGE_ROWS * usual or line.box[3] > bottom - EDGE_ROWS * usual
    return at_edge and line.height < CUT_HEIGHT * usual and not looks_like_stamp(line.text)


def _inside(line: TextLine, top: int, bottom: int) -> bool:
    outside = max(0, top - line.box[1]) + max(0, line.box[3] - bottom)
    return outside <= CUT_SHARE * max(1, line.height)
