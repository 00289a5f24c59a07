"""Decoding a recording into 16 kHz float32 samples, in memory only.

Evidence is read through `storage.blobs.BlobReader`, a seekable file object over the decrypted
content that refuses `fileno()`: the plaintext never touches the disk. PyAV (FFmpeg's libraries,
bundled in its wheel) reads the file object directly and resamples with its AudioResampler;
where PyAV cannot decode a stream, the `ffmpeg` program gets the bytes on stdin from a writer
thread and writes a float WAV to stdout (no temporary file either way). The ffmpeg fallback
needs input it can read front to back: an MP4 whose index sits at the end only decodes through
PyAV.

Samples go frame by frame into one growing float32 buffer (a one-hour call is ~230 MB mono).
"""

from __future__ import annotations

import contextlib
import shutil
import struct
import subprocess
import threading
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

SAMPLE_RATE = 16_000
_READ_BLOCK = 1024 * 1024
_FIRST_GUESS_S = 60.0  # buffer size when the container does not say how long it is
_MOST_EXPECTED_S = 4 * 3600.0  # first buffer at most this long; it grows if the call is longer
_NO_DECODER = "its audio format is not one this program can play ({reason})"
_ERROR_TAIL = 2000  # bytes of ffmpeg's stderr kept for the error message


class AudioDecodeError(Exception):
    """The recording could not be decoded; `reason` is the decoder's own words."""

    def __init__(self, reason: str):
        self.reason = reason.strip() or "unknown error"
        super().__init__(f"the recording could not be decoded: {self.reason}")


@dataclass(frozen=True)
class DecodedAudio:
    channels: tuple[np.ndarray, ...]  # float32, 16 kHz: one per source channel, or one mono
    duration_s: float

    @property
    def mono(self) -> np.ndarray:
        """All channels mixed into one (the channel itself when there is only one)."""
        if len(self.channels) == 1:
            return self.channels[0]
        return np.mean(np.stack(self.channels), axis=0, dtype=np.float32)


def decode_audio(fileobj: BinaryIO, *, split_channels: bool = False) -> DecodedAudio:
    """Decode the first audio track of `fileobj` (any position; read from the start) to 16 kHz
    float32: one array per source channel if `split_channels`, else one downmixed channel.

    Raises AudioDecodeError (not audio, damaged, no audio track) with the decoder's reason.
    Errors of the file object itself (e.g. storage.blobs.BlobCorrupt) propagate unchanged."""
    try:
        return decode_with_pyav(fileobj, split_channels=split_channels)
    except AudioDecodeError as pyav_error:
        if shutil.which("ffmpeg") is None:
            raise
        try:
            return decode_with_ffmpeg(fileobj, split_channels=split_channels)
        except AudioDecodeError:
            raise pyav_error from None


class _Samples:
    """One growing float32 buffer per channel. Growth and the final trim resize in place
    (realloc), so a long call never needs twice its size in memory at once."""

    def __init__(self, channels: int, expected_s: float):
        capacity = max(SAMPLE_RATE, int(expected_s * SAMPLE_RATE * 1.02))
        self._channels = [np.zeros(capacity, dtype=np.float32) for _ in range(channels)]
        self.filled = 0

    def append(self, block: np.ndarray) -> None:
        """Add `block`, shaped (channels, n)."""
        if block.shape[0] != len(self._channels):
            raise AudioDecodeError(f"the channel count changed from {len(self._channels)} to "
                                   f"{block.shape[0]} inside the recording")
        end = self.filled + block.shape[1]
        for channel, row in zip(self._channels, block, strict=True):
            if end > len(channel):
                # No view of the buffer outlives a call, so resizing in place is safe.
                channel.resize(max(2 * len(channel), end), refcheck=False)
            channel[self.filled : end] = row
        self.filled = end

    def result(self) -> DecodedAudio:
        for channel in self._channels:
            channel.resize(self.filled, refcheck=False)
        return DecodedAudio(tuple(self._channels), self.filled / SAMPLE_RATE)


