"""The speaker encoder in numpy: a mel spectrogram and resemblyzer's GE2E network forward.

Mathematically the same as resemblyzer 0.1.4's `VoiceEncoder` (its `audio.py` and
`voice_encoder.py`, with librosa >= 0.10 defaults): 16 kHz audio, 25 ms Hann windows every
10 ms, 40 Slaney mel bands of the power spectrum (not logged), a 3-layer LSTM of 256 units, the
last layer's final hidden state through Linear(256) + ReLU, L2-normalised. An utterance is cut
into 160-frame partial windows whose embeddings are averaged. resemblyzer's webrtcvad trimming
is left out: callers hand in speech.

The LSTM runs all windows of a batch together, one matrix product per layer and time step;
inputs of a whole layer are projected in one product first.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transcription.speakers.weights import load_state, resemblyzer_weights_path

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms: one mel frame
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s, the window length the network was trained on
LAYERS = 3
NORM_TARGET_DBFS = -30.0
_FRAMES_PER_CHUNK = 8192  # bounds the STFT's temporary memory on long calls
_WINDOWS_PER_BATCH = 128


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    step = np.log(6.4) / 27.0
    linear = hz / (200.0 / 3)
    logarithmic = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / step
    return np.where(hz >= 1000.0, logarithmic, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    step = np.log(6.4) / 27.0
    linear = mel * (200.0 / 3)
    logarithmic = 1000.0 * np.exp(step * (mel - 15.0))
    return np.where(mel >= 15.0, logarithmic, linear)


@functools.cache
def mel_filterbank() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, Slaney scale and area normalisation."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@functools.cache
def _hann() -> np.ndarray:
    n = np.arange(N_FFT)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / N_FFT)).astype(np.float32)  # periodic


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(1 + len(wav) // HOP, N_MELS) float32 power mel frames; frame i is centred on sample
    i * HOP (zero padding at both ends, as librosa's `center=True`)."""
    padded = np.pad(np.asarray(wav, dtype=np.float32), N_FFT // 2)
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:n_frames]
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    bank = mel_filterbank().T
    for start in range(0, n_frames, _FRAMES_PER_CHUNK):
        chunk = frames[start:start + _FRAMES_PER_CHUNK] * _hann()
        spectrum = np.fft.rfft(chunk, axis=1)
        power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)
        out[start:start + len(chunk)] = power @ bank
    return out


