"""Diarization figures: DER (missed, false alarm, confusion; 0.25 s collar), speaker-count
accuracy and real-time factor of transcription.speakers.diarize on assembled calls, clean and
telephone-degraded, beside the "everyone is one speaker" baseline, for dev and test separately.

    .venv/bin/python bench/diarization.py [--tune [--flips 0.3,0.6,1.0]] [--pairs 30]

Speakers (not clips) are split into dev and test by a fixed seed before any tuning, so no voice
of the test calls was heard while tuning. A call alternates two speakers' pieces (clips cut at
pauses, none used twice in a call) with 0.3-1.0 s pauses; one-speaker recordings test the
"one voice only" decision. Clips: shared/testdata/audio plus /work/bench-audio/clips.tsv when
present (speakers marked unknown or unverified are left out). --tune sweeps `one_speaker_cosine`
and `min_flip_s` on dev only and prints the best; test is never scored while tuning.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import itertools
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # tests.support

from tests.support.telephone import add_noise as telephone_noise, telephone  # noqa: E402
from transcription.audio import decode_audio  # noqa: E402
from transcription.speakers.der import NO_ERROR, diarization_error  # noqa: E402
from transcription.speakers.diarize import Settings, diarize  # noqa: E402
from transcription.speakers.encoder import SpeakerEncoder  # noqa: E402

SHARED = ROOT.parent / "shared" / "testdata" / "audio"
EXTRA = ROOT.parent / "bench-audio"
SR = 16_000
SEED = 20240611
COLLAR = 0.25
SHARED_SPEAKERS = {  # filename -> speaker (references.tsv has no speaker column)
    "BAC009S0764W0121.wav": "aishell-S0764", "BAC009S0764W0122.wav": "aishell-S0764",
    "aishell-BAC009S0724W0121.wav": "aishell-S0724", "IT0011W0001.wav": "aishell2-IT0011",
    "TEST_MEETING_T0000000001_S00000.wav": "wenet-meeting", "jfk.flac": "jfk",
    "TEST_NET_Y0000000000_-KTKHdZ2fb8_S00000.wav": "wenet-net",
    "librispeech-1995-1837-0001.wav": "libri-1995",
}
CONDITIONS = ["clean", "mulaw-8k", "gsm", "white-15dB", "white-10dB", "pink-15dB", "pink-10dB"]


@dataclasses.dataclass
class Recording:
    name: str
    samples: np.ndarray
    reference: list[tuple[float, float, str]]
    speakers: int


def load(path: Path, channel: int | None = None) -> np.ndarray:
    with open(path, "rb") as f:
        decoded = decode_audio(f, split_channels=channel is not None)
    return decoded.mono if channel is None else decoded.channels[channel]


def pieces(samples: np.ndarray, min_pause_s: float = 0.3, min_piece_s: float = 1.0):
    """A clip cut at its pauses (20 ms RMS under peak - 30 dB) into pieces of speech with their
    silent edges trimmed; pieces shorter than `min_piece_s` join their neighbour."""
    frame = SR // 50
    n = len(samples) // frame
    rms = np.sqrt(np.mean(samples[:n * frame].reshape(n, frame) ** 2, axis=1)) + 1e-9
    db = 20 * np.log10(rms)
    active = np.flatnonzero(db > db.max() - 30)
    if len(active) == 0:
        return []
    gaps = np.flatnonzero(np.diff(active) * frame / SR >= min_pause_s)
    bounds = [[active[0], None]]
    for g in gaps:
        bounds[-1][1] = active[g] + 1
        bounds.append([active[g + 1], None])
    bounds[-1][1] = active[-1] + 1
    merged = []
    for start, stop in bounds:
        if merged and (merged[-1][1] - merged[-1][0]) * frame / SR < min_piece_s:
            merged[-1][1] = stop
        else:
            merged.append([start, stop])
    if len(merged) > 1 and (merged[-1][1] - merged[-1][0]) * frame / SR < min_piece_s:
        last = merged.pop()
        merged[-1][1] = last[1]
    return [samples[a * frame:b * frame] for a, b in merged]


def speaker_pool() -> dict[str, list[np.ndarray]]:
    pool: dict[str, list[np.ndarray]] = {}
    for name, speaker in SHARED_SPEAKERS.items():
        pool.setdefault(speaker, []).extend(pieces(load(SHARED / name)))
    for channel in (0, 1):
        pool[f"stereo-{channel}"] = pieces(load(SHARED / "stereo_diarization.wav", channel))
    if (EXTRA / "clips.tsv").is_file():
        with open(EXTRA / "clips.tsv", encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                path = EXTRA / row["filename"]
                who = row.get("speaker", "")
                if not path.is_file() or not who or any(
                        doubt in who for doubt in ("unknown", "probably", "not verified")):
                    continue  # a voice that may be another clip's must not pose as a second
                pool.setdefault(f"x-{who}", []).extend(pieces(load(path)))
    return {s: p for s, p in pool.items() if p}


def assemble(name, turns, rng) -> Recording:
    """Concatenate (label, piece) turns with pauses; the reference is each piece's span."""
    out, reference, t = [np.zeros(int(SR * 0.5), np.float32)], [], 0.5
    for label, piece in turns:
        reference.append((t, t + len(piece) / SR, label))
        pause = np.zeros(int(SR * rng.uniform(0.3, 1.0)), np.float32)
        out += [piece, pause]
        t += (len(piece) + len(pause)) / SR
    return Recording(name, np.concatenate(out), reference, len({lb for lb, _ in turns}))


