"""Transcription figures: error rate, real-time factor, peak RSS and model load time for each
engine (and faster-whisper variants) on every clip of shared/testdata/audio/references.tsv plus
a ~10-minute Mandarin file of those clips with silences between them, in one run.

    .venv/bin/python bench/transcribe.py [--minutes 10] [--variants default,beam1,openai]

Each engine/variant runs in its own process (clean peak RSS and load time); the parent prints a
table and the speed ratio faster-whisper / openai-whisper on the long file."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AUDIO = ROOT.parent / "shared" / "testdata" / "audio"
VARIANTS = {
    "default": {"engine": "faster-whisper"},
    "beam1": {"engine": "faster-whisper", "beam_size": 1},
    "batch8": {"engine": "faster-whisper", "batch_size": 8},
    "batch8-beam1": {"engine": "faster-whisper", "batch_size": 8, "beam_size": 1},
    "openai": {"engine": "openai-whisper"},
}


def clips() -> list[dict]:
    with open(AUDIO / "references.tsv", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f, delimiter="\t")
                if row["filename"] != "stereo_diarization.wav"]


def load(path: Path):
    from transcription.audio import decode_audio
    with open(path, "rb") as f:
        return decode_audio(f).mono


def long_file(minutes: float) -> tuple[np.ndarray, str]:
    """Mandarin clips with 3 s of silence between them, repeated to `minutes`."""
    zh = [c for c in clips() if c["language"] == "zh"]
    silence = np.zeros(16000 * 3, dtype=np.float32)
    pieces, refs, total = [], [], 0
    while total < minutes * 60 * 16000:
        for clip in zh:
            samples = load(AUDIO / clip["filename"])
            pieces += [samples, silence]
            refs.append(clip["reference_text"])
            total += len(samples) + len(silence)
    return np.concatenate(pieces), "".join(refs)


def measure(variant: str, minutes: float) -> dict:
    """Run inside the child process."""
    from logger.config import Config
    from transcription.chinese import cer, normalise_for_cer, wer
    from transcription.engines import make_engine
    settings = dict(VARIANTS[variant])
    config = dataclasses.replace(Config().transcription, **settings)
    cache = ROOT / "data" / "models"
    engine = make_engine(config, cache_dir=cache)
    started = time.perf_counter()
    engine.transcribe(np.zeros(16000, dtype=np.float32), language="zh")   # forces the load
    load_s = time.perf_counter() - started
    rows = []
    for clip in clips():
        audio = load(AUDIO / clip["filename"])
        started = time.perf_counter()
        out = engine.transcribe(audio, language=clip["language"])
        took = time.perf_counter() - started
        rate = (cer(normalise_for_cer(clip["reference_text"]), normalise_for_cer(out.text))
                if clip["language"] == "zh" else wer(clip["reference_text"], out.text))
        rows.append({"clip": clip["filename"], "metric": "CER" if clip["language"] == "zh"
                     else "WER", "error": rate, "rtf": took / (len(audio) / 16000)})
    audio, reference = long_file(minutes)
    started = time.perf_counter()
    out = engine.transcribe(audio, language="zh")
    took = time.perf_counter() - started
    long = {"seconds": len(audio) / 16000, "took": took, "rtf": took / (len(audio) / 16000),
            "cer": cer(normalise_for_cer(reference), normalise_for_cer(out.text))}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": variant, "load_s": load_s, "clips": rows, "long": long,
            "peak_rss_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--variants", default="default,beam1,openai")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.minutes)))
        return
    results = {}
    for variant in args.variants.split(","):
        run = subprocess.run([sys.executable, __file__, "--child", variant,
                              "--minutes", str(args.minutes)], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"{variant}: failed: {run.stderr.strip().splitlines()[-1:]}")
            continue
        results[variant] = json.loads(run.stdout.strip().splitlines()[-1])
    for variant, r in results.items():
        mean = sum(c["error"] for c in r["clips"]) / len(r["clips"])
        print(f"\n== {variant}: model load {r['load_s']:.2f} s, peak RSS {r['peak_rss_mb']:.0f} MB")
        for c in r["clips"]:
            print(f"  {c['clip']:<45} {c['metric']} {c['error']:.3f}  RTF {c['rtf']:.2f}")
        long = r["long"]
        print(f"  mean clip error {mean:.3f}; long file {long['seconds'] / 60:.1f} min: "
              f"{long['took']:.1f} s, RTF {long['rtf']:.3f}, CER {long['cer']:.3f}")
    if "openai" in results:
        base = results["openai"]["long"]["took"]
        for variant, r in results.items():
            if variant != "openai":
                print(f"speed {variant} / openai-whisper on the long file: "
                      f"{base / r['long']['took']:.2f}x")


if __name__ == "__main__":
    main()