def decode_with_pyav(fileobj: BinaryIO, *, split_channels: bool = False) -> DecodedAudio:
    """decode_audio through PyAV only (no fallback). Same contract."""
    fileobj.seek(0)
    try:
        container = av.open(fileobj, mode="r", metadata_errors="ignore")
    except av.FFmpegError as e:
        raise AudioDecodeError(_pyav_reason(e)) from None
    with container:
        if not container.streams.audio:
            raise AudioDecodeError("the file has no audio track")
        stream = container.streams.audio[0]
        if stream.codec_context is None:  # FFmpeg has no decoder for this codec
            raise AudioDecodeError(_NO_DECODER.format(reason="Decoder not found"))
        channels = stream.codec_context.channels if split_channels else 1
        if channels < 1:
            raise AudioDecodeError("the audio track declares no channels")
        expected = container.duration / av.time_base if container.duration else _FIRST_GUESS_S
        expected = min(max(expected, 0.0), _MOST_EXPECTED_S)  # a header can claim anything
        samples = _Samples(channels, expected)
        resampler = av.AudioResampler(format="fltp", layout=None if split_channels else "mono",
                                      rate=SAMPLE_RATE)
        first_error: av.FFmpegError | None = None
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except av.FFmpegError as e:
                    # A damaged packet in a long call costs its 20-60 ms, not the recording.
                    first_error = first_error or e
                    continue
                for frame in frames:
                    for out in resampler.resample(frame):
                        samples.append(out.to_ndarray())
            for out in resampler.resample(None):
                samples.append(out.to_ndarray())
        except av.FFmpegError as e:
            raise AudioDecodeError(_pyav_reason(e)) from None
        except ValueError as e:  # PyAV reports some layout/format mismatches as ValueError
            raise AudioDecodeError(str(e)) from None
        if samples.filled == 0:
            if first_error is not None:
                raise AudioDecodeError(_pyav_reason(first_error))
            raise AudioDecodeError("the audio track holds no samples")
        return samples.result()


def _pyav_reason(error: av.FFmpegError) -> str:
    reason = getattr(error, "strerror", None) or str(error)
    if isinstance(error, av.error.DecoderNotFoundError):
        return _NO_DECODER.format(reason=reason)
    return reason


def decode_with_ffmpeg(fileobj: BinaryIO, *, split_channels: bool = False) -> DecodedAudio:
    """decode_audio through the `ffmpeg` program: the bytes go to its stdin from a thread, a
    32-bit float WAV comes back on stdout. Same contract; needs ffmpeg on PATH."""
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
               "-map", "0:a:0", "-vn", "-ar", str(SAMPLE_RATE),
               *([] if split_channels else ["-ac", "1"]),
               "-c:a", "pcm_f32le", "-f", "wav", "pipe:1"]
    try:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as e:
        raise AudioDecodeError(f"the ffmpeg program could not be started: {e}") from None
    feed_error: list[BaseException] = []
    stderr_tail = bytearray()
    problem = None
    with proc:  # closes the pipes and waits, whatever happens
        fileobj.seek(0)
        feeder = threading.Thread(target=_feed, args=(fileobj, proc.stdin, feed_error),
                                  name="ffmpeg-feed", daemon=True)
        drainer = threading.Thread(target=_drain, args=(proc.stderr, stderr_tail),
                                   name="ffmpeg-stderr", daemon=True)
        feeder.start()
        drainer.start()
        try:
            samples = _read_wav_stream(proc.stdout)
        except AudioDecodeError as e:
            samples, problem = None, e.reason
        finally:
            proc.stdout.close()  # ffmpeg stops (broken pipe) if we stopped reading early
            returncode = proc.wait()
            feeder.join()
            drainer.join()
    if feed_error:
        raise feed_error[0]
    if returncode != 0 or samples is None or samples.filled == 0:
        reason = stderr_tail.decode("utf-8", "replace").strip().splitlines()
        raise AudioDecodeError(reason[-1] if reason else problem or
                               f"ffmpeg stopped with exit status {returncode}")
    return samples.result()