def build_half(speakers, pool, rng, pairs: int) -> list[Recording]:
    recordings = []
    all_pairs = list(itertools.combinations(speakers, 2))
    rng.shuffle(all_pairs)
    for x, y in all_pairs[:pairs]:
        px = [pool[x][i] for i in rng.permutation(len(pool[x]))][:6]
        py = [pool[y][i] for i in rng.permutation(len(pool[y]))][:6]
        turns = [t for pair in itertools.zip_longest(px, py) for t in pair if t is not None]
        labelled = [("X" if any(t is p for p in px) else "Y", t) for t in turns]
        recordings.append(assemble(f"{x}+{y}", labelled, rng))
    for s in speakers:
        if len(pool[s]) >= 2 and sum(map(len, pool[s])) >= 4 * SR:
            recordings.append(assemble(s, [("X", p) for p in pool[s][:8]], rng))
    return recordings


def split(pool, pairs: int) -> dict[str, list[Recording]]:
    """Dev and test halves by speaker, fixed by SEED; made before any tuning."""
    rng = np.random.default_rng(SEED)
    speakers = sorted(pool)
    order = [speakers[i] for i in rng.permutation(len(speakers))]
    half = (len(order) + 1) // 2
    return {"dev": build_half(sorted(order[:half]), pool, rng, pairs),
            "test": build_half(sorted(order[half:]), pool, rng, pairs)}


def add_noise(rec: Recording, colour: str, snr_db: float, rng) -> np.ndarray:
    """Noise at `snr_db` below the active speech power (the reference turns): pink as the
    transcription bench mixes it (tests.support.telephone), or white."""
    if colour == "pink":
        return telephone_noise(rec.samples, snr_db, seed=int(rng.integers(1 << 31)))
    speech = np.concatenate([rec.samples[int(a * SR):int(b * SR)] for a, b, _ in rec.reference])
    noise = rng.standard_normal(len(rec.samples))
    power = np.mean(speech.astype(np.float64) ** 2)
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / np.mean(noise ** 2))
    return (rec.samples + noise).astype(np.float32)


def degrade(rec: Recording, condition: str, rng) -> np.ndarray:
    if condition == "clean":
        return rec.samples
    if condition == "mulaw-8k":
        return telephone(rec.samples, "mulaw")
    if condition == "gsm":
        return telephone(rec.samples, "gsm")
    colour, snr = condition.split("-")
    return add_noise(rec, colour, float(snr.removesuffix("dB")), rng)


def one_voice(turns):
    return [(a, b, "A") for a, b, _ in turns]


def evaluate(rows, settings: Settings):
    """DER (pooled) and count accuracy for the system and the baseline, from raw results
    (diarized with the one-speaker test off) and their voice cosines; also the system's right
    count decisions by true count: {1: (right, of), 2: (right, of)}."""
    err, base, right, base_right = NO_ERROR, NO_ERROR, 0, 0
    by_truth = {1: [0, 0], 2: [0, 0]}
    for rec, result in rows:
        alike = result.voice_cosine is None or result.voice_cosine >= settings.one_speaker_cosine
        hypothesis = one_voice(result.turns) if alike or result.speakers < 2 else result.turns
        speakers = 1 if alike or result.speakers < 2 else 2
        err += diarization_error(rec.reference, hypothesis, COLLAR)
        base += diarization_error(rec.reference, one_voice(result.turns), COLLAR)
        right += speakers == rec.speakers
        base_right += rec.speakers == 1
        by_truth[rec.speakers][0] += speakers == rec.speakers
        by_truth[rec.speakers][1] += 1
    return err, base, right / len(rows), base_right / len(rows), by_truth


