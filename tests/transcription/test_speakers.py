"""transcription.speakers: the torch-free weight reader gives torch's own tensors; the numpy
encoder is torch's LSTM + Linear; calls assembled from shared clips of different people are
split into their voices; one voice stays one; mixed transcript segments get no label.

torch is installed in the test environment (the openai-whisper extra): it is the reference here,
never a dependency of transcription.speakers."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from transcription.audio import decode_audio
from transcription.speakers import Diarization, SpeakerEncoder, UnsafeCheckpoint, diarize
from transcription.speakers.der import diarization_error
from transcription.speakers.encoder import (
    PARTIAL_FRAMES,
    mel_spectrogram,
    normalize_volume,
)
from transcription.speakers.weights import load_state, resemblyzer_weights_path

SR = 16_000


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    return SpeakerEncoder.load()


def clip(testdata, name: str) -> np.ndarray:
    with open(testdata / "audio" / name, "rb") as f:
        return decode_audio(f).mono


def call(parts: list[tuple[str, np.ndarray]], pause_s: float = 0.6):
    """The parts one after another with pauses; the reference turns are the parts' spans."""
    pause = np.zeros(int(pause_s * SR), np.float32)
    pieces, turns, t = [pause], [], pause_s
    for label, samples in parts:
        turns.append((t, t + len(samples) / SR, label))
        pieces += [samples, pause]
        t += len(samples) / SR + pause_s
    return np.concatenate(pieces), turns


def test_weight_reader_gives_the_tensors_torch_loads():
    ours = load_state(resemblyzer_weights_path())
    theirs = torch.load(resemblyzer_weights_path(), map_location="cpu",
                        weights_only=True)["model_state"]
    assert set(ours) == set(theirs)
    for name, tensor in theirs.items():
        assert ours[name].dtype == np.float32
        np.testing.assert_array_equal(ours[name], tensor.numpy(), err_msg=name)


@pytest.mark.parametrize("zipped", [True, False])
def test_weight_reader_reads_both_torch_formats_and_views(tmp_path, zipped):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state = {"w": base, "column": base[:, 2], "transposed": base.t(), "half": base.half()[1]}
    path = tmp_path / "small.pt"
    torch.save(state, path, _use_new_zipfile_serialization=zipped)
    ours = load_state(path)
    for name, tensor in state.items():
        np.testing.assert_array_equal(ours[name], tensor.float().numpy(), err_msg=name)


def test_weight_reader_refuses_anything_but_tensors(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f)
        pickle.dump({"model_state": {"w": Payload()}}, f)
    with pytest.raises(UnsafeCheckpoint, match="builtins.print"):
        load_state(path)


