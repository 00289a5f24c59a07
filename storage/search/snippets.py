"""What a hit shows: the hit itself, the snippet around its first match, and the segment of a
text (a line of a transcript, a chat message) that holds the match. Plain Python over the text
a query found; no SQL here."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

NOTE_SOURCE = "note"
METADATA_SOURCE = "metadata"
# Between the metadata fields in the searched string: a query word never holds whitespace, so it
# cannot match across two fields. Shown as METADATA_JOINER.
METADATA_SEPARATOR = "\n"
METADATA_JOINER = " · "
SNIPPET_CHARS = 80


# A piece of a snippet and whether it is a match: a caller marks matches its own way (the CLI
# with [brackets], the web app with <mark> after escaping the text).
Fragment = tuple[str, bool]


@dataclass(frozen=True)
class SearchHit:
    evidence_id: int
    negotiation_id: int
    source: str  # "note", "metadata" or a TextSource value
    fragments: tuple[Fragment, ...]  # the text around the match
    text_id: int | None = None  # the ExtractedText row, for a hit in extracted text
    # For a hit in extracted text: whether it is the newest of its item's texts of its source
    # (a correction or a new transcription is newer than what it replaces), the segment
    # holding the match (locate_segment; None: none found) and, in a transcript, the second
    # that segment starts at.
    newest: bool = True
    segment: int | None = None
    start: float | None = None

    @property
    def snippet(self) -> str:
        """The snippet as one string, each match marked [like this]."""
        return "".join(f"[{text}]" if match else text for text, match in self.fragments)


def query_terms(query: str) -> list[str]:
    """The words of a query, each once, in order: every one of them must occur in a hit."""
    return list(dict.fromkeys(query.split()))


def metadata_body(*fields: str | None) -> str:
    """The searched string of an item's details: its fields, one a line."""
    return METADATA_SEPARATOR.join(field or "" for field in fields)


def readable(source: str, body: str) -> str:
    """The body of a hit as a person reads it (the details joined by METADATA_JOINER)."""
    if source != METADATA_SOURCE:
        return body
    return METADATA_JOINER.join(part for part in body.split(METADATA_SEPARATOR) if part)


def locate_segment(text: str, segments: list[dict], terms: list[str]) -> int | None:
    """The index of the segment (of an ExtractedText) that holds the first match in `text`, so
    a result can link to that moment of a recording or that message of a chat; None if no
    segment does.

    The text is the segments' texts joined; where it no longer lines up with them (a person
    edited it), the first segment that itself contains a word is taken.
    """
    if not segments:
        return None
    pattern = _pattern(terms)
    first = pattern.search(text)
    if first is not None:
        cursor = 0
        for index, segment in enumerate(segments):
            piece = segment.get("text") or ""
            found = text.find(piece, cursor) if piece else -1
            if found < 0:
                break
            cursor = found + len(piece)
            if first.start() < cursor:
                return index
    for index, segment in enumerate(segments):
        if pattern.search(segment.get("text") or ""):
            return index
    return None


def make_snippet(body: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of `body` around the first match, each match marked [so]."""
    return SearchHit(0, 0, "", snippet_fragments(body, terms, width)).snippet


def snippet_fragments(body: str, terms: list[str], width: int = SNIPPET_CHARS
                      ) -> tuple[Fragment, ...]:
    """About `width` characters of `body` around the first match, as fragments; "…" where
    text was cut off. Whitespace shows as spaces.

    Only the window around the first match is read past that match (a page of hits makes one
    for each of its texts, on every search)."""
    patterns = _term_patterns(tuple(terms))
    firsts = [found.start() for pattern in patterns if (found := pattern.search(body))]
    start = max(0, min(firsts) - width // 3) if firsts else 0
    end = min(len(body), start + width)
    # Every word's first match is at or after `start`, so each word's matches from there are
    # the ones found from the beginning. Those that start before `end` are shown, and so is a
    # run of matches that touch one another past it: read on until no match that touches the
    # run can lie beyond what was read (`reach`).
    longest = max((len(term) for term in terms), default=0)
    reach = end + longest
    while True:
        spans = _merge(sorted((m.start(), m.end()) for pattern in patterns
                              for m in pattern.finditer(body, start, reach)))
        shown = max((e for s, e in spans if s < end), default=end)
        if shown + longest <= reach or reach >= len(body):
            break
        reach = max(shown + longest, 2 * reach - start)
    shown = max(end, shown)
    flat = _WHITESPACE.sub(" ", body[start:shown])  # one for one, so offsets stay valid
    pieces: list[Fragment] = []
    cursor = 0
    for s, e in spans:
        if s >= end:
            break
        pieces += [(flat[cursor:s - start], False), (flat[s - start:e - start], True)]
        cursor = e - start
    pieces.append((flat[cursor:], False))
    # Matches never hold a space (query words are split on whitespace), so only the plain text
    # at either end is stripped.
    pieces[0] = (pieces[0][0].lstrip(), pieces[0][1])
    pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    if start > 0:
        pieces.insert(0, ("…", False))
    if shown < len(body):
        pieces.append(("…", False))
    return tuple(piece for piece in pieces if piece[0])


_WHITESPACE = re.compile(r"\s")


@functools.lru_cache(maxsize=64)
def _term_patterns(terms: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(re.escape(term), re.IGNORECASE) for term in terms)


def _pattern(terms: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
