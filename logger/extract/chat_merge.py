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
    as [{"side", "time", "text", "sources": [evidence ids], "boxes": [box in each source]}]
    ("kind" kept where a segment has one). A screenshot that overlaps none of the others is
    appended in the order given (there is a gap in what was captured); the title repeated at
    the top of every screenshot (segments of kind "title"; in texts read before titles were
    marked, the leading segments without a side) is kept once, first."""
    parts = [_messages(evidence_id, segments) for evidence_id, segments in conversations]
    parts = [part for part in parts if part]
    if not parts:
        return []
    header: dict[str, dict] = {}
    merged, *rest = [_without_header(part, header) for part in parts]
    while rest:
        index, merged = _best_join(merged, rest)
        rest.pop(index)
    return list(header.values()) + merged


def _messages(evidence_id: int, segments: Sequence[Mapping[str, Any]]) -> list[dict]:
    messages = []
    for s in segments:
        # A time stamp that could not be read is not a message: one screenshot may show it
        # read (a time, no segment) and the other misread.
        if s.get("text") and s.get("kind") != "stamp":
            message = {"side": s.get("side"), "time": s.get("time"), "text": s["text"],
                       "sources": [evidence_id], "boxes": [s.get("box")]}
            if s.get("kind"):
                message["kind"] = s["kind"]
            messages.append(message)
    return messages


def _without_header(part: list[dict], header: dict[str, dict]) -> list[dict]:
    """`part` without its titles, which are added to `header` (updated in place): one entry
    per title text, with the sources of every screenshot that shows it."""
    titles = [m for m in part if m.get("kind") == "title"]
    if not any(m.get("kind") for m in part):   # read before titles were marked
        titles = _leading_unsided(part)
    for message in titles:
        key = _key(message["text"])
        header[key] = _combine(header[key], message) if key in header else message
    return [m for m in part if not any(m is title for title in titles)]


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
        found = [_match(a, b, first=i == 0, last=i == size - 1, others=size - 1)
                 for i, (a, b) in enumerate(pairs)]
        if all(found) and _convincing(pairs, found):
            return size
    return 0


def _match(a: dict, b: dict, *, first: bool, last: bool, others: int) -> str | None:
    """How one message seen in two screenshots matches: "same" text, "cut" (the first of the
    overlap shows only its end at the top of the later screenshot, the last only its
    beginning at the bottom of the earlier), "garbled" (what shows of a cut bubble was
    misread: a common end or beginning of MIN_OVERLAP_CHARS, only punctuation, or, with at
    least two other messages in the overlap, anything no longer than the whole), or None. No
    different sides (one whose side could not be told matches either) and no different
    times."""
    if (a["side"] and b["side"] and a["side"] != b["side"]) or \
            (a["time"] and b["time"] and a["time"] != b["time"]) or \
            a.get("kind") != b.get("kind"):
        return None
    text_a, text_b = _key(a["text"]), _key(b["text"])
    if text_a == text_b or (text_a and text_b and
                            SequenceMatcher(None, text_a, text_b).ratio() >= SAME_TEXT_RATIO):
        return "same"
    if text_a and text_b and ((first and text_a.endswith(text_b)) or
                              (last and text_b.startswith(text_a))):
        return "cut"
    if not (others and (first or last)):
        return None
    whole, shown = (text_a, text_b) if first else (text_b, text_a)
    ends = _common_end(whole, shown) if first else _common_end(whole[::-1], shown[::-1])
    if not shown or ends >= MIN_OVERLAP_CHARS or (others >= 2 and len(shown) <= len(whole)):
        return "garbled"
    return None


def _common_end(a: str, b: str) -> int:
    """How many characters `a` and `b` end with in common."""
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


def _convincing(pairs: list[tuple[dict, dict]], found: list[str | None]) -> bool:
    """Enough to prove an overlap: two messages read alike, or one of MIN_OVERLAP_CHARS."""
    clean = [pair for pair, how in zip(pairs, found, strict=True) if how != "garbled"]
    return len(clean) > 1 or (len(clean) == 1 and min(
        len(_key(clean[0][0]["text"])), len(_key(clean[0][1]["text"]))) >= MIN_OVERLAP_CHARS)


def _join(earlier: list[dict], later: list[dict], size: int) -> list[dict]:
    shared = []
    for i, (a, b) in enumerate(zip(earlier[-size:], later[:size], strict=True)):
        how = _match(a, b, first=i == 0, last=i == size - 1, others=size - 1)
        # A misread cut bubble: take the text from the screenshot that shows it whole.
        prefer = ("a" if i == 0 else "b") if how == "garbled" else None
        shared.append(_combine(a, b, prefer=prefer))
    return earlier[:-size] + shared + later[size:]


def _combine(a: dict, b: dict, *, prefer: str | None = None) -> dict:
    """One message from its two sightings: the fuller text (a cut bubble shows less) unless
    `prefer` names the sighting to take it from, the side and the time wherever one was
    shown, and both sources."""
    sources, boxes = list(a["sources"]), list(a["boxes"])
    for source, box in zip(b["sources"], b["boxes"], strict=True):
        if source not in sources:
            sources.append(source)
            boxes.append(box)
    if prefer is None:
        prefer = "a" if len(_key(a["text"])) >= len(_key(b["text"])) else "b"
    combined = {"side": a["side"] or b["side"], "time": a["time"] or b["time"],
                "text": a["text"] if prefer == "a" else b["text"],
                "sources": sources, "boxes": boxes}
    if a.get("kind"):
        combined["kind"] = a["kind"]
    return combined


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
