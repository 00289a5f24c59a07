"""Telephone versions of clean recordings, for the transcription and speaker tests and benches.

Most call recordings reach Liuhen through a phone network: 8 kHz, a narrow-band codec, and
noise. `telephone(samples, codec)` sends 16 kHz float32 samples through a real codec (8 kHz
G.711 μ-law and GSM 06.10 with the `ffmpeg` program, AMR-NB 12.2 kbit/s with the
opencore encoder inside PyAV's wheel, as phone recorders write it) and decodes them back
with `transcription.audio.decode_audio`, exactly as an uploaded file of that kind would be
read. `add_noise` mixes noise in at a given signal-to-noise ratio over the speech.
"""

from __future__ import annotations

import io
import subprocess

import numpy as np

SAMPLE_RATE = 16_000
# ffmpeg's output options for each codec, and the container it is written in.
CODECS = {
    "mulaw": (["-ar", "8000", "-ac", "1", "-c:a", "pcm_mulaw"], "wav"),
    "gsm": (["-ar", "8000", "-ac", "1", "-c:a", "libgsm"], "gsm"),
}


def encode(samples: np.ndarray, codec: str) -> bytes:
    """`samples` (float32, 16 kHz mono) as the bytes of a file in `codec` (CODECS, "amr")."""
    if codec == "amr":
        return amr_nb_bytes(samples)
    options, container = CODECS[codec]
    pcm = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0).tobytes()
    run = subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(SAMPLE_RATE),
                          "-ac", "1", "-i", "pipe:0", *options, "-f", container, "pipe:1"],
                         input=pcm, capture_output=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"ffmpeg could not encode {codec}: {run.stderr.decode()[-500:]}")
    return run.stdout


def amr_nb_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """An AMR-NB file (RFC 4867 storage format, 12.2 kbit/s, 8 kHz) of `samples`, as phone call
    recorders write them."""
    import av

    out_file = io.BytesIO()
    with av.open(out_file, "w", format="amr") as out:
        stream = out.add_stream("libopencore_amrnb", rate=8000, layout="mono")
        stream.bit_rate = 12200
        resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            (np.clip(samples, -1, 1) * 32767).astype(np.int16)[None, :], format="s16",
            layout="mono")
        frame.sample_rate = rate
        for resampled in resampler.resample(frame) + resampler.resample(None):
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))
    return out_file.getvalue()


def telephone(samples: np.ndarray, codec: str) -> np.ndarray:
    """`samples` after a round trip through `codec` at 8 kHz, back at 16 kHz as the product
    decodes it; the same length as `samples` (a codec's padding trimmed, a shortfall filled
    with silence)."""
    from transcription.audio import decode_audio

    decoded = decode_audio(io.BytesIO(encode(samples, codec))).mono
    out = np.zeros(len(samples), dtype=np.float32)
    out[:min(len(out), len(decoded))] = decoded[:len(out)]
    return out


def add_noise(samples: np.ndarray, snr_db: float, *, noise: np.ndarray | None = None,
              seed: int = 0) -> np.ndarray:
    """`samples` with `noise` (a recording, repeated to length from a seeded offset) or, when
    none is given, pink noise (power falling as 1/f, as a line's hiss and a room's rumble mix),
    at `snr_db` below the active power of the speech (`active_power`)."""
    samples = np.asarray(samples, dtype=np.float32)
    rng = np.random.default_rng(seed)
    if noise is None:
        spectrum = np.fft.rfft(rng.standard_normal(len(samples)))
        frequencies = np.fft.rfftfreq(len(samples), d=1 / SAMPLE_RATE)
        spectrum /= np.sqrt(np.maximum(frequencies, 20.0))  # 1/f power; flat below 20 Hz
        noise = np.fft.irfft(spectrum, n=len(samples)).astype(np.float32)
    else:
        offset = int(rng.integers(len(noise)))
        noise = np.resize(np.roll(np.asarray(noise, dtype=np.float32), -offset), len(samples))
    speech_power = active_power(samples)
    noise = noise * np.sqrt(speech_power / (10 ** (snr_db / 10)) / float(np.mean(noise ** 2)))
    return np.clip(samples + noise, -1.0, 1.0).astype(np.float32)


def active_power(samples: np.ndarray) -> float:
    """The mean power of the 20 ms frames within 35 dB of the loudest (the speech, as ITU-T
    P.56 measures an active speech level, roughly): silences between turns do not count."""
    frames = len(samples) // 320
    if frames == 0:
        return 1e-6
    power = (np.asarray(samples[:frames * 320], dtype=np.float64).reshape(frames, 320) ** 2
             ).mean(axis=1)
    active = power[power > power.max() * 10 ** -3.5]
    return float(active.mean()) if len(active) else 1e-6


def level(samples: np.ndarray, dbfs: float = -26.0) -> np.ndarray:
    """`samples` scaled to an active speech level of `dbfs` (-26 dBFS: a phone line's usual
    level). Public clips differ by 25 dB; a call's automatic gain control evens its two voices
    out, so recordings assembled from clips level each one first."""
    gain = np.sqrt(10 ** (dbfs / 10) / active_power(samples))
    return np.clip(np.asarray(samples, dtype=np.float32) * gain, -1.0, 1.0).astype(np.float32)
