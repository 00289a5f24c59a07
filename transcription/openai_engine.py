"""The openai-whisper engine: OpenAI's own Whisper code on PyTorch, the reference the design
card names. Slower than faster-whisper on a CPU (float32, no int8); kept to check the default
engine against and for machines with a GPU and PyTorch already set up. An optional extra:
`pip install '.[openai-whisper]'`.

It runs the same model ("base", converted once from the embedded CTranslate2 copy by
transcription.ct2_convert) with the same settings as transcription.faster: no conditioning on
previous text, Silero VAD (faster-whisper's, which ships its weights), Simplified output and
the same filtering of invented lines (transcription.engine.build_segment). Audio is passed as
an array, so openai-whisper never needs the ffmpeg program; its tokenizer files ship inside
the package. An official model name ("small", "large-v3") is looked up in
`<models>/openai-whisper/` and downloaded there only when `transcription.allow_download` is on.

Models load once per process (a ModelCache, see transcription.engine). openai-whisper's
decoding adds hooks to the model while it runs, so one model transcribes one clip at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from transcription.engine import (CachedModelEngine, ModelCache, Segment, Transcript,
                                  TranscriptionError, build_segment, resolve_threads)
from transcription.models import DEFAULT_MODEL, ModelUnavailable, download_error, offline_error

ENGINE_NAME = "openai-whisper"
SAMPLE_RATE = 16_000
BEST_OF = 5  # candidates sampled when decoding falls back to a temperature above 0

MODEL_CACHE = ModelCache()


def resolve_torch_device(device: str) -> str:
    """"cuda" or "cpu": "auto" means CUDA when PyTorch sees a usable GPU."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class OpenAIWhisperEngine(CachedModelEngine):
    """Engine (transcription.engine) over openai-whisper. Cheap to create; thread-safe."""

    name = ENGINE_NAME
    default_cache = MODEL_CACHE

    def model(self) -> tuple[Any, threading.Lock]:
        """The loaded whisper.model.Whisper and the lock its transcriptions take (loading it
        on first use)."""
        threads = resolve_threads(self.config.threads)
        device = resolve_torch_device(self.config.device)
        key = (self.model_name, str(self.cache_dir), device, threads)
        return self._cache.get(key, lambda: (self._load(device, threads), threading.Lock()))

    def _checkpoint(self) -> str:
        """What openai-whisper loads for `transcription.model`: the embedded model converted,
        a checkpoint file named directly, or an official model name ("small", "large-v3"),
        which whisper finds in the models folder or, with `allow_download`, downloads there."""
        import whisper

        if self.model_name == DEFAULT_MODEL:
            from transcription.ct2_convert import ensure_openai_checkpoint

            return str(ensure_openai_checkpoint(self.cache_dir))
        path = Path(self.model_name).expanduser()
        if path.is_file():
            return str(path)
        if self.model_name in whisper.available_models():
            url = whisper._MODELS[self.model_name]  # noqa: SLF001 - the one map of names to files
            if self.config.allow_download or (self._download_root() / Path(url).name).is_file():
                return self.model_name
            raise offline_error(self.model_name, f"no {Path(url).name} in "
                                                 f"{self._download_root()}")
        raise ModelUnavailable(
            f"the openai-whisper engine needs \"base\" (the model that comes with Liuhen), an "
            f"official Whisper model name ({', '.join(whisper.available_models())}) or the path "
            f"of an openai-whisper checkpoint file; {self.model_name!r} is none of these "
            "(config keys `transcription.model`, `transcription.engine`)")

    def _download_root(self) -> Path:
        return self.cache_dir / "openai-whisper"

    def _load(self, device: str, threads: int) -> Any:
        import torch
        import whisper

        checkpoint = self._checkpoint()
        if device == "cpu":
            torch.set_num_threads(threads)  # process-wide: PyTorch has no per-model setting
        named = checkpoint == self.model_name and checkpoint in whisper.available_models()
        try:
            return whisper.load_model(checkpoint, device=device,
                                      download_root=str(self._download_root()))
        except (RuntimeError, ValueError, OSError, KeyError) as e:
            # Fetching raises URLError (an OSError) or a RuntimeError about the checksum.
            if named and (isinstance(e, OSError) or "checksum" in str(e).lower()):
                raise download_error(self.model_name, e) from None
            raise TranscriptionError(
                f"the Whisper model {self.model_name!r} ({checkpoint}) could not be loaded by "
                f"openai-whisper on {device} (config keys `transcription.device`, "
                f"`transcription.model`): {e}") from None

    def transcribe(self, audio: np.ndarray, *, language: str | None = None,
                   prompt: str | None = None,
                   progress: Callable[[float], None] | None = None) -> Transcript:
        """See transcription.engine.Engine.transcribe. openai-whisper reports nothing while
        it runs: `progress` is called as the finished segments are collected."""
        audio = np.asarray(audio)
        if audio.ndim != 1:
            raise ValueError(f"audio must be one channel (a 1-D array), got shape {audio.shape}")
        audio = audio.astype(np.float32, copy=False)
        duration = len(audio) / SAMPLE_RATE
        speech, restore = self._speech(audio)
        if len(speech) == 0:
            if progress is not None:
                progress(1.0)
            return Transcript(language or "", duration, self.name, self.model_name, ())
        model, lock = self.model()
        device = str(model.device)
        try:
            with lock:
                result = model.transcribe(
                    speech, language=language, task="transcribe", verbose=None,
                    beam_size=self.config.beam_size, best_of=BEST_OF,
                    condition_on_previous_text=False, initial_prompt=prompt or None,
                    fp16=device.startswith("cuda"))
        except RuntimeError as e:  # PyTorch reports device and memory trouble this way
            raise TranscriptionError(f"the transcription stopped: {e}") from None
        detected = result.get("language") or language or ""
        segments: list[Segment] = []
        for piece in result["segments"]:
            start, end = restore(piece["start"], piece["end"])
            segment = build_segment(start=start, end=end, text=piece["text"],
                                    avg_logprob=piece["avg_logprob"],
                                    no_speech_prob=piece["no_speech_prob"],
                                    language=detected, prompt=prompt)
            if segment is not None:
                segments.append(segment)
            if progress is not None and duration > 0:
                progress(min(1.0, end / duration))
        if progress is not None:
            progress(1.0)
        # Detection over silence still names a language ("en", "cy"): report none instead.
        found = language or (detected if segments else "")
        return Transcript(language=found, duration_s=duration, engine=self.name,
                          model=self.model_name, segments=tuple(segments))

    def _speech(self, audio: np.ndarray) -> tuple[np.ndarray,
                                                  Callable[[float, float], tuple[float, float]]]:
        """The audio to transcribe and how to map its times back to the recording's: with
        `transcription.vad`, only the speech Silero VAD finds (as faster-whisper does)."""
        if not self.config.vad or len(audio) == 0:
            return audio, lambda start, end: (start, end)
        from faster_whisper.vad import SpeechTimestampsMap, VadOptions, get_speech_timestamps

        chunks = get_speech_timestamps(audio, VadOptions())
        if not chunks:
            return audio[:0], lambda start, end: (start, end)
        speech = np.concatenate([audio[c["start"]:c["end"]] for c in chunks])
        times = SpeechTimestampsMap(chunks, SAMPLE_RATE)
        return speech, lambda start, end: (times.get_original_time(start),
                                           times.get_original_time(end, is_end=True))
