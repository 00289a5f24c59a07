"""Chinese text around Whisper: Simplified output, the lines Whisper invents over silence and
music, its repetition loops, and the normalisation and error rates used to measure it.

Whisper often writes Mandarin in Traditional characters (much of its Chinese training text was
Traditional); Chinese lenders, courts and the people using Liuhen write Simplified, and search
must find what they type, so transcripts are converted with OpenCC's `t2s` tables.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Sequence

# Lines Whisper is known to emit over silence, hold music and noise: subtitle credits and
# channel outros that filled its training data. A segment whose whole text is one of these
# (after normalise_for_cer) is dropped. Add new ones as they are seen; keep them exact.
HALLUCINATED_LINES = (
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "请不吝点赞订阅转发打赏支持明镜与点点栏目",
    "字幕由Amara.org社区提供",
    "字幕由 Amara.org 社区提供",
    "小编字幕由Amara.org社区提供",
    "字幕志愿者 李宗盛",
    "中文字幕志愿者 李宗盛",
    "明镜需要您的支持 欢迎订阅明镜",
    "优优独播剧场——YoYo Television Series Exclusive",
    "YoYo Television Series Exclusive",
    "请订阅我的频道",
    "订阅我的频道",
    "谢谢观看",
    "感谢观看",
    "谢谢大家观看",
    "谢谢收看",
    "多谢收看",
    "下集再见",
    "我们下期再见",
    "点赞订阅",
    "字幕by索兰娅",
    "字幕制作人Zither Harp",
    "Thank you for watching",
    "Thanks for watching!",
    "Thank you for watching!",
    "Thank you very much for watching",
    "Please subscribe to my channel",
    "Subtitles by the Amara.org community",
    "Transcription by CastingWords",
    "ご視聴ありがとうございました",
)
# Fragments that mark a subtitle credit wherever they appear in a segment: nobody says these
# on a phone call, and Whisper varies the words around them.
HALLUCINATED_MARKERS = (
    "amaraorg",
    "明镜与点点",
    "点赞订阅转发",
    "字幕志愿者",
    "yoyotelevisionseries",
    "castingwords",
)
# Whisper's own rule for a segment that is probably not speech (openai/whisper transcribe.py).
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0

_converter = None
_converter_lock = threading.Lock()
_PUNCTUATION_CATEGORIES = ("P", "S", "Z", "C")  # punctuation, symbols, spaces, controls


def to_simplified(text: str) -> str:
    """`text` with Traditional Chinese characters converted to Simplified (OpenCC t2s);
    other scripts are unchanged."""
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc

                _converter = opencc.OpenCC("t2s.json")
    return _converter.convert(text)


def _compact(text: str) -> str:
    """NFKC (full-width to half-width), lower case, no punctuation, symbols or whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text
                   if not unicodedata.category(ch).startswith(_PUNCTUATION_CATEGORIES))


def normalise_for_cer(text: str) -> str:
    """The text as character error rates compare it: Simplified, full-width forms made
    half-width, lower case, without punctuation, symbols or whitespace."""
    return _compact(to_simplified(text))


def normalise_for_wer(text: str) -> str:
    """As normalise_for_cer, but words stay separated by single spaces (apostrophes inside a
    word are dropped, so "don't" and "dont" agree)."""
    words = (_compact(word) for word in to_simplified(text).split())
    return " ".join(word for word in words if word)


@functools.cache
def _hallucinated() -> frozenset[str]:
    return frozenset(normalise_for_cer(line) for line in HALLUCINATED_LINES)


def is_hallucination(text: str, *, prompt: str | None = None) -> bool:
    """True for a line Whisper is known to invent over silence or music (HALLUCINATED_LINES,
    HALLUCINATED_MARKERS), and for an echo of the initial `prompt`, which Whisper writes when
    it hears nothing: a segment that starts as the prompt does and whose characters are
    nearly all the prompt's, in its order. A line of punctuation alone ("。。。。。。") says
    nothing anyone said: Whisper writes it over silence, so it is one too."""
    compact = normalise_for_cer(text)
    if not compact:
        return bool(text.strip())
    if compact in _hallucinated() or any(marker in compact for marker in HALLUCINATED_MARKERS):
        return True
    return bool(prompt) and _echoes(compact, normalise_for_cer(prompt))


