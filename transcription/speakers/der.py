"""Diarization error rate, as NIST's md-eval scores it, on a 10 ms grid.

DER = (missed speech + false alarm + speaker confusion) / reference speech time, after mapping
hypothesis labels onto reference labels one-to-one so that they agree the longest. Speech within
`collar` seconds of a reference turn's start or end is not scored (boundaries are uncertain).
Overlapping speech counts once per speaker.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STEP_S = 0.01
_MOST_LABELS_EXACT = 7  # brute-force mapping up to here; greedy above (never met by 2 voices)

Turn = tuple[float, float, str]


@dataclass(frozen=True)
class DiarizationError:
    """Seconds of each error kind over `reference_s` seconds of scored reference speech."""
    missed_s: float
    false_alarm_s: float
    confusion_s: float
    reference_s: float

    def rate(self, seconds: float) -> float:
        return seconds / self.reference_s if self.reference_s else 0.0

    @property
    def der(self) -> float:
        return self.rate(self.missed_s + self.false_alarm_s + self.confusion_s)

    @property
    def missed(self) -> float:
        return self.rate(self.missed_s)

    @property
    def false_alarm(self) -> float:
        return self.rate(self.false_alarm_s)

    @property
    def confusion(self) -> float:
        return self.rate(self.confusion_s)

    def __add__(self, other: DiarizationError) -> DiarizationError:
        """Pooled over recordings (time-weighted, as a corpus DER is)."""
        return DiarizationError(self.missed_s + other.missed_s,
                                self.false_alarm_s + other.false_alarm_s,
                                self.confusion_s + other.confusion_s,
                                self.reference_s + other.reference_s)


NO_ERROR = DiarizationError(0.0, 0.0, 0.0, 0.0)


def _activity(turns: Sequence[Turn], labels: list[str], n_steps: int) -> np.ndarray:
    grid = np.zeros((n_steps, len(labels)), dtype=bool)
    for start, end, label in turns:
        grid[int(round(start / STEP_S)):int(round(end / STEP_S)), labels.index(label)] = True
    return grid


def _best_agreement(overlap: np.ndarray) -> float:
    """The largest total of overlap[r, h] over one-to-one pairings of rows and columns."""
    rows, cols = overlap.shape
    if rows == 0 or cols == 0:
        return 0.0
    if max(rows, cols) <= _MOST_LABELS_EXACT:
        if rows <= cols:
            return max(sum(overlap[r, h] for r, h in enumerate(p))
                       for p in itertools.permutations(range(cols), rows))
        return _best_agreement(overlap.T)
    total, left = 0.0, overlap.astype(float).copy()
    while left.size and left.max() > 0:
        r, h = np.unravel_index(np.argmax(left), left.shape)
        total += left[r, h]
        left[r, :] = -1
        left[:, h] = -1
    return total


def diarization_error(reference: Sequence[Turn], hypothesis: Sequence[Turn],
                      collar: float = 0.0) -> DiarizationError:
    """Score `hypothesis` turns (start_s, end_s, label) against `reference` turns; the label
    names need not match (the best one-to-one mapping is used)."""
    end = max([e for _, e, _ in [*reference, *hypothesis]], default=0.0)
    n_steps = int(round(end / STEP_S)) + 1
    ref_labels = sorted({label for *_, label in reference})
    hyp_labels = sorted({label for *_, label in hypothesis})
    ref = _activity(reference, ref_labels, n_steps)
    hyp = _activity(hypothesis, hyp_labels, n_steps)
    scored = np.ones(n_steps, dtype=bool)
    if collar > 0:
        width = int(round(collar / STEP_S))
        for start, stop, _ in reference:
            for edge in (int(round(start / STEP_S)), int(round(stop / STEP_S))):
                scored[max(0, edge - width):edge + width] = False
    ref, hyp = ref[scored], hyp[scored]
    n_ref = ref.sum(axis=1)
    n_hyp = hyp.sum(axis=1)
    correct = _best_agreement(ref.T.astype(np.int64) @ hyp.astype(np.int64))
    return DiarizationError(
        missed_s=float(np.maximum(n_ref - n_hyp, 0).sum()) * STEP_S,
        false_alarm_s=float(np.maximum(n_hyp - n_ref, 0).sum()) * STEP_S,
        confusion_s=float(np.minimum(n_ref, n_hyp).sum() - correct) * STEP_S,
        reference_s=float(n_ref.sum()) * STEP_S)
