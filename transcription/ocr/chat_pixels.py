"""What the pixels of a chat screenshot say around its text: the chat's background colour, where
the chat area lies between the phone's bars, the colour of the bubble a line is printed on and
how far that bubble reaches, and whether an avatar sits beside it.

Everything here compares colours with a tolerance, so JPEG noise and anti-aliasing do not
matter, and everything works on the upright RGB pixels as a numpy array (rows, columns, 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

# Two colours are the same when no channel differs by more than this (WeChat's input bar
# differs from the chat's background by 10, its white bubbles by 18).
SAME_COLOUR = 6
# A bubble's colour ends where a pixel differs from it by more than this in some channel.
EDGE_CONTRAST = 10
# A bubble's colour ends at a run of this many pixels of another colour.
EDGE_RUN = 3
# Glyphs' anti-aliased edges (and JPEG's ringing around them) may lie this share of the line's
# height outside the box the reader gives; bubbles pad their text by about half of it.
GLYPH_BLEED = 0.15
# Columns this far in from each side of the screen show the background wherever the chat is;
# bubbles and avatars keep a margin.
EDGE_COLUMNS = (1, 7)
# The bars lie within this many widths of the top or of the bottom of a phone screenshot.
BAR_REACH = 0.4
# A tail sticks out at least this share of a line height beyond the bubble's edge, over this
# many line heights of rows (a few pixels' shade along the edge is not one).
TAIL_DEPTH, TAIL_ROWS = 0.1, (0.06, 0.8)
# A bubble colour at least this saturated (largest minus smallest channel) is a coloured
# bubble (WeChat's green); below NEUTRAL it is white or grey.
COLOURED, NEUTRAL = 40, 20


@dataclass(frozen=True)
class Scene:
    """The chat's `background` colour and the rows `top`..`bottom` of the chat area (the whole
    image when no bar was seen); `top_seen`/`bottom_seen` say whether a bar was found there."""

    background: numpy.ndarray
    top: int
    bottom: int
    top_seen: bool
    bottom_seen: bool


def same(a: numpy.ndarray, b: numpy.ndarray, tolerance: int = SAME_COLOUR) -> bool:
    return distance(a, b) <= tolerance


def distance(a: numpy.ndarray, b: numpy.ndarray) -> float:
    """The largest difference of one channel between two colours."""
    return float(numpy.abs(a.astype(numpy.int16) - b.astype(numpy.int16)).max())


def contrast_with(colour: numpy.ndarray, background: numpy.ndarray) -> float:
    """How far a pixel may differ from a bubble's `colour` and still be the bubble: EDGE_CONTRAST,
    less for a bubble barely lighter than the background (white on #f5f5f5), so the background
    is never taken for the bubble."""
    return min(EDGE_CONTRAST, max(3.0, distance(colour, background) / 2))


def read_scene(pixels: numpy.ndarray, *, phone: bool) -> Scene:
    """The background (the commonest colour at the screen's sides in the middle rows) and,
    on a phone screenshot, the chat area: the rows between the last row near the top and the
    first row near the bottom whose sides are not the background (a bar, or the line under
    it)."""
    height, width = pixels.shape[:2]
    sides = _side_colours(pixels)
    middle = sides[height // 4: max(height // 4 + 1, 3 * height // 4)]
    background = commonest(middle.reshape(-1, 3))
    top, bottom, top_seen, bottom_seen = 0, height, False, False
    if phone:
        differs = numpy.abs(sides.astype(numpy.int16) - background).max(axis=2).max(axis=1) \
            > SAME_COLOUR
        reach = min(height // 2, round(BAR_REACH * width))
        above = numpy.flatnonzero(differs[:reach])
        if above.size:
            top, top_seen = int(above[-1]) + 1, True
        below = numpy.flatnonzero(differs[height - reach:])
        if below.size:
            bottom, bottom_seen = height - reach + int(below[0]), True
    return Scene(background, top, bottom, top_seen, bottom_seen)


def _side_colours(pixels: numpy.ndarray) -> numpy.ndarray:
    """Per row, the median colour of a few columns near the left side and near the right
    side: (rows, 2, 3)."""
    first, last = EDGE_COLUMNS
    width = pixels.shape[1]
    left = numpy.median(pixels[:, first:last], axis=1)
    right = numpy.median(pixels[:, width - last:width - first], axis=1)
    return numpy.stack([left, right], axis=1).astype(numpy.int16)


def commonest(colours: numpy.ndarray) -> numpy.ndarray:
    """The mean of the most frequent colour (in steps of 8, which JPEG noise stays within)."""
    colours = colours.reshape(-1, 3)
    steps = (colours // 8).astype(numpy.int32)
    codes = (steps[:, 0] << 10) | (steps[:, 1] << 5) | steps[:, 2]
    return colours[codes == numpy.bincount(codes).argmax()].mean(axis=0)


def surround(pixels: numpy.ndarray, box: tuple[int, int, int, int]) -> numpy.ndarray:
    """The colour a line of text is printed on: the commonest colour inside its box."""
    x0, y0, x1, y1 = _clip(pixels, box)
    return commonest(pixels[y0:y1 + 1, x0:x1 + 1])


def edges(pixels: numpy.ndarray, box: tuple[int, int, int, int], colour: numpy.ndarray,
          contrast: float = EDGE_CONTRAST) -> tuple[int, int]:
    """The left and right edges (x) of the area of `colour` around the text in `box`: how far
    it reaches out from the box either way (starting a little outside it, clear of the glyphs'
    edges), the median of five rows of the text (a bubble's tail, beside one or two of them,
    does not widen it); the image's sides for text on the background."""
    x0, y0, x1, y1 = _clip(pixels, box)
    width = pixels.shape[1]
    bleed = max(2, round(GLYPH_BLEED * (y1 - y0)))
    x0, x1 = max(0, x0 - bleed), min(width - 1, x1 + bleed)
    lefts, rights = [], []
    for share in (0.2, 0.35, 0.5, 0.65, 0.8):
        line = pixels[round(y0 + share * (y1 - y0))].astype(numpy.int16)
        differs = numpy.abs(line - colour).max(axis=1) > contrast
        # The colour ends where a run of other pixels starts (JPEG rings around glyphs in
        # single pixels).
        runs = differs.copy()
        for step in range(1, EDGE_RUN):
            runs[:-step] &= differs[step:]
        ends = runs.copy()
        for step in range(1, EDGE_RUN):
            ends[step:] |= runs[:-step]
        before, after = numpy.flatnonzero(ends[:x0 + 1]), numpy.flatnonzero(ends[x1:])
        lefts.append(int(before[-1]) + 1 if before.size else 0)
        rights.append(x1 + int(after[0]) if after.size else width)
    return int(numpy.median(lefts)), int(numpy.median(rights))


def filled(pixels: numpy.ndarray, x: int, rows: tuple[int, int], colour: numpy.ndarray,
           contrast: float = EDGE_CONTRAST) -> bool:
    """Whether every pixel of column `x` between `rows` is `colour` (two lines of one bubble
    have its colour between them; two bubbles have the background)."""
    y0, y1 = rows
    if y1 <= y0:
        return True
    column = pixels[y0:y1, x].astype(numpy.int16)
    return bool((numpy.abs(column - colour).max(axis=1) <= contrast).all())


def tint(colour: numpy.ndarray) -> str | None:
    """"coloured" (WeChat's green, any saturated colour), "neutral" (white, grey), or None in
    between."""
    spread = float(colour.max() - colour.min())
    if spread >= COLOURED:
        return "coloured"
    if spread < NEUTRAL:
        return "neutral"
    return None


def avatar_beside(pixels: numpy.ndarray, rows: tuple[int, int], span: tuple[int, int],
                  background: numpy.ndarray, size: float) -> bool:
    """Whether a picture at least `size` pixels wide lies in columns `span` over `rows`: that
    many columns (not necessarily together: a face has a lighter middle) differ from the
    background in most of the rows."""
    (y0, y1), (x0, x1) = rows, span
    if y1 - y0 < 2 or x1 - x0 < size:
        return False
    block = pixels[y0:y1, x0:x1].astype(numpy.int16)
    differs = numpy.abs(block - background).max(axis=2) > EDGE_CONTRAST
    return int((differs.mean(axis=0) > 0.6).sum()) >= size


def tail_beside(pixels: numpy.ndarray, rows: tuple[int, int], reach: tuple[int, int],
                colour: numpy.ndarray, size: float, contrast: float = EDGE_CONTRAST
                ) -> str | None:
    """"left" or "right": the side where the bubble (`reach`: its left and right edges) has a
    tail, a short run of rows over `rows` where its colour sticks out beyond that edge; None
    when neither or both."""
    (y0, y1), (left, right) = rows, reach
    depth = max(2, round(TAIL_DEPTH * size))
    width = pixels.shape[1]
    found = []
    for side, x0, x1 in (("left", left - depth, left), ("right", right, right + depth)):
        if x0 < 0 or x1 > width or y1 - y0 < 2:
            continue
        block = pixels[y0:y1, x0:x1].astype(numpy.int16)
        matches = (numpy.abs(block - colour).max(axis=2) <= contrast).mean(axis=1) > 0.6
        count = int(matches.sum())
        if TAIL_ROWS[0] * size <= count <= TAIL_ROWS[1] * size:
            found.append(side)
    return found[0] if len(found) == 1 else None


def _clip(pixels: numpy.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    height, width = pixels.shape[:2]
    x0, y0, x1, y1 = box
    return (min(max(0, x0), width - 1), min(max(0, y0), height - 1),
            min(max(0, x1), width - 1), min(max(0, y1), height - 1))
