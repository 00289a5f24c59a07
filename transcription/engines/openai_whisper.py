"""The openai-whisper engine: OpenAI's own Whisper code on PyTorch, the reference the design
card names. Slower than faster-whisper on a CPU (float32, no int8); kept to check the default
engine against and for machines with a GPU and PyTorch already set up. An optional extra:
`pip install '.[openai-whisper]'`.

It runs the same model ("base", converted once from the embedded CTranslate2 copy by
transcription.engines.convert) with the same settings as transcription.engines.faster: the same
clips (transcription.speech), no conditioning on previous text, Simplified output and the same filtering of invented lines
(transcription.engines.base.build_segment). Audio is passed as an array, so openai-whisper never
needs the ffmpeg program; its tokenizer files ship inside the package. An official model name
("small", "large-v3") is looked up in `<models>/openai-whisper/` and downloaded there only when
`transcription.allow_download` is on.

Models load once per process (a ModelCache, see transcription.engines.base). openai-whisper's
decoding adds hooks to the model while it runs, so one model transcribes one clip at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from transcription.engines.base import (CachedModelEngine, ModelCache, Segment, Transcript,
                                        TranscriptionError, Word, build_segment, resolve_threads,
                                        with_gaps)
from transcription.engines.weights import (DEFAULT_MODEL, ModelUnavailable, download_error,
                                           offline_error)
from transcription.speech import Stretch, decode_clips, find_speech

ENGINE_NAME = "openai-whisper"
SAMPLE_RATE = 16_000
BEST_OF = 5  # candidates sampled when decoding falls back to a temperature above 0
# Seconds of clips handed to openai-whisper at once: progress is reported between groups.
GROUP_S = 120

MODEL_CACHE = ModelCache()


def resolve_torch_device(device: str) -> str:
    """"cuda" or "cpu": "auto" means CUDA when PyTorch sees a usable GPU."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class OpenAIWhisperEngine(CachedModelEngine):
    """Engine (transcription.engines.base) over openai-whisper. Cheap to create; thread-safe."""

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
            from transcription.engines.convert import ensure_openai_checkpoint

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
            model = whisper.load_model(checkpoint, device=device,
                                       download_root=str(self._download_root()))
            if self.model_name == DEFAULT_MODEL:
                # A checkpoint loaded from a file gets generic alignment heads; the embedded
                # model is OpenAI's base, whose heads whisper knows (for word timings).
                model.set_alignment_heads(whisper._ALIGNMENT_HEADS[DEFAULT_MODEL])  # noqa: SLF001
            return model
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
                   progress: Callable[[float], None] | None = None,
                   word_timestamps: bool = False) -> Transcript:
        """See transcription.engines.base.Engine.transcribe. The same clips as faster-whisper
        (transcription.speech: each stretch of speech its own window, via openai-whisper's
        `clip_timestamps`), handed over in groups of at most GROUP_S seconds because openai-
        whisper reports nothing while it runs: `progress` is called after each group.
        `word_timestamps` also fills each segment's `words` (the embedded model's alignment
        heads are those of OpenAI's base)."""
        audio = np.asarray(audio)
        if audio.ndim != 1:
            raise ValueError(f"audio must be one channel (a 1-D array), got shape {audio.shape}")
        audio = audio.astype(np.float32, copy=False)
        duration = len(audio) / SAMPLE_RATE
        speech = find_speech(audio)
        clips = decode_clips(speech.stretches if self.config.vad
                             else [Stretch(0.0, duration)] if len(audio) else [])
        if not clips:
            if progress is not None:
                progress(1.0)
            return Transcript(language or "", duration, self.name, self.model_name, ())
        model, lock = self.model()
        device = str(model.device)
        segments: list[Segment] = []
        detected = language or ""
        for group in _groups(clips):
            try:
                with lock:
                    result = model.transcribe(
                        audio, language=language or (detected or None), task="transcribe",
                        verbose=None, beam_size=self.config.beam_size, best_of=BEST_OF,
                        condition_on_previous_text=False, initial_prompt=prompt or None,
                        clip_timestamps=[t for c in group for t in (c.start, c.end)],
                        word_timestamps=word_timestamps, fp16=device.startswith("cuda"))
            except RuntimeError as e:  # PyTorch reports device and memory trouble this way
                raise TranscriptionError(f"the transcription stopped: {e}") from None
            detected = detected or result.get("language") or ""
            for piece in result["segments"]:
                words = [Word(w["start"], w["end"], w["word"], float(w["probability"]))
                         for w in piece.get("words") or ()]
                segment = build_segment(start=piece["start"], end=piece["end"],
                                        text=piece["text"], avg_logprob=piece["avg_logprob"],
                                        no_speech_prob=piece["no_speech_prob"],
                                        language=detected, prompt=prompt, words=words)
                if segment is not None:
                    segments.append(segment)
            if progress is not None and duration > 0:
                progress(min(1.0, group[-1].end / duration))
        if progress is not None:
            progress(1.0)
        # Detection over silence still names a language ("en", "cy"): report none instead.
        found = language or (detected if segments else "")
        return Transcript(language=found, duration_s=duration, engine=self.name,
                          model=self.model_name,
                          segments=tuple(with_gaps(segments, speech.voiced, found)))


def _groups(clips: list[Stretch]) -> list[list[Stretch]]:
    """`clips` in runs of at most GROUP_S seconds of clip audio (a longer clip alone)."""
    groups: list[list[Stretch]] = []
    length = 0.0
    for clip in clips:
        if not groups or length + clip.duration > GROUP_S:
            groups.append([])
            length = 0.0
        groups[-1].append(clip)
        length += clip.duration
    return groups
