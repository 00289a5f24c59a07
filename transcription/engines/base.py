"""The speech-to-text interface every engine implements, and what the engines share.

An engine turns 16 kHz float32 mono samples (transcription.audio decodes them) into a
Transcript of timed segments; its model loads on the first `transcribe`, into the process-wide
`ModelCache` of its class. `transcribe_channels` runs an engine over each side of a two-party
stereo call and labels the segments with the side. `transcription.engines.make_engine` picks
the engine the config names; this module imports no engine.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy

    from transcription.speech import Stretch

    from logger.config import TranscriptionConfig

# Languages written without spaces between words: their segments join with nothing between.
UNSPACED_LANGUAGES = frozenset({"zh", "yue", "ja", "th", "lo", "my", "bo"})
# Scripts converted to Simplified after transcription (Cantonese comes out Traditional too).
SIMPLIFIED_LANGUAGES = frozenset({"zh", "yue"})


class TranscriptionError(Exception):
    """Transcription could not run; the message says why in plain words."""


class ModelCache:
    """Loaded models by settings; each loads at most once per process. `loads` counts the
    loads this cache has done (tests check that a second job does not reload)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[Hashable, Any] = {}
        self.loads = 0

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The model stored under `key`, calling `load()` (under the lock) the first time."""
        with self._lock:
            if key not in self._models:
                self._models[key] = load()
                self.loads += 1
            return self._models[key]

    def clear(self) -> None:
        """Forget every loaded model (their memory is freed once no engine holds them)."""
        with self._lock:
            self._models.clear()


def resolve_threads(threads: int) -> int:
    """0 means every core this process may run on."""
    if threads > 0:
        return threads
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class CachedModelEngine:
    """What every engine shares: its settings, where its models live, and the process-wide
    cache its model loads into (`default_cache` of the subclass unless a test passes one).
    Cheap to create; the model loads on the first `transcribe`."""

    name: str
    default_cache: ModelCache

    def __init__(self, config: TranscriptionConfig, *, cache_dir: Path,
                 cache: ModelCache | None = None):
        self.config = config
        self.model_name = config.model
        self.cache_dir = Path(cache_dir)
        self._cache = type(self).default_cache if cache is None else cache

    def __repr__(self) -> str:
        return f"<{type(self).__name__} model={self.model_name!r}>"


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float  # seconds from the start of the recording
    end: float
    text: str  # without leading/trailing spaces
    avg_logprob: float
    no_speech_prob: float
    speaker: str | None = None  # "left"/"right" channel side for stereo, None for mono
    words: tuple[Word, ...] = ()
    # None: words someone said. "gap": speech was heard here but no text came out; `text` is
    # the marker a reader sees ("[听不清 12.3–18.0 秒]"), never words.
    kind: str | None = None


@dataclass(frozen=True)
class Transcript:
    language: str  # the code Whisper uses ("zh", "en"); "" if detection found no speech
    duration_s: float
    engine: str  # e.g. "faster-whisper"
    model: str  # the configured model ("base", a name or a folder)
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """The segments' text joined: nothing between them for Chinese (and other unspaced
        scripts), a space otherwise."""
        separator = "" if self.language in UNSPACED_LANGUAGES else " "
        return separator.join(s.text for s in self.segments if s.text)


class Engine(Protocol):
    name: str
    model_name: str

    def transcribe(self, audio: numpy.ndarray, *, language: str | None = None,
                   prompt: str | None = None,
                   progress: Callable[[float], None] | None = None) -> Transcript:
        """Transcribe float32 mono 16 kHz `audio`. `language` None: detect it. `prompt`: an
        initial prompt (the product passes none: its words were written into transcripts).
        `progress(fraction)` is called with seconds done / duration as segments arrive (never
        going back), and with 1.0 at the end. Speech that gave no text is a "gap" segment.
        Raises TranscriptionError (model missing, device unusable) and ValueError (audio not
        a one-dimensional array)."""
        ...


def build_segment(*, start: float, end: float, text: str, avg_logprob: float,
                  no_speech_prob: float, language: str, prompt: str | None,
                  words: Sequence[Word] = ()) -> Segment | None:
    """The Segment every engine reports for one piece of Whisper output, or None when it
    should be dropped: U+FFFD removed, Chinese converted to Simplified (text and words), and
    empty text, known invented lines, prompt echoes, repetition loops (whatever Whisper's
    no-speech probability) and probable silence dropped (transcription.chinese). Speech whose
    text is dropped shows as a gap (`with_gaps`), not as silence."""
    from transcription.chinese import (is_hallucination, is_probably_silence,
                                       is_stuck, to_simplified)

    simplify = language in SIMPLIFIED_LANGUAGES
    # U+FFFD: half of a multi-byte character cut off where decoding stopped; never speech.
    text = text.replace(REPLACEMENT_CHARACTER, "").strip()
    if simplify:
        text = to_simplified(text)
    if not text or is_hallucination(text, prompt=prompt) or is_stuck(text) or \
            is_probably_silence(text, no_speech_prob, avg_logprob):
        return None
    if simplify:
        words = [replace(w, text=to_simplified(w.text)) for w in words]
    return Segment(start=float(start), end=float(end), text=text,
                   avg_logprob=float(avg_logprob), no_speech_prob=float(no_speech_prob),
                   words=tuple(words))


REPLACEMENT_CHARACTER = "\ufffd"
GAP = "gap"


def gap_marker(start: float, end: float, language: str) -> str:
    """What a reader sees where speech gave no text: "[听不清 12.3–18.0 秒]" in a Chinese
    transcript, "[inaudible 12.3–18.0 s]" otherwise."""
    if language in SIMPLIFIED_LANGUAGES:
        return f"[听不清 {start:.1f}–{end:.1f} 秒]"
    return f"[inaudible {start:.1f}–{end:.1f} s]"


def with_gaps(segments: Sequence[Segment], voiced: Sequence[Stretch],
              language: str) -> list[Segment]:
    """`segments` and, in time order among them, a "gap" segment for each stretch of at least
    transcription.speech.MIN_GAP_S where a voice was heard (`voiced`) and no text came out."""
    from transcription.speech import gaps

    missing = gaps(voiced, [(s.start, s.end) for s in segments])
    marked = [Segment(start=round(float(g.start), 1), end=round(float(g.end), 1),
                      text=gap_marker(g.start, g.end, language), avg_logprob=0.0,
                      no_speech_prob=0.0, kind=GAP) for g in missing]
    return sorted([*segments, *marked], key=lambda s: (s.start, s.end))


SIDES = ("left", "right")


def transcribe_channels(engine: Engine, channels: Sequence[numpy.ndarray], *,
                        language: str | None = None, prompt: str | None = None,
                        progress: Callable[[float], None] | None = None) -> Transcript:
    """Transcribe one channel as is, or two channels (left, right) each on its own, merging
    the segments in time order with `speaker` set to "left"/"right". With `language` None the
    left side's language is detected and, if the left side holds speech, used for the right
    (a call has one language; a quiet side detects badly); the transcript carries the language
    of the first side that holds speech. Progress runs over both sides."""
    if len(channels) == 1:
        return engine.transcribe(channels[0], language=language, prompt=prompt,
                                 progress=progress)
    if len(channels) != 2:
        raise ValueError(f"expected one or two channels, got {len(channels)}")
    results = []
    for index, (side, samples) in enumerate(zip(SIDES, channels, strict=True)):
        def side_progress(fraction: float, index: int = index) -> None:
            if progress is not None:
                progress((index + fraction) / 2)

        transcript = engine.transcribe(samples, language=language, prompt=prompt,
                                       progress=side_progress)
        results.append((side, transcript))
        if language is None and transcript.segments:
            language = transcript.language
    segments = sorted((replace(segment, speaker=side)
                       for side, transcript in results for segment in transcript.segments),
                      key=lambda s: (s.start, s.end))
    spoken = [t for _, t in results if t.segments] or [results[0][1]]
    first = spoken[0]
    return Transcript(language=first.language,
                      duration_s=max(t.duration_s for _, t in results),
                      engine=first.engine, model=first.model, segments=tuple(segments))
