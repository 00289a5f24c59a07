"""Where a recording holds speech, how it is cut for Whisper, and where speech gave no text.

Whisper reads 30-second windows. Handing it the speech of a call glued together (faster-
whisper's `vad_filter`) puts several unrelated utterances in one window, and the base model
then often writes one segment for the first and stamps it to the end of the window: the rest
of the window is skipped without a trace. So each stretch of speech is decoded as a window of
its own (`decode_clips`, passed as `clip_timestamps`), and `gaps` finds the speech that still
gave no text, which the transcript shows as a marked gap rather than silence.

Speech is found twice, because each detector fails where the other holds:
- Silero VAD (shipped inside faster-whisper) tells a voice from a door or a beep, but on a
  telephone line with noise at 10 dB below the voice it kept 19 of 50 seconds of speech;
- the energy in the voice band (300-3400 Hz) above the recording's own noise floor misses
  nothing loud, but also takes music and knocks for speech.
A stretch is speech when either says so; Whisper's own no-speech test and the invented-line
filters (transcription.chinese) then drop what was not words. Gaps are only reported where
Silero heard a voice, so a knock is never marked "inaudible".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 320  # 20 ms
FRAME_S = FRAME / SAMPLE_RATE
# Silero's speech probability from which a frame counts as a voice: lower than its default
# 0.5, which missed much of a noisy telephone line (bench/transcribe.py, development half).
SILERO_THRESHOLD = 0.35
# Voice-band energy this many dB above the noise floor (the 10th percentile of the frames).
ENERGY_ABOVE_FLOOR_DB = 9.0
# Stretches closer than this are one; shorter ones are dropped; each is padded by PAD_S.
JOIN_GAP_S = 0.3
MIN_SPEECH_S = 0.25
PAD_S = 0.2
# A decode clip holds at most this much audio (Whisper's window is 30 s), and stretches less
# than JOIN_CLIP_S apart share one (each window costs a whole encoder pass, 30 s or not).
MAX_CLIP_S = 28.0
JOIN_CLIP_S = 1.0
# Speech that gave no text is marked when at least this long (shorter: a cough, "嗯").
MIN_GAP_S = 1.0


@dataclass(frozen=True)
class Stretch:
    start: float  # seconds
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Speech:
    """What the detectors found: `stretches` to decode (either detector), and `voiced`, the
    stretches Silero heard a voice in (where missing text is worth a gap marker)."""
    stretches: tuple[Stretch, ...]
    voiced: tuple[Stretch, ...]


def find_speech(audio: np.ndarray) -> Speech:
    """The stretches of `audio` (16 kHz float32 mono) that may hold speech."""
    audio = _levelled(audio)
    silero = _silero_frames(audio)
    energy = _energy_frames(audio)
    frames = min(len(silero), len(energy))
    duration = len(audio) / SAMPLE_RATE
    stretches = _stretches(silero[:frames] | energy[:frames], duration)
    voiced = _stretches(silero[:frames], duration)
    return Speech(tuple(stretches), tuple(voiced))


def _levelled(audio: np.ndarray) -> np.ndarray:
    """`audio` scaled so its loud part peaks near 0.5: Silero hears a quiet recording (a
    phone held away, a line at -30 dB) worse than the same one at a normal level."""
    audio = np.asarray(audio, dtype=np.float32)
    if len(audio) == 0:
        return audio
    loud = float(np.percentile(np.abs(audio), 99.9))
    if loud < 1e-4:  # digital silence: nothing to level
        return audio
    return np.clip(audio * (0.5 / loud), -1.0, 1.0)


def _silero_frames(audio: np.ndarray) -> np.ndarray:
    """One bool per FRAME: Silero's speech probability ≥ SILERO_THRESHOLD."""
    from faster_whisper.vad import get_vad_model

    window = 512  # Silero's step at 16 kHz
    padded = np.pad(audio, (0, window - len(audio) % window))
    probabilities = np.asarray(get_vad_model()(padded)).reshape(-1)
    per_sample = np.repeat(probabilities >= SILERO_THRESHOLD, window)[:len(audio)]
    return _per_frame(per_sample)


