"""Cutting a sentence into words: Chinese with jieba (its general dictionary plus every lexicon
term, so "抓紧" stays one word and never reads as "抓"), English with a regular expression that
spells contractions out ("we'll" -> we will, "won't" -> will not) and lowercases.

jieba is loaded on the first Chinese sentence that passes the prefilter (about 0.8 s and 70 MB,
once per process), with its logging and import warnings silenced; HMM guessing of unknown words
is off, so a word that is not in the dictionary falls apart into its characters, where a
one-character term can still find it.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable
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


class ChineseCutter:
    """A private jieba tokenizer (the global one is left as it is), built once, on first use,
    with the lexicons' terms added so that segmentation keeps each of them whole."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer = None
        self._words: set[str] = set()

    def add_words(self, words: Iterable[str]) -> None:
        with self._lock:
            new = {w for w in words if w and has_han(w)} - self._words
            self._words |= new
            if self._tokenizer is not None:
                for word in sorted(new):
                    self._tokenizer.add_word(word)

    def __call__(self, sentence: str) -> list[Token]:
        tokenizer = self._tokenizer or self._load()
        return [Token(word, start, end, word in BREAKS)
                for word, start, end in tokenizer.tokenize(sentence, HMM=False)
                if not word.isspace()]

    def _load(self):
        with self._lock:
            if self._tokenizer is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    import jieba
                    jieba.setLogLevel(logging.WARNING)
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    for word in sorted(self._words):
                        # without a frequency jieba gives the word just enough weight to be
                        # cut whole
                        tokenizer.add_word(word)
                self._tokenizer = tokenizer
            return self._tokenizer


chinese = ChineseCutter()