def _echoes(compact: str, prompt: str) -> bool:
    opening = prompt[:4]
    if len(opening) < 4 or not compact.startswith(opening):
        return False
    return _common_subsequence(compact, prompt) >= 0.8 * len(compact)


def _common_subsequence(a: str, b: str) -> int:
    previous = [0] * (len(b) + 1)
    for ch in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if ch == other else max(previous[j], current[-1]))
        previous = current
    return previous[-1]


_LOOP_RE = re.compile(r"(.{1,4}?)\1{4,}")
# A unit said this many times in a row is Whisper stuck, not a person stuttering (我我我我).
STUCK_REPEATS = 8


def is_repetition_loop(text: str) -> bool:
    """True when a unit of one to four characters repeated five times or more makes up most
    of `text` ("许语语语语语语语语语", "设计设计设计设计设计"): what Whisper writes when it is stuck,
    but also what a person says agreeing (对对对对对), so alone it does not drop a segment."""
    compact = normalise_for_cer(text)
    looped = sum(len(m.group(0)) for m in _LOOP_RE.finditer(compact))
    return bool(compact) and looped >= 0.7 * len(compact)


def is_stuck(text: str) -> bool:
    """True when a unit of one to four characters is repeated STUCK_REPEATS times or more
    anywhere in `text` ("作为新冠冠冠冠冠冠冠冠"): Whisper stuck in a loop, whatever its no-speech
    probability says; nothing in such a segment can be trusted."""
    compact = normalise_for_cer(text)
    return any(len(m.group(0)) >= STUCK_REPEATS * len(m.group(1))
               for m in _LOOP_RE.finditer(compact))


def is_probably_silence(text: str, no_speech_prob: float, avg_logprob: float) -> bool:
    """Whisper's rule (the model thinks there is no speech and is unsure of what it wrote),
    plus: it thinks there is no speech and what it wrote is a repetition loop."""
    if no_speech_prob <= NO_SPEECH_PROB:
        return False
    return avg_logprob < LOW_AVG_LOGPROB or is_repetition_loop(text)


def edit_distance(ref: Sequence, hyp: Sequence) -> int:
    """Levenshtein distance (substitutions, insertions, deletions all cost 1)."""
    if len(ref) < len(hyp):
        ref, hyp = hyp, ref
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        current = [i]
        for j, h in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


# Mandarin scoring reads digits as the characters spoken for them, one by one: "1-2线" and
# "一二线" are the same words written two ways, not two errors.
_SPOKEN_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")


def scored_characters(text: str) -> str:
    """The characters a character error rate compares: normalise_for_cer, digits read one by
    one (_SPOKEN_DIGITS)."""
    return normalise_for_cer(text).translate(_SPOKEN_DIGITS)


def cer(ref: str, hyp: str) -> float:
    """Character error rate of `hyp` against `ref`, both as scored_characters gives them:
    edits / reference characters. Raises ValueError for an empty reference."""
    ref_chars, hyp_chars = scored_characters(ref), scored_characters(hyp)
    if not ref_chars:
        raise ValueError("the reference text is empty after normalisation")
    return edit_distance(ref_chars, hyp_chars) / len(ref_chars)


def wer(ref: str, hyp: str) -> float:
    """Word error rate of `hyp` against `ref`, both normalised with normalise_for_wer:
    word edits / reference words. Raises ValueError for an empty reference."""
    ref_words, hyp_words = normalise_for_wer(ref).split(), normalise_for_wer(hyp).split()
    if not ref_words:
        raise ValueError("the reference text is empty after normalisation")
    return edit_distance(ref_words, hyp_words) / len(ref_words)


_TRADITIONAL_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def traditional_characters(text: str) -> str:
    """The CJK characters of `text` that OpenCC t2s would change (Traditional-only forms)."""
    return "".join(ch for ch in dict.fromkeys(_TRADITIONAL_RE.findall(text))
                   if to_simplified(ch) != ch)