def _energy_frames(audio: np.ndarray) -> np.ndarray:
    """One bool per FRAME: voice-band energy ENERGY_ABOVE_FLOOR_DB over the noise floor."""
    count = len(audio) // FRAME
    if count == 0:
        return np.zeros(0, dtype=bool)
    spectra = np.abs(np.fft.rfft(audio[:count * FRAME].reshape(count, FRAME), axis=1)) ** 2
    band = (np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE) >= 300) & \
        (np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE) <= 3400)
    level = 10 * np.log10(spectra[:, band].sum(axis=1) + 1e-10)
    floor = float(np.percentile(level, 10))
    return level > floor + ENERGY_ABOVE_FLOOR_DB


def _per_frame(per_sample: np.ndarray) -> np.ndarray:
    count = len(per_sample) // FRAME
    return per_sample[:count * FRAME].reshape(count, FRAME).mean(axis=1) >= 0.5


def _stretches(frames: np.ndarray, duration: float) -> list[Stretch]:
    """Runs of true frames as stretches: joined across gaps under JOIN_GAP_S, those shorter
    than MIN_SPEECH_S dropped, each padded by PAD_S (within the recording)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], frames.astype(np.int8), [0]])))
    runs: list[list[float]] = []
    for start, end in zip(edges[::2] * FRAME_S, edges[1::2] * FRAME_S, strict=True):
        if runs and start - runs[-1][1] < JOIN_GAP_S:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    return [Stretch(max(0.0, float(start) - PAD_S), min(duration, float(end) + PAD_S))
            for start, end in runs if end - start >= MIN_SPEECH_S]


def decode_clips(stretches: Sequence[Stretch], *, join_s: float | None = None,
                 max_s: float | None = None) -> list[Stretch]:
    """The windows Whisper decodes: consecutive stretches less than `join_s` apart share a
    clip while it stays within `max_s` (fewer windows, each of contiguous audio); a stretch
    longer than `max_s` is cut into equal pieces no longer than it. The defaults are
    JOIN_CLIP_S and MAX_CLIP_S."""
    join_s = JOIN_CLIP_S if join_s is None else join_s
    max_s = MAX_CLIP_S if max_s is None else max_s
    clips: list[Stretch] = []
    for stretch in stretches:
        if clips and stretch.start - clips[-1].end < join_s and \
                stretch.end - clips[-1].start <= max_s:
            clips[-1] = Stretch(clips[-1].start, stretch.end)
            continue
        pieces = max(1, int(np.ceil(stretch.duration / max_s)))
        step = stretch.duration / pieces
        clips.extend(Stretch(stretch.start + i * step, stretch.start + (i + 1) * step)
                     for i in range(pieces))
    return clips


def transcribe_speech(decode: Callable[[list[Stretch]], list[Any]], speech: Speech,
                      clips: list[Stretch]) -> list[Any]:
    """The segments (with .start and .end; transcription.engines.base.Segment) of `clips` as
    `decode` reads them, then a second reading, each on its
    own, of the voiced stretches that gave no text (Whisper reading several utterances in one
    window sometimes writes only the first)."""
    segments = decode(clips)
    missing = gaps(speech.voiced, [(s.start, s.end) for s in segments])
    if missing:
        segments = sorted([*segments, *decode(missing)], key=lambda s: (s.start, s.end))
    return segments


def gaps(voiced: Sequence[Stretch], said: list[tuple[float, float]]) -> list[Stretch]:
    """The parts of `voiced` (stretches Silero heard a voice in) that no text covers, where
    `said` are the (start, end) of the segments that came out; those of MIN_GAP_S or more."""
    covered = sorted(said)
    missing: list[Stretch] = []
    for stretch in voiced:
        cursor = stretch.start
        for start, end in covered:
            if end <= cursor or start >= stretch.end:
                continue
            if start - cursor >= MIN_GAP_S:
                missing.append(Stretch(cursor, start))
            cursor = max(cursor, end)
        if stretch.end - cursor >= MIN_GAP_S:
            missing.append(Stretch(cursor, stretch.end))
    return missing
