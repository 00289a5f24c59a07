"""Transcription figures on recordings of distinct utterances (issue 14), in one run: the
product's settings beside the settings before (a baseline commit's own code, with the prompt
its job passed), faster-whisper's own defaults and openai-whisper on the same weights.

    .venv/bin/python bench/transcribe.py [--half test] [--variants product,before,fw,openai]

The corpus is bench/speech_corpus.tsv: each clip's file, text, speaker, source and licence,
and the half it belongs to, fixed before any setting was tuned (settings were tuned on "dev";
report "test"). Clips come from ../shared/testdata/audio and from a folder of public clips
kept outside the repository (`--audio-dir`, default ../bench-audio; the table says where each
came from, so the folder can be rebuilt; some may not be redistributed).

From each half's clips, with no clip used twice in a recording:
- zh-long: every Mandarin clip, one after another with pauses of 0.4-1.5 s;
- zh-dialogue: two voices taking turns (the Biaobei speaker and the others) with 0.2-0.8 s;
- en-long: every English clip.
Each is read clean and through a phone line: G.711 μ-law, AMR-NB 12.2k, and GSM with a real
kitchen noise (../bench-audio/doing_the_dishes.wav; pink noise if absent) at 15 and 10 dB.

Printed per variant, recording and line: CER (Mandarin, micro: all edits over all reference
characters) or WER (English), with substitutions, deletions and insertions; utterances lost
(less than a fifth of their length came out as text) and those of 3 s or more lost with no
gap marker; RTF; and per variant peak RSS. Each variant runs in a process of its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # tests.support; after PYTHONPATH, which may hold a baseline tree
CORPUS = ROOT / "bench" / "speech_corpus.tsv"
SHARED = ROOT.parent / "shared" / "testdata" / "audio"
BASELINE = "82857e2"  # the last commit before issue 14's transcription work
LINES = ("clean", "mulaw", "amr", "gsm+noise15", "gsm+noise10")
VARIANTS = ("product", "before", "fw", "openai")
# What openai-whisper reads by default (it is ~5x slower on two cores).
OPENAI_LINES = ("clean",)


def corpus(half: str, audio_dir: Path) -> dict:
    """{"zh-long": Recording, "zh-dialogue": Recording, "en-long": Recording} of `half`."""
    from tests.support.recordings import Clip, assemble, load_clip

    with open(CORPUS, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["half"] == half]
    clips = {}
    for row in rows:
        folder = SHARED if row["folder"] == "shared" else audio_dir
        clip = Clip(row["filename"], row["language"], row["reference_text"], row["speaker"])
        if (folder / clip.name).exists():
            clips[clip] = load_clip(folder, clip)
    zh = [c for c in clips if c.language == "zh"]
    first = [c for c in zh if c.speaker.startswith("Biaobei")]
    second = [c for c in zh if not c.speaker.startswith("Biaobei")
              and not c.speaker.startswith("WenetSpeech")][-len(first):]
    turns = [c for pair in zip(first, second) for c in pair]
    return {"zh-long": assemble([(c, clips[c]) for c in zh], seed=1),
            "zh-dialogue": assemble([(c, clips[c]) for c in turns], seed=2,
                                    pause_s=(0.2, 0.8)),
            "en-long": assemble([(c, clips[c]) for c in clips if c.language == "en"], seed=3)}


def line(samples: np.ndarray, name: str, noise: np.ndarray | None) -> np.ndarray:
    from tests.support.telephone import add_noise, telephone

    if name == "clean":
        return samples
    if name in ("mulaw", "amr"):
        return telephone(samples, name)
    return add_noise(telephone(samples, "gsm"), float(name.removeprefix("gsm+noise")),
                     noise=noise)


class Transcriber:
    """One variant's way of turning audio into segments (with .start .end .text .kind)."""

    def __init__(self, variant: str, models: Path):
        import dataclasses

        from logger.config import Config
        from transcription.engines import make_engine

        self.variant, _, settings = variant.partition(":")
        settings = _settings(settings)
        # Tuning knobs that are module constants, not config keys.
        if "condition" in settings:
            from transcription.engines import faster
            faster.CONDITION_ON_PREVIOUS_TEXT = bool(settings.pop("condition"))
        for knob in ("JOIN_CLIP_S", "MAX_CLIP_S", "JOIN_GAP_S", "SILERO_THRESHOLD"):
            if knob.lower() in settings:
                from transcription import speech
                setattr(speech, knob, float(settings.pop(knob.lower())))
        config = dataclasses.replace(Config().transcription, **settings)
        self.engine = make_engine(config, cache_dir=models)
        if self.variant == "openai":
            self.engine = make_engine(dataclasses.replace(config, engine="openai-whisper"),
                                      cache_dir=models)

    def load(self) -> None:
        self.engine.model()

    def __call__(self, audio: np.ndarray, language: str) -> list:
        if self.variant == "product":
            return list(self.engine.transcribe(audio, language=language).segments)
        if self.variant == "before":
            from transcription.chinese import build_prompt   # the baseline tree's own

            prompt = None if language == "en" else build_prompt("信用飞", "某某资产管理")
            return list(self.engine.transcribe(audio, language=language,
                                               prompt=prompt).segments)
        if self.variant == "fw":
            pieces, _ = self.engine.model().transcribe(audio, language=language)
            return [_Plain(p.start, p.end, _simplified(p.text, language)) for p in pieces]
        model, _lock = self.engine.model()
        result = model.transcribe(audio, language=language, beam_size=5, best_of=5,
                                  fp16=False)
        return [_Plain(p["start"], p["end"], _simplified(p["text"], language))
                for p in result["segments"]]