@pytest.fixture
def torch_one_thread():
    """torch's thread pool spins against the rest of a busy 2-core machine (12 s instead of
    0.1 s for this LSTM); the reference needs no speed, so one thread, restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_numpy_encoder_equals_torch_lstm_and_linear(testdata, encoder, torch_one_thread):
    state = load_state(resemblyzer_weights_path())
    lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)
    linear = torch.nn.Linear(256, 256)
    lstm.load_state_dict({k[5:]: torch.from_numpy(v) for k, v in state.items()
                          if k.startswith("lstm.")})
    linear.load_state_dict({k[7:]: torch.from_numpy(v) for k, v in state.items()
                            if k.startswith("linear.")})
    mel = mel_spectrogram(normalize_volume(clip(testdata, "jfk.flac")))
    for windows in (np.stack([mel[i:i + PARTIAL_FRAMES] for i in (0, 250, 500, 800)]),
                    mel[None, 300:337]):  # shorter than a partial window too
        with torch.no_grad():
            _, (hidden, _) = lstm(torch.from_numpy(windows))
            raw = torch.relu(linear(hidden[-1]))
            expected = (raw / raw.norm(dim=1, keepdim=True)).numpy()
        np.testing.assert_allclose(encoder.last_hidden(windows), hidden[-1].numpy(), atol=1e-4)
        np.testing.assert_allclose(encoder.embed_frames_batch(windows), expected, atol=1e-4)


def test_two_voices_are_told_apart(testdata, encoder):
    """Speaker X (AISHELL S0764, two clips) around speaker Y (JFK), 17.8 s of scored speech.
    Calling it all one voice scores 41 % (X's whole share is confusion). The bound, 10 %, is a
    quarter of that and still lets each of the two changes land ~0.9 s off; the detector's
    clip-edge misses are inside the 0.25 s collar. (It scores 0 % today; dev calls average 4 %
    clean, 14 % at 10 dB white noise, in bench/diarization.py.)"""
    samples, reference = call([("X", clip(testdata, "BAC009S0764W0121.wav")),
                               ("Y", clip(testdata, "jfk.flac")),
                               ("X", clip(testdata, "BAC009S0764W0122.wav"))])
    result = diarize(samples, encoder=encoder)
    assert result.speakers == 2
    error = diarization_error(reference, result.turns, collar=0.25)
    assert error.der < 0.10, error
    assert result.turns[0][2] == "A"
    assert result.label_segments([(a, b) for a, b, _ in reference]) == ["A", "B", "A"]
    # the same with the speech regions given (as a transcript's segments would)
    given = diarize(samples, [(a, b) for a, b, _ in reference], encoder=encoder)
    assert given.speakers == 2
    assert diarization_error(reference, given.turns, collar=0.25).der < 0.10


def test_one_voice_stays_one(testdata, encoder):
    """A far-field meeting speaker over 12 s, pauses included. (Not every single voice is kept
    whole: see the one-speaker accuracy in bench/diarization.py.)"""
    samples = clip(testdata, "TEST_MEETING_T0000000001_S00000.wav")
    result = diarize(samples, encoder=encoder)
    assert result.speakers == 1
    assert {label for *_, label in result.turns} == {"A"}
    assert result.label_segments([(0.0, len(samples) / SR)]) == ["A"]


def test_silence_has_no_speakers(encoder):
    result = diarize(np.zeros(3 * SR, np.float32), encoder=encoder)
    assert (result.speakers, result.turns) == (0, [])


def test_a_segment_across_a_change_gets_no_label(testdata, encoder):
    first = clip(testdata, "librispeech-1995-1837-0001.wav")
    second = clip(testdata, "TEST_MEETING_T0000000001_S00000.wav")
    samples, reference = call([("X", first), ("Y", second)])
    result = diarize(samples, encoder=encoder)
    change = reference[1][0]
    assert result.label_segments([(change - 3, change + 3), (1.0, change - 1.5),
                                  (change + 1.5, change + 5)]) == [None, "A", "B"]


def test_label_segments_needs_a_clear_majority():
    result = Diarization([(0.0, 7.0, "A"), (7.0, 10.0, "B"), (12.0, 13.0, "B")], 2)
    assert result.label_segments([(0, 10), (2, 10), (0, 4), (10, 12), (11, 14)]) == \
        ["A", None, "A", None, "B"]


def test_der_counts_each_kind_of_error_and_maps_labels():
    reference = [(0.0, 10.0, "x"), (10.0, 20.0, "y")]
    hypothesis = [(1.0, 12.0, "B"), (12.0, 20.0, "A"), (20.0, 22.0, "A")]
    error = diarization_error(reference, hypothesis)
    assert (error.missed_s, error.false_alarm_s, error.confusion_s, error.reference_s) == \
        pytest.approx((1.0, 2.0, 2.0, 20.0))
    assert error.der == pytest.approx(0.25)
    collared = diarization_error(reference, hypothesis, collar=0.5)
    # 0.5 s either side of 0, 10 and 20 are not scored: 18 s of reference remain
    assert collared.reference_s == pytest.approx(18.0)
    assert collared.missed_s == pytest.approx(0.5)
    assert diarization_error(reference, [(0.0, 10.0, "q"), (10.0, 20.0, "r")]).der == 0


def test_the_speakers_package_never_imports_torch(tmp_path):
    script = ("import sys, numpy as np\n"
              "from transcription.speakers import diarize\n"
              "t = np.arange(48000) / 16000\n"
              "tone = (0.1 * np.sin(2 * np.pi * 220 * t) * (t > 1)).astype(np.float32)\n"
              "assert diarize(tone).speakers == 1\n"
              "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'resemblyzer')]\n"
              "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
