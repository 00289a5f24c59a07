"""Snippets read only the window around the first match: they must come out as a reading of the
whole text would make them (the plain version below), for any text and words."""

import random
import re

from storage.search import snippet_fragments


def whole_text_fragments(body: str, terms: list[str], width: int = 80) -> tuple:
    """Every match of every word in the whole text, then the window cut from it."""
    flat = re.sub(r"\s", " ", body)
    spans: list[list[int]] = []
    for s, e in sorted((m.start(), m.end()) for t in terms
                       for m in re.finditer(re.escape(t), flat, re.IGNORECASE)):
        if spans and s <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], e)
        else:
            spans.append([s, e])
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(flat), start + width)
    pieces, cursor = [], start
    for s, e in spans:
        if s >= end:
            break
        pieces += [(flat[cursor:s], False), (flat[s:e], True)]
        cursor = e
    end = max(end, cursor)
    pieces.append((flat[cursor:end], False))
    pieces[0] = (pieces[0][0].lstrip(), pieces[0][1])
    pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    if start > 0:
        pieces.insert(0, ("…", False))
    if end < len(flat):
        pieces.append(("…", False))
    return tuple(p for p in pieces if p[0])


def test_snippets_match_a_reading_of_the_whole_text():
    chance = random.Random(5)
    alphabet = "aAbB还款逾期 \n\t\u3000" + "x" * 4
    for _ in range(3000):
        body = "".join(chance.choices(alphabet, k=chance.randint(0, 300)))
        terms = list(dict.fromkeys(
            "".join(chance.choices(alphabet.replace(" ", "").replace("\n", "")
                                   .replace("\t", "").replace("\u3000", ""),
                                   k=chance.randint(1, 4)))
            for _ in range(chance.randint(1, 3))))
        width = chance.choice([10, 30, 80])
        assert snippet_fragments(body, terms, width) == whole_text_fragments(
            body, terms, width), (body, terms, width)


def test_a_word_repeated_in_itself_is_marked_as_in_the_whole_text():
    body = "前言" * 40 + "aaaaa 还款还款还款" + "后记" * 40
    for terms in (["aa"], ["aa", "还款还款"], ["款还"]):
        assert snippet_fragments(body, terms, 20) == whole_text_fragments(body, terms, 20)


def test_a_run_of_matches_past_the_window_is_marked_to_its_end():
    body = "前" * 50 + "x" * 5000 + "后" * 50
    for terms in (["x"], ["xx", "X"], ["xxx"]):
        assert snippet_fragments(body, terms) == whole_text_fragments(body, terms)
