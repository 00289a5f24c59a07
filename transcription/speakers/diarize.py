"""Who spoke when in a mono two-party call: speaker "A" (the first voice heard) and "B".

Steps: find speech (an energy detector over the telephone band, unless the caller gives
regions); raise the speech to resemblyzer's level; cut each stretch of speech into 1.6 s
windows every `hop_s` (a shorter stretch is one window) and embed them; average the windows of
each ~2 s of a stretch into a segment; split the segments into two groups by spherical 2-means;
call it one speaker when the groups' mean voices are too alike (`one_speaker_cosine`) or one
group is too small; give each 10 ms of speech the group its windows lean to; absorb flips
shorter than `min_flip_s`; read off the turns.

`one_speaker_cosine` (0.80) and `min_flip_s` (0.6 s) were chosen by `bench/diarization.py
--tune` on its development calls only (best mean speaker-count accuracy over clean, telephone
and noisy versions, then DER); the same script reports them on separate test speakers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from transcription.speakers.encoder import (
    HOP,
    PARTIAL_FRAMES,
    SAMPLE_RATE,
    SpeakerEncoder,
    mel_filterbank,
    mel_spectrogram,
    volume_gain,
)

FRAME_S = HOP / SAMPLE_RATE  # 10 ms: one mel frame, the grid of every decision here
_TELEPHONE_BAND_HZ = (250.0, 3600.0)
_KMEANS_STARTS = 8


@dataclass(frozen=True)
class Settings:
    hop_s: float = 0.5  # between window starts, in speech time
    one_speaker_cosine: float = 0.80  # mean voices at least this alike: one speaker (dev-tuned)
    min_speaker_share: float = 0.10  # a group with fewer windows than this is not a voice
    min_flip_s: float = 0.6  # shorter label runs take their neighbours' label
    shortest_window_s: float = 0.5  # speech regions shorter than this are not embedded
    segment_s: float = 2.0  # windows starting within this much of one region are averaged
    min_share_to_label: float = 0.7  # label_segments: share of a segment's speech one voice needs
    # Speech detector: the mean over telephone-band mel bands of each band's level above its
    # own floor (10th percentile), smoothed over 50 ms. Regions pass `vad_low_db` and peak
    # above `vad_high_db` somewhere (hysteresis).
    vad_low_db: float = 2.75
    vad_high_db: float = 4.5
    vad_bridge_s: float = 0.3  # pauses shorter than this stay inside a region
    vad_min_region_s: float = 0.2


Turn = tuple[float, float, str]


@dataclass(frozen=True)
class Diarization:
    """`turns` in time order, labels "A"/"B"; `speakers` is 0 (no speech), 1 or 2."""
    turns: list[Turn]
    speakers: int
    voice_cosine: float | None = None  # how alike the two groups' mean voices were
    settings: Settings = field(default_factory=Settings)

    def label_segments(self, segments: Sequence[tuple[float, float]]) -> list[str | None]:
        """For each (start_s, end_s): the voice holding at least `min_share_to_label` of the
        speech inside it, else None (mixed, or no speech): never a guess."""
        labels: list[str | None] = []
        for start, end in segments:
            spoken = {"A": 0.0, "B": 0.0}
            for t_start, t_end, label in self.turns:
                spoken[label] += max(0.0, min(end, t_end) - max(start, t_start))
            total = spoken["A"] + spoken["B"]
            best = max(spoken, key=spoken.get)
            share_ok = total > 0 and spoken[best] >= self.settings.min_share_to_label * total
            labels.append(best if share_ok else None)
        return labels


def detect_speech(samples: np.ndarray, settings: Settings = Settings(),
                  mel: np.ndarray | None = None) -> list[tuple[float, float]]:
    """Speech regions (start_s, end_s): telephone-band energy above the recording's own noise
    floor in each band, so that line noise, its colour and the level need no fixed threshold."""
    mel = mel_spectrogram(samples) if mel is None else mel
    mask = _speech_frames(mel, settings)
    return _runs_to_regions(mask)


def _speech_frames(mel: np.ndarray, settings: Settings) -> np.ndarray:
    bank = mel_filterbank()
    centre_hz = (np.argmax(bank, axis=1) + 0.5) * SAMPLE_RATE / (2 * (bank.shape[1] - 1))
    in_band = (centre_hz >= _TELEPHONE_BAND_HZ[0]) & (centre_hz <= _TELEPHONE_BAND_HZ[1])
    bands = mel[:, in_band]
    floor = np.percentile(bands, 10, axis=0) + 1e-12
    above_db = np.clip(10 * np.log10(bands / floor + 1e-12), 0.0, None).mean(axis=1)
    score = np.convolve(above_db, np.ones(5) / 5, mode="same")
    low = score > settings.vad_low_db
    mask = np.zeros_like(low)
    for start, stop in _runs(low):
        if low[start] and score[start:stop].max() > settings.vad_high_db:
            mask[start:stop] = True
    mask = _fill_short(mask, value=False, shortest=round(settings.vad_bridge_s / FRAME_S))
    return _fill_short(mask, value=True, shortest=round(settings.vad_min_region_s / FRAME_S))


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of equal values."""
    if len(values) == 0:
        return []
    edges = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate(([0], edges))
    stops = np.concatenate((edges, [len(values)]))
    return list(zip(starts.tolist(), stops.tolist()))


