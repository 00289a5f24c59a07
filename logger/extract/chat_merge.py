"""One conversation from several overlapping screenshots of it (a chat scrolled and captured
screen by screen).

Each screenshot's OCR segments are its messages top to bottom ({"side", "time", "text",
"box"}, see transcription/ocr/chat_layout.py). Two screenshots overlap where the last messages of
one are the first messages of the other: same sides, same text (compared without spaces or
punctuation, allowing a small OCR difference), and no conflicting time. The bubble cut by the
edge of a screen counts too: the top one shows only the end of its text, the bottom one only
the beginning. Screenshots may arrive in any order; the merge keeps every message once and
says which screenshots show it. Pure functions, so the web page can call them without OCR.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

# Below this many characters in common, a one-message overlap ("好的") proves nothing.
MIN_OVERLAP_CHARS = 4
SAME_TEXT_RATIO = 0.9


def merge_conversations(conversations: Sequence[tuple[int, Sequence[Mapping[str, Any]]]]
                        ) -> list[dict]:
    """The messages of all `conversations` ((evidence id, segments) each), overlaps merged,
    as [{"side", "time", "text", "sources": [evidence ids], "boxes": [box in each source]}].
    A screenshot that overlaps none of the others is appended in the order given (there is a
    gap in what was captured); the title bar repeated at the top of every screenshot (the
    leading messages without a side) is kept once."""
    parts = [_messages(evidence_id, segments) for evidence_id, segments in conversations]
    parts = [part for part in parts if part]
    if not parts:
        return []
    header = {_key(m["text"]): m for m in _leading_unsided(parts[0])}
    merged, *rest = [_without_header(part, header) for part in parts]
    while rest:
        index, merged = _best_join(merged, rest)
        rest.pop(index)
    return list(header.values()) + merged


def _messages(evidence_id: int, segments: Sequence[Mapping[str, Any]]) -> list[dict]:
    return [{"side": s.get("side"), "time": s.get("time"), "text": s["text"],
             "sources": [evidence_id], "boxes": [s.get("box")]}
            for s in segments if s.get("text")]


def _without_header(part: list[dict], header: dict[str, dict]) -> list[dict]:
    """`part` without its leading messages that repeat the header; their sources are added
    to the header's (updated in place)."""
    start = 0
    for message in _leading_unsided(part):
        key = _key(message["text"])
        if key not in header:
            break
        header[key] = _combine(header[key], message)
        start += 1
    return part[start:]


def _leading_unsided(part: list[dict]) -> list[dict]:
    leading = []
    for message in part:
        if message["side"] is not None:
            break
        leading.append(message)
    return leading


def _best_join(merged: list[dict], rest: list[list[dict]]) -> tuple[int, list[dict]]:
    """The screenshot among `rest` that overlaps `merged` most (after it or before it), and
    the conversation with it joined in; the first of `rest` appended when none overlaps."""
    best: tuple[int, int, list[dict]] | None = None
    for index, part in enumerate(rest):
        for earlier, later in ((merged, part), (part, merged)):
            size = _overlap(earlier, later)
            if size and (best is None or size > best[0]):
                best = (size, index, _join(earlier, later, size))
    if best is None:
        return 0, merged + rest[0]
    return best[1], best[2]


def _overlap(earlier: list[dict], later: list[dict]) -> int:
    """How many messages at the end of `earlier` are the first ones of `later` (0: none)."""
    for size in range(min(len(earlier), len(later)), 0, -1):
        pairs = list(zip(earlier[-size:], later[:size], strict=True))
        if all(_same(a, b, first=i == 0, last=i == size - 1) for i, (a, b) in enumerate(pairs)) \
                and _convincing(pairs):
            return size
    return 0


def _same(a: dict, b: dict, *, first: bool, last: bool) -> bool:
    """One message seen in two screenshots. The first of the overlap may be cut at the top of
    the later screenshot, the last one at the bottom of the earlier."""
    if a["side"] != b["side"] or (a["time"] and b["time"] and a["time"] != b["time"]):
        return False
    text_a, text_b = _key(a["text"]), _key(b["text"])
    if not text_a or not text_b:
        return text_a == text_b
    if SequenceMatcher(None, text_a, text_b).ratio() >= SAME_TEXT_RATIO:
        return True
    return (first and text_a.endswith(text_b)) or (last and text_b.startswith(text_a))


def _convincing(pairs: list[tuple[dict, dict]]) -> bool:
    return len(pairs) > 1 or min(len(_key(pairs[0][0]["text"])),
                                 len(_key(pairs[0][1]["text"]))) >= MIN_OVERLAP_CHARS


def _join(earlier: list[dict], later: list[dict], size: int) -> list[dict]:
    shared = [_combine(a, b) for a, b in zip(earlier[-size:], later[:size], strict=True)]
    return earlier[:-size] + shared + later[size:]


def _combine(a: dict, b: dict) -> dict:
    """One message from its two sightings: the fuller text (a cut bubble shows less), the time
    wherever one was shown, and both sources."""
    sources, boxes = list(a["sources"]), list(a["boxes"])
    for source, box in zip(b["sources"], b["boxes"], strict=True):
        if source not in sources:
            sources.append(source)
            boxes.append(box)
    text = a["text"] if len(_key(a["text"])) >= len(_key(b["text"])) else b["text"]
    return {"side": a["side"], "time": a["time"] or b["time"], "text": text,
            "sources": sources, "boxes": boxes}


def _key(text: str) -> str:
    """Text as compared: full-width forms made half-width, lower case, without whitespace,
    punctuation or symbols (OCR reads those least consistently)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def conversation_around(start: int, conversations: Sequence[tuple[int, Sequence[Mapping[str, Any]]]]
                        ) -> list[int]:
    """The screenshots that belong to one conversation with `start`: those whose messages
    overlap it, or overlap one that does, in the order given. Just [start] when none does."""
    segments = dict(conversations)

    def said(messages: Sequence[Mapping[str, Any]]) -> int:
        # Only messages with a side count: a title bar repeated on each is no overlap.
        return sum(1 for m in messages if m.get("side") in ("them", "me"))

    sizes = {evidence_id: said(_messages(evidence_id, segs)) for evidence_id, segs in
             conversations}
    group, frontier = [start], [start]
    while frontier:
        current = frontier.pop()
        for other in segments:
            if other in group or not sizes[other] or not sizes[current]:
                continue
            joined = merge_conversations([(current, segments[current]),
                                          (other, segments[other])])
            if said(joined) < sizes[current] + sizes[other]:
                group.append(other)
                frontier.append(other)
    order = [evidence_id for evidence_id, _ in conversations]
    return sorted(group, key=order.index)