def run_condition(recordings, condition, encoder, settings, rng):
    """Diarize each degraded recording once with the one-speaker test disabled (so that any
    threshold can be applied afterwards); returns the rows and seconds of audio / compute."""
    raw = dataclasses.replace(settings, one_speaker_cosine=2.0)
    rows, audio_s, compute_s = [], 0.0, 0.0
    for rec in recordings:
        samples = degrade(rec, condition, rng)
        started = time.perf_counter()
        result = diarize(samples, encoder=encoder, settings=raw)
        compute_s += time.perf_counter() - started
        audio_s += len(samples) / SR
        rows.append((rec, result))
    return rows, audio_s, compute_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="sweep thresholds on dev only")
    parser.add_argument("--pairs", type=int, default=30, help="two-speaker calls per half")
    parser.add_argument("--flips", default="0.6", help="min_flip_s values for --tune")
    args = parser.parse_args()
    encoder = SpeakerEncoder.load()
    halves = split(speaker_pool(), args.pairs)
    for half, recs in halves.items():
        two = sum(r.speakers == 2 for r in recs)
        print(f"{half}: {two} two-speaker calls, {len(recs) - two} one-speaker recordings, "
              f"{sum(len(r.samples) for r in recs) / SR / 60:.1f} min")
    if args.tune:
        tune(halves["dev"], encoder, [float(f) for f in args.flips.split(",")])
        return
    settings = Settings()
    print(f"settings: {settings}")
    print(f"\n{'half':5s} {'condition':11s} {'DER':>6s} {'miss':>6s} {'FA':>6s} {'conf':>6s} | "
          f"{'base DER':>8s} {'b.conf':>6s} | {'count':>6s} {'b.count':>7s} {'1-sp 2-sp':>11s} | "
          f"{'RTF':>6s}")
    for half, recs in halves.items():
        for condition in CONDITIONS:
            rng = np.random.default_rng([SEED, CONDITIONS.index(condition)])
            rows, audio_s, compute_s = run_condition(recs, condition, encoder, settings, rng)
            err, base, acc, base_acc, by_truth = evaluate(rows, settings)
            split_counts = " ".join(f"{by_truth[n][0]:2d}/{by_truth[n][1]:<2d}" for n in (1, 2))
            print(f"{half:5s} {condition:11s} {err.der:6.1%} {err.missed:6.1%} "
                  f"{err.false_alarm:6.1%} {err.confusion:6.1%} | {base.der:8.1%} "
                  f"{base.confusion:6.1%} | {acc:6.1%} {base_acc:7.1%} {split_counts:>11s} | "
                  f"{compute_s / audio_s:6.3f}", flush=True)


def tune(recordings, encoder, flips) -> None:
    """Grid over min_flip_s x one_speaker_cosine on dev; the score is mean count accuracy, then
    mean DER, over all conditions. (min_flip_s 0.3, 0.6 and 1.0 scored within 0.1 point of
    DER of each other in the first sweep; pass --flips to sweep it again.)"""
    results = {}
    for flip in flips:
        settings = Settings(min_flip_s=flip)
        per_condition = []
        for condition in CONDITIONS:
            rng = np.random.default_rng([SEED, CONDITIONS.index(condition)])
            per_condition.append(run_condition(recordings, condition, encoder, settings, rng)[0])
        for cosine in np.arange(0.60, 0.96, 0.025):
            scored = [evaluate(rows, Settings(min_flip_s=flip, one_speaker_cosine=cosine))
                      for rows in per_condition]
            acc = np.mean([s[2] for s in scored])
            der = np.mean([s[0].der for s in scored])
            results[(flip, round(float(cosine), 3))] = (acc, der)
            print(f"min_flip_s {flip:.1f} one_speaker_cosine {cosine:.3f}: "
                  f"count accuracy {acc:.1%} DER {der:.1%}", flush=True)
    best = max(results, key=lambda k: (results[k][0], -results[k][1]))
    print(f"best on dev: min_flip_s={best[0]} one_speaker_cosine={best[1]} "
          f"(count accuracy {results[best][0]:.1%}, DER {results[best][1]:.1%})")


if __name__ == "__main__":
    main()