def _feed(fileobj: BinaryIO, pipe, errors: list[BaseException]) -> None:
    try:
        while block := fileobj.read(_READ_BLOCK):
            pipe.write(block)
    except (BrokenPipeError, ConnectionResetError):
        pass  # ffmpeg stopped reading; its exit status and stderr say why
    except BaseException as e:  # noqa: BLE001 - handed to the calling thread
        errors.append(e)
    finally:
        with contextlib.suppress(OSError):
            pipe.close()


def _drain(pipe, tail: bytearray) -> None:
    while block := pipe.read(4096):
        tail.extend(block)
        del tail[:-_ERROR_TAIL]


def _read_exact(pipe, size: int) -> bytes:
    data = pipe.read(size)
    if len(data) != size:
        raise AudioDecodeError("ffmpeg produced no audio")
    return data


def _read_wav_stream(pipe) -> _Samples:
    """Samples of a streamed 32-bit float WAV (its sizes are placeholders: read to the end)."""
    riff, _, wave = struct.unpack("<4sI4s", _read_exact(pipe, 12))
    if riff != b"RIFF" or wave != b"WAVE":
        raise AudioDecodeError("ffmpeg produced something other than WAV")
    channels = 0
    while True:
        chunk_id, size = struct.unpack("<4sI", _read_exact(pipe, 8))
        if chunk_id == b"data":
            break
        body = _read_exact(pipe, size + (size & 1))
        if chunk_id == b"fmt ":
            channels = struct.unpack("<H", body[2:4])[0]
    if channels < 1:
        raise AudioDecodeError("ffmpeg's output declares no channels")
    samples = _Samples(channels, _FIRST_GUESS_S)
    frame_bytes = 4 * channels
    pending = b""
    while block := pipe.read(_READ_BLOCK):
        pending += block
        usable = len(pending) - len(pending) % frame_bytes
        if usable:
            interleaved = np.frombuffer(pending[:usable], dtype="<f4")
            samples.append(interleaved.reshape(-1, channels).T)
            pending = pending[usable:]
    return samples


def looks_like_two_party_stereo(audio: DecodedAudio, *, window_s: float = 0.1) -> bool:
    """True when `audio` holds exactly two channels that carry different sound: each side of
    the call on its own channel, as many call recorders write it. False for mono, for a mono
    recording copied to both channels (even at another level or slightly delayed), and when a
    channel is silent or only steady noise.

    The test, over 100 ms windows: each channel comes and goes (its loudest window is above
    -60 dBFS and 15 dB above its quiet windows), the samples are not near copies (correlation
    below 0.9), and the loudness of the two channels moves differently over time (correlation
    of their levels in dB below 0.7; one room heard by two microphones stays near 1)."""
    if len(audio.channels) != 2:
        return False
    left, right = (np.asarray(c, dtype=np.float64) for c in audio.channels)
    window = max(1, int(window_s * SAMPLE_RATE))
    windows = min(len(left), len(right)) // window
    if windows < 5:
        return False
    left, right = left[: windows * window], right[: windows * window]
    levels = []
    for channel in (left, right):
        db = 10 * np.log10(np.mean(channel.reshape(windows, window) ** 2, axis=1) + 1e-12)
        if db.max() < -60.0 or db.max() - np.percentile(db, 10) < 15.0:
            return False
        levels.append(db)
    if abs(np.corrcoef(left, right)[0, 1]) > 0.9:
        return False
    floor = max(max(db.max() for db in levels) - 50.0, -80.0)
    left_db, right_db = (np.maximum(db, floor) for db in levels)
    return bool(np.corrcoef(left_db, right_db)[0, 1] < 0.7)
