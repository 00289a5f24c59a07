"""transcription.audio: every recording format people bring, decoded from an encrypted blob in
memory; damaged files refused in plain words; two-party stereo told from dual mono.

The formats are made at test time from a real AISHELL clip with the ffmpeg program (Debian's
has no AMR encoder: the AMR-NB file is encoded with the OpenCORE encoder bundled in PyAV)."""

from __future__ import annotations

import io
import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

import transcription.audio as audio_module
from storage.blobs.format import CHUNK_CT_SIZE, HEADER_SIZE
from storage.blobs.store import BlobCorrupt, BlobStore
from tests.support.telephone import amr_nb_bytes
from transcription.audio import (
    SAMPLE_RATE,
    AudioDecodeError,
    DecodedAudio,
    decode_audio,
    decode_with_ffmpeg,
    looks_like_two_party_stereo,
)

CLIP = "BAC009S0764W0121.wav"  # 4.20 s, 16 kHz mono Mandarin
OTHER_CLIP = "aishell-BAC009S0724W0121.wav"  # 4.28 s, another speaker

# extension -> ffmpeg output options (input: the clip)
FORMATS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "48k"],
    "m4a": ["-c:a", "aac", "-b:a", "48k"],
    "ogg": ["-c:a", "libvorbis"],
    "opus": ["-c:a", "libopus", "-b:a", "24k"],
    "flac": ["-c:a", "flac"],
    "3gp": ["-c:a", "aac", "-b:a", "32k", "-ar", "16000", "-f", "3gp"],
}


def run_ffmpeg(*args: object) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    *map(str, args)], check=True)


