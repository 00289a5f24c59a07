"""Long recordings assembled from distinct clips with known texts, and how a transcript of one
is scored: the tests and bench/transcribe.py measure the same way.

A recording is clips one after another with short pauses (each clip levelled to a phone
line's -26 dBFS first, `tests.support.telephone.level`), and it remembers where each
utterance lies. `score` reports the micro character (or word) error with substitutions,
deletions and insertions apart, and per utterance whether it was lost (less than a fifth
of its length came out as text) and whether a gap marker covers it: a lost utterance of 3 s or more must be
marked.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.support.telephone import SAMPLE_RATE, level

# An utterance is lost when less than this share of its length came out as text at all (what
# came out wrong is counted by the error rate, not here).
LOST_SHARE = 0.2
# Utterances at least this long may not be lost without a gap marker (issue 14).
MARKED_FROM_S = 3.0


@dataclass(frozen=True)
class Clip:
    name: str
    language: str
    text: str
    speaker: str = ""


@dataclass(frozen=True)
class Utterance:
    clip: Clip
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Recording:
    samples: np.ndarray
    utterances: tuple[Utterance, ...]

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def reference(self) -> str:
        separator = "" if self.utterances and self.utterances[0].clip.language == "zh" else " "
        return separator.join(u.clip.text for u in self.utterances)


def shared_clips(audio_dir: Path, language: str | None = None) -> list[Clip]:
    """The clips of `audio_dir/references.tsv` (../shared/testdata/audio), one channel each."""
    with open(audio_dir / "references.tsv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t")
                if r["filename"] != "stereo_diarization.wav"]
    return [Clip(r["filename"], r["language"], r["reference_text"], r.get("speaker") or "")
            for r in rows if language in (None, r["language"])]


def load_clip(audio_dir: Path, clip: Clip) -> np.ndarray:
    from transcription.audio import decode_audio

    with open(audio_dir / clip.name, "rb") as f:
        return decode_audio(f).mono


def assemble(pieces: Iterable[tuple[Clip, np.ndarray]], *, seed: int = 0,
             pause_s: tuple[float, float] = (0.4, 1.5)) -> Recording:
    """The clips in order, each levelled, with a pause drawn from `pause_s` before each and
    one second of silence at the end."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    utterances: list[Utterance] = []
    at = 0
    for clip, samples in pieces:
        pause = np.zeros(int(SAMPLE_RATE * rng.uniform(*pause_s)), dtype=np.float32)
        voice = level(samples)
        parts += [pause, voice]
        at += len(pause)
        utterances.append(Utterance(clip, at / SAMPLE_RATE, (at + len(voice)) / SAMPLE_RATE))
        at += len(voice)
    parts.append(np.zeros(SAMPLE_RATE, dtype=np.float32))
    return Recording(np.concatenate(parts), tuple(utterances))


@dataclass
class Score:
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    reference_units: int = 0
    utterances: int = 0
    lost: list[Utterance] = field(default_factory=list)
    lost_unmarked: list[Utterance] = field(default_factory=list)  # lost, ≥ 3 s, no marker

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        return self.errors / max(1, self.reference_units)

    def add(self, other: Score) -> Score:
        return Score(self.substitutions + other.substitutions,
                     self.deletions + other.deletions, self.insertions + other.insertions,
                     self.reference_units + other.reference_units,
                     self.utterances + other.utterances, self.lost + other.lost,
                     self.lost_unmarked + other.lost_unmarked)


def units(text: str, language: str) -> list[str]:
    """What an error rate counts: characters for Mandarin (transcription.chinese.
    scored_characters), words otherwise."""
    from transcription.chinese import normalise_for_wer, scored_characters

    if language == "zh":
        return list(scored_characters(text))
    return normalise_for_wer(text).split()


def edits(reference: Sequence[str], hypothesis: Sequence[str]) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) of the cheapest alignment (jiwer)."""
    import jiwer

    if not reference:
        return 0, 0, len(hypothesis)
    if not hypothesis:
        return 0, len(reference), 0
    out = jiwer.process_words(" ".join(reference), " ".join(hypothesis))
    return out.substitutions, out.deletions, out.insertions


def score(recording: Recording, segments: Sequence) -> Score:
    """`segments` (transcription Segments or stored dicts with start, end, text, kind) of a
    transcript of `recording`, scored against its utterances."""
    said = [_plain(s) for s in segments]
    words = [s for s in said if s["kind"] is None]
    marks = [s for s in said if s["kind"] == "gap"]
    language = recording.utterances[0].clip.language
    separator = "" if language == "zh" else " "
    reference = units(recording.reference, language)
    hypothesis = units(separator.join(s["text"] for s in words), language)
    s, d, i = edits(reference, hypothesis)
    result = Score(s, d, i, len(reference), len(recording.utterances))
    for utterance in recording.utterances:
        own = separator.join(w["text"] for w in words
                             if utterance.start - 0.5 <= (w["start"] + w["end"]) / 2
                             <= utterance.end + 0.5)
        if len(units(own, language)) >= LOST_SHARE * len(units(utterance.clip.text, language)):
            continue
        result.lost.append(utterance)
        marked = any(min(m["end"], utterance.end) - max(m["start"], utterance.start)
                     >= 0.5 * utterance.duration for m in marks)
        if utterance.duration >= MARKED_FROM_S and not marked:
            result.lost_unmarked.append(utterance)
    return result


def _plain(segment) -> dict:
    if isinstance(segment, dict):
        return {"start": segment["start"], "end": segment["end"], "text": segment["text"],
                "kind": segment.get("kind")}
    return {"start": segment.start, "end": segment.end, "text": segment.text,
            "kind": getattr(segment, "kind", None)}