def _settings(text: str) -> dict:
    """"batch_size=8+beam_size=1" -> {"batch_size": 8, "beam_size": 1} (a variant's config)."""
    pairs = (item.split("=", 1) for item in text.split("+") if item)
    return {key: int(value) if value.isdigit() else float(value) if value[:1].isdigit()
            else value for key, value in pairs}


class _Plain:
    kind = None

    def __init__(self, start: float, end: float, text: str):
        self.start, self.end, self.text = start, end, text.strip()


def _simplified(text: str, language: str) -> str:
    from transcription.chinese import to_simplified

    return to_simplified(text) if language == "zh" else text


def measure(variant: str, half: str, lines: list[str], audio_dir: Path, models: Path) -> dict:
    """In the child: every recording of `half` on every line, with this variant."""
    from tests.support.recordings import score
    from tests.support.telephone import SAMPLE_RATE

    noise_file = audio_dir / "doing_the_dishes.wav"
    noise = None
    if noise_file.exists():
        from transcription.audio import decode_audio
        with open(noise_file, "rb") as f:
            noise = decode_audio(f).mono
    transcribe = Transcriber(variant, models)
    started = time.perf_counter()
    transcribe.load()
    load_s = time.perf_counter() - started
    rows = []
    for name, recording in corpus(half, audio_dir).items():
        language = recording.utterances[0].clip.language
        for line_name in lines:
            audio = line(recording.samples, line_name, noise)
            started = time.perf_counter()
            segments = transcribe(audio, language)
            took = time.perf_counter() - started
            result = score(recording, segments)
            rows.append({"recording": name, "line": line_name,
                         "seconds": len(audio) / SAMPLE_RATE, "took": took,
                         "utterances": result.utterances, "S": result.substitutions,
                         "D": result.deletions, "I": result.insertions,
                         "N": result.reference_units, "lost": len(result.lost),
                         "lost_unmarked": len(result.lost_unmarked),
                         "gaps": sum(1 for s in segments
                                     if getattr(s, "kind", None) == "gap")})
    return {"variant": variant, "load_s": load_s, "rows": rows,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(variant: str, args, tree: Path | None) -> dict | None:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), str(ROOT)])
    lines = [x for x in args.lines.split(",")
             if not variant.startswith("openai") or x in OPENAI_LINES or args.openai_all_lines]
    run = subprocess.run([sys.executable, __file__, "--child", variant, "--half", args.half,
                          "--lines", ",".join(lines), "--audio-dir", str(args.audio_dir),
                          "--models", str(args.models)],
                         capture_output=True, text=True, env=env, cwd=tree or ROOT)
    if run.returncode != 0:
        print(f"{variant}: failed: {run.stderr.strip()[-2000:]}")
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])


def report(results: dict) -> None:
    print(f"\n{'variant':<9}{'recording':<13}{'line':<13}{'rate':>6}{'S':>5}{'D':>5}{'I':>5}"
          f"{'N':>6}  lost (≥3 s unmarked)/utt  gaps   RTF")
    for variant, result in results.items():
        for r in result["rows"]:
            rate = (r["S"] + r["D"] + r["I"]) / max(1, r["N"])
            print(f"{variant:<9}{r['recording']:<13}{r['line']:<13}{rate:6.3f}{r['S']:5d}"
                  f"{r['D']:5d}{r['I']:5d}{r['N']:6d}  {r['lost']:>4} ({r['lost_unmarked']})"
                  f"/{r['utterances']:<3}{'':>10}{r['gaps']:4d} {r['took'] / r['seconds']:6.3f}")
    print()
    for variant, result in results.items():
        took = sum(r["took"] for r in result["rows"] if r["line"] == "clean")
        audio = sum(r["seconds"] for r in result["rows"] if r["line"] == "clean")
        print(f"{variant:<9} model load {result['load_s']:.1f} s, peak RSS "
              f"{result['peak_rss_mb']:.0f} MB, clean RTF {took / audio:.3f}")
    if "openai" in results and "product" in results:
        def clean_took(variant):
            return sum(r["took"] for r in results[variant]["rows"] if r["line"] == "clean")
        print(f"speed product / openai-whisper (clean recordings): "
              f"{clean_took('openai') / clean_took('product'):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", default="test", choices=("dev", "test"))
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help='also "product:batch_size=8+beam_size=1" (config settings)')
    parser.add_argument("--lines", default=",".join(LINES))
    parser.add_argument("--openai-all-lines", action="store_true")
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--audio-dir", type=Path, default=ROOT.parent / "bench-audio")
    parser.add_argument("--models", type=Path, default=ROOT / "data" / "models")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.half, args.lines.split(","),
                                 args.audio_dir, args.models)))
        return
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for variant in args.variants.split(","):
            tree = None
            if variant.startswith("before"):
                from baseline import baseline_tree   # bench/baseline.py, beside this file
                tree = baseline_tree(args.baseline, Path(folder) / "before",
                                     ("logger", "storage", "transcription"))
            if (result := run_child(variant, args, tree)) is not None:
                results[variant] = result
    print(f"half: {args.half}; before = {args.baseline}; audio: {args.audio_dir}")
    report(results)


if __name__ == "__main__":
    main()
