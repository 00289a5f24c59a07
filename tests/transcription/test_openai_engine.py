"""The openai-whisper engine: the embedded model converted to an openai-whisper checkpoint,
and both engines agreeing on real clips from ../shared/testdata/audio.

Measured here (2 cores, beam 5, VAD on): between the engines, jfk.flac WER 0.000 and
BAC009S0764W0121.wav CER 0.000; the conversion takes about a second.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

# `make test` installs the openai-whisper extra, so this engine is always tested: a missing
# package is a broken set-up and must fail, not skip.
import torch
import whisper

from logger.config import TranscriptionConfig  # noqa: E402
from transcription.audio import decode_audio  # noqa: E402
from transcription.chinese import cer, wer  # noqa: E402
from transcription.engines import make_engine  # noqa: E402
from transcription.engines.convert import CHECKPOINT_NAME, ensure_openai_checkpoint  # noqa: E402
from transcription.engines.openai_whisper import OpenAIWhisperEngine  # noqa: E402

AGREEMENT_BOUND = 0.1

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def checkpoint(model_dir) -> Path:
    return ensure_openai_checkpoint(model_dir)


def load(testdata: Path, name: str) -> np.ndarray:
    with open(testdata / "audio" / name, "rb") as f:
        return decode_audio(f).channels[0]


def test_the_checkpoint_matches_whisper_s_model(checkpoint):
    saved = torch.load(checkpoint, map_location="cpu")
    assert saved["dims"] == {"n_mels": 80, "n_audio_ctx": 1500, "n_audio_state": 512,
                             "n_audio_head": 8, "n_audio_layer": 6, "n_vocab": 51865,
                             "n_text_ctx": 448, "n_text_state": 512, "n_text_head": 8,
                             "n_text_layer": 6}
    expected = whisper.model.Whisper(whisper.model.ModelDimensions(**saved["dims"])).state_dict()
    state = saved["model_state_dict"]
    assert set(state) == set(expected)
    assert {k: tuple(v.shape) for k, v in state.items()} == \
        {k: tuple(v.shape) for k, v in expected.items()}
    assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in state.values())


def test_the_checkpoint_is_converted_once(model_dir, checkpoint):
    assert checkpoint == model_dir / CHECKPOINT_NAME
    before = checkpoint.stat()
    assert ensure_openai_checkpoint(model_dir) == checkpoint
    after = checkpoint.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not [p for p in model_dir.iterdir() if p.name.startswith(f".{CHECKPOINT_NAME}.")
                and not p.name.endswith(".lock")]


@pytest.mark.parametrize(("clip", "language", "rate"),
                         [("jfk.flac", "en", wer), ("BAC009S0764W0121.wav", "zh", cer)])
def test_both_engines_agree(clip, language, rate, model_dir, checkpoint, testdata):
    audio = load(testdata, clip)
    config = TranscriptionConfig()
    reference = make_engine(config, cache_dir=model_dir).transcribe(audio, language=language)
    engine = make_engine(dataclasses.replace(config, engine="openai-whisper"),
                         cache_dir=model_dir)
    assert isinstance(engine, OpenAIWhisperEngine)
    transcript = engine.transcribe(audio, language=language)
    assert transcript.engine == "openai-whisper" and transcript.language == language
    assert reference.text and transcript.text
    assert rate(reference.text, transcript.text) <= AGREEMENT_BOUND, \
        (reference.text, transcript.text)
    assert all(0 <= s.start <= s.end <= transcript.duration_s + 0.5
               for s in transcript.segments)


def test_silence_gives_no_text(model_dir):
    engine = make_engine(TranscriptionConfig(engine="openai-whisper"), cache_dir=model_dir)
    transcript = engine.transcribe(np.zeros(16_000 * 3, dtype=np.float32))
    assert transcript.segments == () and transcript.language == ""


def test_progress_is_reported_between_groups_of_speech(model_dir, testdata, monkeypatch):
    """openai-whisper itself reports nothing while it runs: the engine hands it the speech in
    groups and reports after each; every group's words are there, at the recording's times."""
    import transcription.engines.openai_whisper as module

    clip = load(testdata, "BAC009S0764W0121.wav")
    gap = np.zeros(16_000 * 2, dtype=np.float32)
    audio = np.concatenate([clip, gap, clip, gap, clip])
    whole = make_engine(TranscriptionConfig(engine="openai-whisper"), cache_dir=model_dir)
    once = whole.transcribe(clip, language="zh").text
    monkeypatch.setattr(module, "GROUP_S", 5)   # one clip (about 4 s) per group
    seen: list[float] = []
    grouped = whole.transcribe(audio, language="zh", progress=seen.append)
    assert len(seen) >= 4 and seen == sorted(seen) and seen[-1] == 1.0
    assert 0.2 < seen[0] < 0.5   # after the first of three clips
    assert cer(once * 3, grouped.text) <= 0.1, (once, grouped.text)
    starts = [s.start for s in grouped.segments]
    assert starts == sorted(starts) and starts[-1] > 12   # times are the recording's


def test_word_timings_come_with_the_segments(model_dir, testdata):
    engine = make_engine(TranscriptionConfig(engine="openai-whisper"), cache_dir=model_dir)
    transcript = engine.transcribe(load(testdata, "jfk.flac"), language="en",
                                   word_timestamps=True)
    words = [w for s in transcript.segments for w in s.words]
    assert "country" in " ".join(w.text.lower() for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert all(0 <= w.start <= w.end <= transcript.duration_s + 0.5 for w in words)
    assert all(0 <= w.probability <= 1 for w in words)


def test_without_the_extra_the_error_says_how_to_install_it(model_dir, monkeypatch):
    import importlib.util

    from transcription.engines.base import TranscriptionError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "whisper" else real(name, *a))
    with pytest.raises(TranscriptionError, match=r"pip install '\.\[openai-whisper\]'"):
        make_engine(TranscriptionConfig(engine="openai-whisper"), cache_dir=model_dir)


def test_int8_weights_are_dequantized_with_their_scales():
    from transcription.engines.convert import _float

    weight = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    scale = 127 / np.abs(weight).max(axis=1)
    variables = {"w": np.round(weight * scale[:, None]).astype(np.int8),
                 "w_scale": scale.astype(np.float32),
                 "h": weight.astype(np.float16)}
    assert np.allclose(_float(variables, "w"), weight, atol=0.01)
    assert _float(variables, "h").dtype == np.float32