def wav_bytes(channels: list[np.ndarray], rate: int = SAMPLE_RATE) -> bytes:
    """A 16-bit PCM WAV with one column per array (all the same length)."""
    interleaved = np.stack(channels, axis=1)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(interleaved, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


@pytest.fixture
def audio_dir(testdata) -> Path:
    return testdata / "audio"


@pytest.fixture
def clip(audio_dir) -> np.ndarray:
    with open(audio_dir / CLIP, "rb") as f:
        return decode_audio(f).channels[0]


@pytest.fixture
def blobs(tmp_path) -> BlobStore:
    return BlobStore(tmp_path / "blobs", os.urandom(32))


def through_blob(blobs: BlobStore, data: bytes, **kwargs) -> DecodedAudio:
    stored = blobs.write(io.BytesIO(data))
    with blobs.open(stored.blob_id) as reader:
        with pytest.raises(io.UnsupportedOperation):
            reader.fileno()  # so nothing below could have handed ffmpeg a descriptor
        return decode_audio(reader, **kwargs)


def levels_db(samples: np.ndarray, window: int = 1600) -> np.ndarray:
    n = len(samples) // window
    return 10 * np.log10(np.mean(samples[: n * window].reshape(n, window) ** 2, axis=1) + 1e-10)


def assert_same_speech(decoded: np.ndarray, original: np.ndarray, *, tolerance_s: float = 0.1):
    """Same length (codec padding aside), same loudness contour (encoder delay aside)."""
    assert decoded.dtype == np.float32 and decoded.ndim == 1
    assert abs(len(decoded) - len(original)) <= tolerance_s * SAMPLE_RATE, \
        (len(decoded), len(original))
    a, b = levels_db(decoded), levels_db(original)
    n = min(len(a), len(b))
    best = max(np.corrcoef(np.maximum(a[s : n], -70), np.maximum(b[: n - s], -70))[0, 1]
               for s in range(3))
    assert best > 0.9, best
    assert abs(10 * np.log10(np.mean(decoded ** 2) / np.mean(original ** 2))) < 3.0


def test_wav_decodes_to_the_exact_samples(audio_dir, blobs):
    data = (audio_dir / CLIP).read_bytes()
    decoded = through_blob(blobs, data)
    with wave.open(io.BytesIO(data)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    assert len(decoded.channels) == 1
    assert decoded.duration_s == pytest.approx(len(pcm) / SAMPLE_RATE)
    np.testing.assert_allclose(decoded.channels[0], pcm / 32768.0, atol=1e-6)


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_format_made_by_ffmpeg_decodes_from_an_encrypted_blob(extension, audio_dir, clip,
                                                              blobs, tmp_path):
    target = tmp_path / f"call.{extension}"
    run_ffmpeg("-i", audio_dir / CLIP, *FORMATS[extension], target)
    decoded = through_blob(blobs, target.read_bytes())
    assert len(decoded.channels) == 1
    assert decoded.duration_s == pytest.approx(len(decoded.channels[0]) / SAMPLE_RATE)
    assert_same_speech(decoded.channels[0], clip)
    if extension == "flac":
        np.testing.assert_allclose(decoded.channels[0], clip, atol=1e-4)


def test_audio_track_of_a_video_decodes(audio_dir, clip, blobs, tmp_path):
    target = tmp_path / "screen-recording.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x64:r=5", "-i", audio_dir / CLIP,
               "-shortest", "-c:v", "mpeg4", "-c:a", "aac", target)
    decoded = through_blob(blobs, target.read_bytes())
    assert_same_speech(decoded.channels[0], clip, tolerance_s=0.3)


def test_amr_nb_decodes(clip, blobs):
    data = amr_nb_bytes(clip)
    assert data.startswith(b"#!AMR\n")
    decoded = through_blob(blobs, data)
    assert_same_speech(decoded.channels[0], clip)


def test_44k_stereo_flac_is_resampled_and_split(audio_dir, blobs):
    decoded = through_blob(blobs, (audio_dir / "jfk.flac").read_bytes(), split_channels=True)
    assert len(decoded.channels) == 2
    assert decoded.duration_s == pytest.approx(11.0, abs=0.01)
    assert all(len(c) == len(decoded.channels[0]) and c.dtype == np.float32
               for c in decoded.channels)
    mixed = through_blob(blobs, (audio_dir / "jfk.flac").read_bytes())
    assert len(mixed.channels) == 1 and len(mixed.channels[0]) == len(decoded.channels[0])


def test_ffmpeg_fallback_decodes_from_a_pipe(audio_dir, clip, blobs, tmp_path):
    sources = {"wav": (audio_dir / CLIP).read_bytes(), "amr": amr_nb_bytes(clip)}
    target = tmp_path / "call.mp3"
    run_ffmpeg("-i", audio_dir / CLIP, *FORMATS["mp3"], target)
    sources["mp3"] = target.read_bytes()
    for name, data in sources.items():
        stored = blobs.write(io.BytesIO(data))
        with blobs.open(stored.blob_id) as reader:
            decoded = decode_with_ffmpeg(reader)
        assert len(decoded.channels) == 1, name
        assert_same_speech(decoded.channels[0], clip)
    with blobs.open(blobs.write(io.BytesIO(sources["wav"])).blob_id) as reader:
        np.testing.assert_allclose(decode_with_ffmpeg(reader).channels[0], clip, atol=1e-6)
    with open(audio_dir / "stereo_diarization.wav", "rb") as f:
        split = decode_with_ffmpeg(f, split_channels=True)
        f.seek(0)
        direct = decode_audio(f, split_channels=True)
    assert len(split.channels) == 2
    for ours, theirs in zip(split.channels, direct.channels, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_decode_audio_falls_back_to_ffmpeg_when_pyav_fails(audio_dir, clip, monkeypatch):
    def refuse(fileobj, *, split_channels=False):
        fileobj.read(1000)  # the fallback must start from the beginning again
        raise AudioDecodeError("PyAV refused this stream")

    monkeypatch.setattr(audio_module, "decode_with_pyav", refuse)
    with open(audio_dir / CLIP, "rb") as f:
        decoded = decode_audio(f)
    np.testing.assert_allclose(decoded.channels[0], clip, atol=1e-6)
    # When ffmpeg fails too, the error is PyAV's, in plain words.
    with pytest.raises(AudioDecodeError, match="could not be decoded: PyAV refused"):
        decode_audio(io.BytesIO(os.urandom(4000)))


def broken_wav() -> bytes:
    """A WAV header promising a codec that does not exist, then noise."""
    import struct
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 0x1234, 1, 16000, 32000, 2, 16)
    data = b"\x00\xff" * 4000
    body = b"WAVE" + fmt + struct.pack("<4sI", b"data", len(data)) + data
    return struct.pack("<4sI", b"RIFF", len(body)) + body


@pytest.mark.parametrize("data", [os.urandom(20_000), b"", broken_wav(),
                                  b"#!AMR\n" + b"\xff" * 500],
                         ids=["random", "empty", "unknown-codec", "amr-garbage"])
@pytest.mark.parametrize("split_channels", [False, True])
def test_undecodable_input_is_a_plain_error(data, split_channels, blobs):
    with pytest.raises(AudioDecodeError) as caught:
        through_blob(blobs, data, split_channels=split_channels)
    message = str(caught.value)
    assert message.startswith("the recording could not be decoded: ")
    assert "Traceback" not in message and len(caught.value.reason) > 5
    if data == broken_wav():
        assert "audio format is not one this program can play" in message


def test_video_without_sound_says_so(tmp_path, blobs):
    target = tmp_path / "silent-film.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x64:r=5:d=1", "-c:v", "mpeg4", target)
    with pytest.raises(AudioDecodeError, match="no audio track"):
        through_blob(blobs, target.read_bytes())


