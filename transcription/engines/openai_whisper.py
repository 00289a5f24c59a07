"""The openai-whisper engine: OpenAI's own Whisper code on PyTorch, the reference the design
card names. Slower than faster-whisper on a CPU (float32, no int8); kept to check the default
engine against and for machines with a GPU and PyTorch already set up. An optional extra:
`pip install '.[openai-whisper]'`.

It runs the same model ("base", converted once from the embedded CTranslate2 copy by
transcription.engines.convert) with the same settings as transcription.engines.faster: no
conditioning on previous text, Silero VAD (faster-whisper's, which ships its weights),
Simplified output and the same filtering of invented lines
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
                                        TranscriptionError, Word, build_segment, resolve_threads)
from transcription.engines.weights import (DEFAULT_MODEL, ModelUnavailable, download_error,
                                           offline_error)

ENGINE_NAME = "openai-whisper"
SAMPLE_RATE = 16_000
BEST_OF = 5  # candidates sampled when decoding falls back to a temperature above 0
# Seconds of speech handed to openai-whisper at once: progress is reported between groups.
GROUP_S = 120

Restore = Callable[[float, float], tuple[float, float]]

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
        """See transcription.engines.base.Engine.transcribe. openai-whisper reports nothing while it
        runs, so the speech is handed over in groups of at most GROUP_S seconds, cut between
        the stretches VAD found (nothing is lost: no window is conditioned on earlier text
        anyway), and `progress` is called after each group. `word_timestamps` also fills each
        segment's `words` (the embedded model's alignment heads are those of OpenAI's base)."""
        audio = np.asarray(audio)
        if audio.ndim != 1:
            raise ValueError(f"audio must be one channel (a 1-D array), got shape {audio.shape}")
        audio = audio.astype(np.float32, copy=False)
        duration = len(audio) / SAMPLE_RATE
        groups = self._speech_groups(audio)
        if not groups:
            if progress is not None:
                progress(1.0)
            return Transcript(language or "", duration, self.name, self.model_name, ())
        model, lock = self.model()
        device = str(model.device)
        segments: list[Segment] = []
        detected = language or ""
        for speech, restore in groups:
            try:
                with lock:
                    result = model.transcribe(
                        speech, language=language or (detected or None), task="transcribe",
                        verbose=None, beam_size=self.config.beam_size, best_of=BEST_OF,
                        condition_on_previous_text=False, initial_prompt=prompt or None,
                        word_timestamps=word_timestamps, fp16=device.startswith("cuda"))
            except RuntimeError as e:  # PyTorch reports device and memory trouble this way
                raise TranscriptionError(f"the transcription stopped: {e}") from None
            detected = detected or result.get("language") or ""
            end = 0.0
            for piece in result["segments"]:
                start, end = restore(piece["start"], piece["end"])
                words = [Word(*restore(w["start"], w["end"]), w["word"], float(w["probability"]))
                         for w in piece.get("words") or ()]
                segment = build_segment(start=start, end=end, text=piece["text"],
                                        avg_logprob=piece["avg_logprob"],
                                        no_speech_prob=piece["no_speech_prob"],
                                        language=detected, prompt=prompt, words=words)
                if segment is not None:
                    segments.append(segment)
            if progress is not None and duration > 0:
                progress(min(1.0, restore(0.0, len(speech) / SAMPLE_RATE)[1] / duration))
        if progress is not None:
            progress(1.0)
        # Detection over silence still names a language ("en", "cy"): report none instead.
        found = language or (detected if segments else "")
        return Transcript(language=found, duration_s=duration, engine=self.name,
                          model=self.model_name, segments=tuple(segments))

    def _speech_groups(self, audio: np.ndarray) -> list[tuple[np.ndarray, Restore]]:
        """The audio to transcribe, in groups of at most GROUP_S seconds of speech (a single
        longer stretch stays whole), each with how to map its times back to the recording's.
        With `transcription.vad`, only the speech Silero VAD finds (as faster-whisper does);
        without, the whole recording as one group."""
        if len(audio) == 0:
            return []
        if not self.config.vad:
            return [(audio, lambda start, end: (start, end))]
        from faster_whisper.vad import SpeechTimestampsMap, VadOptions, get_speech_timestamps

        groups: list[list[dict]] = []
        length = 0
        for chunk in get_speech_timestamps(audio, VadOptions()):
            size = chunk["end"] - chunk["start"]
            if not groups or length + size > GROUP_S * SAMPLE_RATE:
                groups.append([])
                length = 0
            groups[-1].append(chunk)
            length += size
        return [self._group(audio, chunks, SpeechTimestampsMap) for chunks in groups]

    @staticmethod
    def _group(audio: np.ndarray, chunks: list[dict], timestamps_map: type
               ) -> tuple[np.ndarray, Restore]:
        speech = np.concatenate([audio[c["start"]:c["end"]] for c in chunks])
        times = timestamps_map(chunks, SAMPLE_RATE)
        return speech, lambda start, end: (times.get_original_time(start),
                                           times.get_original_time(end, is_end=True))
