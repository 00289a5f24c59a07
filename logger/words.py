"""Words as the readers of text cut them, without a dictionary: English lowercased, with
contractions and texting shorthand spelled out ("we'll" -> we will, "won't" -> will not, "u" ->
you), and whether a text holds Chinese or Latin letters. Chinese is cut by jieba in
`logger.conduct.language.tokens`; the resemblance model (`logger.resemblance`) reads Chinese by
its characters.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# Clause breaks ("、" lists things within a clause and is not one).
BREAKS = frozenset([",", "，", ";", "；", ":", "：", "—", "——", "…", "……", "(", ")", "（", "）"])
_EN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*|[,;:()—]", re.IGNORECASE)
_CONTRACTIONS = {
    "won't": ("will", "not"), "can't": ("can", "not"), "cannot": ("can", "not"),
    "shan't": ("shall", "not"), "ain't": ("is", "not"), "gonna": ("going", "to"),
    "wanna": ("want", "to"), "gotta": ("got", "to"), "lemme": ("let", "me"),
    # texting shorthand, read as the words it stands for ("ill send 2k tmrw", "paying u fri")
    "ill": ("i", "will"), "im": ("i", "am"), "ive": ("i", "have"), "dont": ("do", "not"),
    "cant": ("can", "not"), "wont": ("will", "not"), "u": ("you",), "ur": ("your",),
    "pls": ("please",), "plz": ("please",), "tmrw": ("tomorrow",), "tmr": ("tomorrow",),
    "tmw": ("tomorrow",), "deffo": ("definitely",), "defo": ("definitely",),
    "def": ("definitely",), "fri": ("friday",), "thurs": ("thursday",), "weds": ("wednesday",),
    "tues": ("tuesday",), "thx": ("thanks",),
}
_SUFFIXES = (("n't", ("not",)), ("'ll", ("will",)), ("'re", ("are",)), ("'m", ("am",)),
             ("'ve", ("have",)), ("'d", ("would",)), ("'s", ("'s",)))


class Token(NamedTuple):
    text: str    # the word as lexicons spell it (English lowercased and spelled out)
    start: int   # its characters in the sentence
    end: int
    brk: bool    # a clause break (a comma, a colon ...)


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def has_latin(text: str) -> bool:
    return _LATIN.search(text) is not None


def english(sentence: str) -> list[Token]:
    tokens: list[Token] = []
    for m in _EN_WORD.finditer(sentence):
        word, start, end = m.group().lower().replace("’", "'"), m.start(), m.end()
        if word in BREAKS:
            tokens.append(Token(word, start, end, True))
            continue
        for part in _spell_out(word):
            tokens.append(Token(part, start, end, False))
    return tokens


def _spell_out(word: str) -> tuple[str, ...]:
    if word in _CONTRACTIONS:
        return _CONTRACTIONS[word]
    for suffix, parts in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix):
            return (word[:-len(suffix)], *parts)
    return (word,)