def test_a_tampered_blob_is_reported_as_tampering_not_as_bad_audio(audio_dir, blobs):
    stored = blobs.write(io.BytesIO((audio_dir / CLIP).read_bytes()))
    path = blobs.path_for(stored.blob_id)
    damaged = bytearray(path.read_bytes())
    damaged[HEADER_SIZE + CHUNK_CT_SIZE + 100] ^= 1  # inside the second chunk
    path.write_bytes(bytes(damaged))
    for decode in (decode_audio, decode_with_ffmpeg):
        with blobs.open(stored.blob_id) as reader, pytest.raises(BlobCorrupt):
            decode(reader)


# ------------------------------------------------------------------- two-party stereo


def test_the_two_party_sample_is_recognised(audio_dir, blobs):
    decoded = through_blob(blobs, (audio_dir / "stereo_diarization.wav").read_bytes(),
                           split_channels=True)
    assert len(decoded.channels) == 2
    assert looks_like_two_party_stereo(decoded)


def test_a_call_with_one_speaker_per_channel_taking_turns(audio_dir, clip, blobs):
    with open(audio_dir / OTHER_CLIP, "rb") as f:
        other = decode_audio(f).channels[0]
    gap = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    left = np.concatenate([clip, gap, np.zeros_like(other)])
    right = np.concatenate([np.zeros_like(clip), gap, other])
    right += 0.02 * left  # a little of the other side leaks in, as on real lines
    decoded = through_blob(blobs, wav_bytes([left, right]), split_channels=True)
    assert looks_like_two_party_stereo(decoded)
    mixed = through_blob(blobs, wav_bytes([left, right]))
    assert len(mixed.channels) == 1


def test_dual_mono_is_not_two_party(audio_dir, clip, blobs):
    with open(audio_dir / "jfk.flac", "rb") as f:
        assert not looks_like_two_party_stereo(decode_audio(f, split_channels=True))
    quieter_copy = through_blob(blobs, wav_bytes([clip, 0.5 * clip]), split_channels=True)
    assert not looks_like_two_party_stereo(quieter_copy)


def test_one_room_two_microphones_is_not_two_party(clip):
    # The same voice reaching a second microphone 0.8 ms later, duller and with hiss.
    second = np.convolve(np.roll(clip, 13), np.ones(8) / 8, mode="same") * 0.6
    second += np.random.default_rng(0).normal(0, 0.002, len(clip))
    room = DecodedAudio((clip, second.astype(np.float32)), len(clip) / SAMPLE_RATE)
    assert abs(np.corrcoef(clip, second)[0, 1]) < 0.9  # not caught by the copy test alone
    assert not looks_like_two_party_stereo(room)


def test_one_silent_or_hissing_channel_is_not_two_party(clip):
    hiss = np.random.default_rng(0).normal(0, 0.01, len(clip)).astype(np.float32)
    for other in (np.zeros_like(clip), hiss):
        assert not looks_like_two_party_stereo(
            DecodedAudio((clip, other), len(clip) / SAMPLE_RATE))
    assert not looks_like_two_party_stereo(DecodedAudio((clip,), len(clip) / SAMPLE_RATE))


def test_a_recording_longer_than_the_first_guess_grows_the_buffer(clip):
    # The ffmpeg pipe gives no duration, so its buffer starts at 60 s and must grow.
    long = np.tile(clip, 16)  # 67 s
    data = wav_bytes([long, long[::-1]])
    split = decode_with_ffmpeg(io.BytesIO(data), split_channels=True)
    assert split.duration_s == pytest.approx(len(long) / SAMPLE_RATE)
    np.testing.assert_allclose(split.channels[0], long, atol=1e-4)
    np.testing.assert_allclose(split.channels[1], long[::-1], atol=1e-4)
    assert decode_audio(io.BytesIO(data)).duration_s == split.duration_s