def _fill_short(mask: np.ndarray, *, value: bool, shortest: int) -> np.ndarray:
    """Flip inner runs of `value` shorter than `shortest` frames (edges kept for False runs)."""
    out = mask.copy()
    for start, stop in _runs(mask):
        if mask[start] == value and stop - start < shortest:
            if value or (start > 0 and stop < len(mask)):
                out[start:stop] = not value
    return out


def _runs_to_regions(mask: np.ndarray) -> list[tuple[float, float]]:
    return [(start * FRAME_S, stop * FRAME_S) for start, stop in _runs(mask) if mask[start]]


def _regions_to_frames(regions: Sequence[tuple[float, float]], n_frames: int) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for start, end in regions:
        mask[max(0, int(round(start / FRAME_S))):max(0, int(round(end / FRAME_S)))] = True
    return mask


def _windows(mask: np.ndarray, hop: int, shortest: int,
             group_frames: int) -> list[tuple[int, int, int]]:
    """(start, stop, group) windows over the speech frames with the pauses taken out:
    PARTIAL_FRAMES long every `hop` inside each region (the last one ending at the region's
    end), or the whole region when it is shorter but at least `shortest`. A window never spans
    a pause: two utterances joined across one would sound like neither. `group` numbers runs of
    at most `group_frames` of window starts inside one region (the units clustered)."""
    windows, offset, group = [], 0, -1
    for start, stop in _runs(mask):
        if not mask[start]:
            continue
        length = stop - start
        if length >= PARTIAL_FRAMES:
            starts = list(range(0, length - PARTIAL_FRAMES + 1, hop))
            if starts[-1] + PARTIAL_FRAMES < length:
                starts.append(length - PARTIAL_FRAMES)
        else:
            starts = [0] if length >= shortest else []
        pieces = max(1, round((length - PARTIAL_FRAMES) / group_frames) + 1) if starts else 0
        for s in starts:
            piece = min(pieces - 1, int(s * pieces / max(1, length - PARTIAL_FRAMES + 1)))
            stop = offset + min(length, s + PARTIAL_FRAMES)
            windows.append((offset + s, stop, group + 1 + piece))
        group += pieces
        offset += length
    return windows