def volume_gain(wav: np.ndarray, target_dbfs: float = NORM_TARGET_DBFS) -> float:
    """The factor that raises `wav` to `target_dbfs` RMS, never below 1: the network's input is
    power, not log power, so level matters, and resemblyzer trained it on audio raised so."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
    if rms == 0.0:
        return 1.0
    change_db = target_dbfs - 20 * np.log10(rms)  # full scale is 1.0
    return float(10 ** (change_db / 20)) if change_db > 0 else 1.0


def normalize_volume(wav: np.ndarray, target_dbfs: float = NORM_TARGET_DBFS) -> np.ndarray:
    """`wav` raised to `target_dbfs` RMS if it is quieter (resemblyzer's preprocessing)."""
    gain = volume_gain(wav, target_dbfs)
    return wav if gain == 1.0 else (wav * gain).astype(np.float32)


def partial_slices(n_samples: int, rate: float = 1.3,
                   min_coverage: float = 0.75) -> list[slice]:
    """Mel-frame slices of PARTIAL_FRAMES, `rate` per second, covering `n_samples`; the last is
    kept only if at least `min_coverage` of it is audio (always one at least). The slices may
    reach past the end: pad the audio to `slices[-1].stop * HOP` samples."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round(SAMPLE_RATE / rate / HOP))
    if not 0 < step <= PARTIAL_FRAMES:
        raise ValueError(f"rate {rate} gives a step of {step} frames; it must be 1..160")
    starts = range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step)
    slices = [slice(s, s + PARTIAL_FRAMES) for s in starts]
    coverage = (n_samples - slices[-1].start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(slices) > 1:
        slices.pop()
    return slices


def _one_blas_thread():
    """The LSTM makes hundreds of small matrix products per window batch; BLAS threads only add
    hand-over costs to those, and on a busy machine they made it 30x slower (7 s instead of 0.2 s
    for an 11 s clip). One thread, for the duration of the forward pass."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the speed-up is lost, not the result
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(0.5 * x)  # no overflow for large |x|


@dataclass(frozen=True)
class _Layer:
    w_ih_t: np.ndarray  # (inputs, 4H), gates in torch's order i, f, g, o
    w_hh_t: np.ndarray  # (H, 4H)
    bias: np.ndarray  # (4H,) both biases summed


class SpeakerEncoder:
    """resemblyzer's voice encoder: mel frames in, 256-d unit-length speaker embeddings out."""

    def __init__(self, state: dict[str, np.ndarray]):
        self.layers = [
            _Layer(np.ascontiguousarray(state[f"lstm.weight_ih_l{k}"].T),
                   np.ascontiguousarray(state[f"lstm.weight_hh_l{k}"].T),
                   state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"])
            for k in range(LAYERS)]
        self.linear_t = np.ascontiguousarray(state["linear.weight"].T)
        self.linear_bias = state["linear.bias"]

    @classmethod
    def load(cls, path: str | Path | None = None) -> SpeakerEncoder:
        """The encoder with resemblyzer's shipped weights (or those at `path`).
        Raises EncoderWeightsMissing, UnsafeCheckpoint."""
        return cls(load_state(path or resemblyzer_weights_path()))

    def last_hidden(self, mels: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
        """(B, T, N_MELS) -> (B, 256): the top LSTM layer's hidden state after frame
        `lengths[b] - 1` of each window (after the last frame if `lengths` is None), so that
        shorter windows can share a batch, zero-padded at the end."""
        batch, steps, _ = mels.shape
        last = np.full(batch, steps - 1) if lengths is None else np.asarray(lengths) - 1
        sequence = np.asarray(mels, dtype=np.float32)
        with _one_blas_thread():
            for layer in self.layers:
                sequence = self._layer(layer, sequence)
        return sequence[np.arange(batch), last]

    @staticmethod
    def _layer(layer: _Layer, sequence: np.ndarray) -> np.ndarray:
        """One LSTM layer over (B, T, inputs): its hidden states (B, T, H)."""
        batch, steps, _ = sequence.shape
        hidden_size = layer.w_hh_t.shape[0]
        projected = (sequence.reshape(batch * steps, -1) @ layer.w_ih_t + layer.bias)
        projected = projected.reshape(batch, steps, 4 * hidden_size)
        h = np.zeros((batch, hidden_size), dtype=np.float32)
        c = np.zeros((batch, hidden_size), dtype=np.float32)
        outputs = np.empty((batch, steps, hidden_size), dtype=np.float32)
        for t in range(steps):
            gates = projected[:, t] + h @ layer.w_hh_t
            i, f, g, o = np.split(gates, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
            outputs[:, t] = h
        return outputs

    def embed_frames_batch(self, mels: np.ndarray,
                           lengths: np.ndarray | None = None) -> np.ndarray:
        """(B, T, N_MELS) mel windows -> (B, 256) float32 unit-length embeddings; `lengths`
        as in `last_hidden`."""
        out = np.empty((len(mels), self.linear_t.shape[1]), dtype=np.float32)
        for start in range(0, len(mels), _WINDOWS_PER_BATCH):
            part = None if lengths is None else lengths[start:start + _WINDOWS_PER_BATCH]
            hidden = self.last_hidden(mels[start:start + _WINDOWS_PER_BATCH], part)
            raw = np.maximum(hidden @ self.linear_t + self.linear_bias, 0.0)
            norms = np.linalg.norm(raw, axis=1, keepdims=True)
            out[start:start + len(raw)] = raw / np.maximum(norms, 1e-12)
        return out

    def embed_utterance(self, wav: np.ndarray, rate: float = 1.3,
                        min_coverage: float = 0.75) -> np.ndarray:
        """One speaker embedding for `wav` (16 kHz float32, already volume-normalised): the
        normalised mean of its partial windows' embeddings, as resemblyzer computes it."""
        slices = partial_slices(len(wav), rate, min_coverage)
        needed = slices[-1].stop * HOP
        if needed >= len(wav):
            wav = np.pad(wav, (0, needed - len(wav)))
        mel = mel_spectrogram(wav)
        partials = self.embed_frames_batch(np.stack([mel[s] for s in slices]))
        mean = partials.mean(axis=0)
        return mean / np.linalg.norm(mean)
