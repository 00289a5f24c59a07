"""Words of paying, read from the words of a clause: Chinese cut into words by jieba, English
read with the expressions of lexicon.toml (the lexicon is data: a missed verb is a line there).

jieba is loaded on the first Chinese clause holding a word of the lexicon (about 1 s, once per
process; a clause without one is not cut, as none of its words could be paying) as a private
tokenizer without HMM guessing, so an unknown word falls apart into its characters and a
one-character verb (还, 转, 付) can still be found in it.
"""

from __future__ import annotations

import logging
import marshal
import re
import tempfile
import threading
import tomllib
import warnings
from functools import cache
from pathlib import Path

_LEXICON = Path(__file__).with_name("lexicon.toml")
_AMOUNT_START = re.compile(r"\s*(?:¥|\$|人民币)?\s*\d")
_YOU = ("你", "您", "你们", "您们")
_ADVERBS = "先再就都也会又"
_lock = threading.Lock()
_tokenizer = None


@cache
def _lexicon() -> dict:
    with open(_LEXICON, "rb") as f:
        data = tomllib.load(f)
    data["en_rx"] = re.compile("|".join(data["en"]["verbs"]), re.IGNORECASE)
    # A cut word is paying only when it is (or ends with) one of these, so a text holding none
    # of them needs no cutting.
    zh = data["zh"]
    data["zh_rx"] = re.compile("|".join(map(re.escape, [*zh["verbs"], *zh["bound"]])))
    return data


def words(text: str) -> list[tuple[str, int, int]]:
    """The Chinese words of `text` with their positions (jieba, no HMM)."""
    tokenizer = _tokenizer or _load()
    return [(w, s, e) for w, s, e in tokenizer.tokenize(text, HMM=False) if not w.isspace()]


def _load():
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import jieba
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                initialize(tokenizer)
                for word in ("打过去", "转过去", "打过来", "转过来", "还上来", "结掉", "还掉",
                             "一分不少", "到账"):
                    tokenizer.add_word(word)
            _tokenizer = tokenizer
        return _tokenizer


def initialize(tokenizer) -> None:
    """`tokenizer.initialize()` for jieba's own dictionary, its cache read in one piece: jieba
    unmarshals the file as it reads it, which takes three times as long (about 0.5 s more per
    process). Without a readable cache, jieba's own initialisation (which writes one)."""
    if tokenizer.dictionary is not None or tokenizer.cache_file:
        tokenizer.initialize()
        return
    cache_file = Path(tokenizer.tmp_dir or tempfile.gettempdir()) / "jieba.cache"
    try:
        tokenizer.FREQ, tokenizer.total = marshal.loads(cache_file.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        tokenizer.initialize()
        return
    tokenizer.initialized = True


def paying_words(text: str, *, chinese: bool) -> list[tuple[int, int]]:
    """Where `text` (normalised: numbers are digits) says paying, as (start, end) spans."""
    lexicon = _lexicon()
    spans = [m.span() for m in lexicon["en_rx"].finditer(text)]
    if chinese and lexicon["zh_rx"].search(text):
        spans += chinese_paying_words(text)
    return sorted(spans)


def chinese_paying_words(text: str) -> list[tuple[int, int]]:
    """The Chinese words of paying in `text`, read from its jieba words (cut whatever it holds;
    `paying_words` cuts only a text that holds a word of the lexicon)."""
    zh = _lexicon()["zh"]
    spans = []
    cut = words(text)
    for index, (word, start, end) in enumerate(cut):
        after = cut[index + 1][0] if index + 1 < len(cut) else ""
        if word not in zh["verbs"] and word[:1] in _ADVERBS and word[1:] in zh["verbs"]:
            word = word[1:]   # 先付, 再还: jieba keeps some adverbs on the verb
        if word in zh["verbs"]:
            if after in zh["still"].get(word, ()):
                continue
            spans.append((start, end))
        elif word in zh["bound"]:
            wanted = zh["bound"][word]
            then = cut[index + 1][2] if after in _YOU else end
            if after in wanted or ("#amount" in wanted and _AMOUNT_START.match(text, then)):
                spans.append((start, end))
    return spans