def two_means(embeddings: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spherical 2-means (cosine): (assignment 0/1 per row, two unit centroids). The best of a
    few seeded starts, so the result is the same on every run."""
    rng = np.random.default_rng(seed)
    best, best_score = None, -np.inf
    for attempt in range(_KMEANS_STARTS):
        if attempt == 0:  # the window least like the average, and the one least like it
            first = np.argmin(embeddings @ embeddings.mean(axis=0))
            second = np.argmin(embeddings @ embeddings[first])
            centroids = embeddings[[first, second]]
        else:
            centroids = embeddings[rng.choice(len(embeddings), 2, replace=False)]
        for _ in range(30):
            assignment = np.argmax(embeddings @ centroids.T, axis=1)
            if assignment.min() == assignment.max():
                break
            updated = np.stack([embeddings[assignment == k].mean(axis=0) for k in (0, 1)])
            updated /= np.linalg.norm(updated, axis=1, keepdims=True)
            if np.allclose(updated, centroids):
                break
            centroids = updated
        score = float(np.max(embeddings @ centroids.T, axis=1).sum())
        if assignment.min() != assignment.max() and score > best_score:
            best, best_score = (assignment, centroids), score
    if best is None:
        return np.zeros(len(embeddings), dtype=int), embeddings[:1].repeat(2, axis=0)
    return best


def _absorb_short_runs(labels: np.ndarray, shortest: int) -> np.ndarray:
    """Give runs shorter than `shortest` their longer neighbour's label, shortest run first."""
    labels = labels.copy()
    while True:
        runs = _runs(labels)
        if len(runs) < 2:
            return labels
        lengths = [stop - start for start, stop in runs]
        k = int(np.argmin(lengths))
        if lengths[k] >= shortest:
            return labels
        neighbours = [j for j in (k - 1, k + 1) if 0 <= j < len(runs)]
        j = max(neighbours, key=lambda n: lengths[n])
        labels[runs[k][0]:runs[k][1]] = labels[runs[j][0]]


def diarize(samples: np.ndarray, regions: Sequence[tuple[float, float]] | None = None, *,
            encoder: SpeakerEncoder | None = None,
            settings: Settings = Settings()) -> Diarization:
    """Speaker turns of a mono 16 kHz float32 recording. `regions` (start_s, end_s) are where
    speech is, if the caller knows (e.g. from the transcript); else they are detected.
    Raises EncoderWeightsMissing when resemblyzer's weights are not installed."""
    samples = np.asarray(samples, dtype=np.float32)
    raw_mel = mel_spectrogram(samples)
    if regions is None:
        mask = _speech_frames(raw_mel, settings)
    else:
        mask = _regions_to_frames(regions, len(raw_mel))
    speech = np.flatnonzero(mask)
    if len(speech) == 0:
        return Diarization([], 0, settings=settings)
    # The network's input is power, so the speech (not the whole call) is raised to its level;
    # mel frames scale with the square of the gain.
    speech_samples = samples[np.repeat(mask, HOP)[:len(samples)]]
    gain = volume_gain(speech_samples)
    mel = raw_mel[speech] * (gain ** 2)

    encoder = encoder or SpeakerEncoder.load()
    windows = _windows(mask, max(1, round(settings.hop_s / FRAME_S)),
                       round(settings.shortest_window_s / FRAME_S),
                       round(settings.segment_s / FRAME_S))
    if not windows:  # only snippets of speech: too little to tell voices apart
        return Diarization(_turns(speech, np.zeros(len(speech), int)), 1, None, settings)
    batch = np.zeros((len(windows), PARTIAL_FRAMES, mel.shape[1]), dtype=np.float32)
    for k, (start, stop, _) in enumerate(windows):
        batch[k, :stop - start] = mel[start:stop]
    embeddings = encoder.embed_frames_batch(batch, np.array([b - a for a, b, _ in windows]))

    # Cluster segments (a few seconds of one stretch of speech, its windows averaged): one
    # window's voice is noisy, and a pause-free stretch of seconds is mostly one person.
    groups = np.unique([g for *_, g in windows], return_inverse=True)[1]
    segments = np.zeros((groups.max() + 1, embeddings.shape[1]))
    np.add.at(segments, groups, embeddings)
    segments /= np.linalg.norm(segments, axis=1, keepdims=True)
    assignment, centroids = two_means(segments) if len(segments) > 1 else (None, None)
    voice_cosine = None if centroids is None else float(centroids[0] @ centroids[1])
    smaller = 0 if assignment is None else min(np.bincount(assignment[groups], minlength=2))
    if (assignment is None or voice_cosine >= settings.one_speaker_cosine
            or smaller < settings.min_speaker_share * len(embeddings)):
        labels = np.zeros(len(speech), dtype=int)
    else:
        labels = _frame_labels(embeddings, centroids, windows, len(speech))
        labels = _absorb_short_runs(labels, round(settings.min_flip_s / FRAME_S))
    turns = _turns(speech, labels)
    return Diarization(turns, len({label for *_, label in turns}), voice_cosine, settings)


def _frame_labels(embeddings: np.ndarray, centroids: np.ndarray,
                  windows: list[tuple[int, int]], n_frames: int) -> np.ndarray:
    """0/1 per speech frame: the voice that the windows covering it lean to, on average;
    frames no window covers take the nearest covered frame's voice."""
    lean = embeddings @ centroids[0] - embeddings @ centroids[1]
    total = np.zeros(n_frames + 1)
    count = np.zeros(n_frames + 1)
    for (start, stop, _), value in zip(windows, lean):
        total[start] += value
        total[stop] -= value
        count[start] += 1
        count[stop] -= 1
    covered = np.cumsum(count)[:n_frames] > 0
    mean = np.cumsum(total)[:n_frames] / np.maximum(np.cumsum(count)[:n_frames], 1)
    known = np.flatnonzero(covered)
    frames = np.arange(n_frames)
    after = np.clip(np.searchsorted(known, frames), 0, len(known) - 1)
    before = np.clip(after - 1, 0, len(known) - 1)
    closer = np.where(frames - known[before] < known[after] - frames,
                      known[before], known[after])
    return (mean[closer] < 0).astype(int)


def _turns(speech: np.ndarray, labels: np.ndarray) -> list[Turn]:
    """Turns from speech frame indices and their 0/1 labels; a pause or a change of voice ends a
    turn. The first voice heard is "A"."""
    names = {int(labels[0]): "A", 1 - int(labels[0]): "B"}
    breaks = np.flatnonzero((np.diff(speech) != 1) | (np.diff(labels) != 0)) + 1
    turns = []
    for start, stop in zip(np.concatenate(([0], breaks)), np.concatenate((breaks, [len(speech)]))):
        turns.append((float(speech[start] * FRAME_S), float((speech[stop - 1] + 1) * FRAME_S),
                      names[int(labels[start])]))
    return turns
