"""The faster-whisper engine (CTranslate2), tuned for recorded phone calls in Mandarin.

- Each stretch of speech is decoded as a window of its own (transcription.speech, passed as
  `clip_timestamps`): faster-whisper's `vad_filter` glues the speech together, and the base
  model then skipped whole utterances. Speech that still gives no text is marked as a gap.
- `condition_on_previous_text=False`: a clip does not start from the text of the one before.
- No initial prompt from the product: a prompt naming the creditor was written into
  transcripts where nobody said it. The `prompt` argument stays for callers that pass one.
- Chinese output is converted to Simplified; known invented lines, loops and segments
  Whisper itself marks as probably-not-speech are dropped (transcription.chinese).

Loaded models live in a process-wide ModelCache keyed by model folder, device, precision and
threads: the first transcribe loads (under a lock), every later engine with the same settings
reuses it. Nothing is downloaded unless `transcription.allow_download` is on: HF_HUB_OFFLINE is
set before faster-whisper is imported and named models are looked up with `local_files_only`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from transcription.engines.base import (CachedModelEngine, ModelCache, Segment, Transcript,
                                        TranscriptionError, Word, build_segment, resolve_threads,
                                        with_gaps)
from transcription.engines.weights import download_error, offline_error, resolve_model
from transcription.speech import Stretch, decode_clips, find_speech, transcribe_speech

ENGINE_NAME = "faster-whisper"
_log = logging.getLogger(__name__)


MODEL_CACHE = ModelCache()
# Each clip is decoded from Whisper's own start, not from the text of the clip before: that
# text carried one utterance's mistakes into the next (bench/transcribe.py, development half).
CONDITION_ON_PREVIOUS_TEXT = False


def _open_model(where: str, named: str, device: str, compute_type: str, threads: int) -> Any:
    """Load the model folder `where`; on a GPU, also run it once on a second of silence (CUDA
    libraries load lazily: a missing cuBLAS shows only at the first inference)."""
    from faster_whisper import WhisperModel

    try:
        model = WhisperModel(where, device=device, compute_type=compute_type,
                             cpu_threads=threads, local_files_only=True)
        if device == "cuda":
            pieces, _ = model.transcribe(np.zeros(16_000, dtype=np.float32), language="en",
                                         beam_size=1, without_timestamps=True)
            list(pieces)
        return model
    except (RuntimeError, ValueError, OSError) as e:
        raise TranscriptionError(
            f"the Whisper model {named!r} ({where}) could not be loaded on {device} with "
            f"compute type {compute_type} (config keys `transcription.device`, "
            f"`transcription.compute_type`): {e}"
        ) from None


def resolve_device(device: str) -> str:
    """"cuda" or "cpu": "auto" means CUDA when CTranslate2 sees a GPU."""
    if device != "auto":
        return device
    import ctranslate2

    try:
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except RuntimeError:  # a CUDA driver that cannot be queried counts as none
        return "cpu"


def resolve_compute_type(compute_type: str, device: str) -> str:
    """"auto": int8 on the CPU (4x smaller, fast on any x86/ARM), float16 on a GPU."""
    if compute_type != "auto":
        return compute_type
    return "float16" if device == "cuda" else "int8"


class FasterWhisperEngine(CachedModelEngine):
    """Engine (transcription.engines.base) over faster-whisper. Cheap to create; thread-safe."""

    name = ENGINE_NAME
    default_cache = MODEL_CACHE

    def model(self) -> Any:
        """The loaded faster_whisper.WhisperModel (loading it on first use)."""
        threads = resolve_threads(self.config.threads)
        named = self.model_name
        key = (named, str(self.cache_dir), self.config.device, self.config.compute_type, threads)
        return self._cache.get(key, lambda: self._load(named, threads))

    def _load(self, named: str, threads: int) -> Any:
        where = self._locate(named)
        device = resolve_device(self.config.device)
        compute_type = resolve_compute_type(self.config.compute_type, device)
        try:
            return _open_model(where, named, device, compute_type, threads)
        except TranscriptionError as e:
            if self.config.device != "auto" or device == "cpu":
                raise
            # A GPU is visible but unusable (no CUDA libraries, an old driver): "auto" means
            # "the best that works", so run on the CPU rather than fail every job.
            _log.warning("%s; using the CPU instead (set transcription.device = \"cpu\" to "
                         "skip trying the GPU)", e)
            cpu_type = resolve_compute_type(self.config.compute_type, "cpu")
            return _open_model(where, named, "cpu", cpu_type, threads)

    def _locate(self, named: str) -> str:
        """The folder of the model `named`: found here, else downloaded into the models folder
        when `allow_download` is on, else ModelUnavailable."""
        if not self.config.allow_download:
            # Read at import by huggingface_hub: must be set before faster_whisper is imported.
            os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        where = resolve_model(named, self.cache_dir)
        if where != named or Path(where).is_dir():
            return where
        from faster_whisper.utils import download_model

        try:
            return download_model(named, local_files_only=True, cache_dir=str(self.cache_dir))
        except Exception as e:  # noqa: BLE001 - hub errors vary; all mean "not here"
            if not self.config.allow_download:
                raise offline_error(named, e) from None
        _log.info("downloading the Whisper model %r into %s", named, self.cache_dir)
        try:
            return download_model(named, cache_dir=str(self.cache_dir))
        except Exception as e:  # noqa: BLE001 - network, hub and disk errors alike
            raise download_error(named, e) from None

    def transcribe(self, audio: np.ndarray, *, language: str | None = None,
                   prompt: str | None = None,
                   progress: Callable[[float], None] | None = None,
                   word_timestamps: bool = False) -> Transcript:
        """See transcription.engines.base.Engine.transcribe. `word_timestamps` also fills each
        segment's `words` (slower: an extra alignment pass)."""
        audio = np.asarray(audio)
        if audio.ndim != 1:
            raise ValueError(f"audio must be one channel (a 1-D array), got shape {audio.shape}")
        audio = audio.astype(np.float32, copy=False)
        duration = len(audio) / 16_000
        if len(audio) == 0:
            if progress is not None:
                progress(1.0)
            return Transcript(language or "", 0.0, self.name, self.model_name, ())
        model = self.model()
        speech = find_speech(audio)
        clips = decode_clips(speech.stretches if self.config.vad
                             else [Stretch(0.0, duration)])
        if not clips:
            if progress is not None:
                progress(1.0)
            return Transcript(language or "", duration, self.name, self.model_name, ())
        options = dict(language=language, task="transcribe", beam_size=self.config.beam_size,
                       condition_on_previous_text=CONDITION_ON_PREVIOUS_TEXT,
                       initial_prompt=prompt or None, word_timestamps=word_timestamps)
        detected: list[str] = []
        done = [0.0]

        def decode(clips: list[Stretch]) -> list[Segment]:
            # A second reading keeps the language the first one found.
            spoken = language or (detected[0] if detected else None)
            pieces, info = self._pieces(model, audio, clips, dict(options, language=spoken))
            detected.append(info.language)
            segments = []
            for piece in pieces:
                segment = self._segment(piece, info.language, prompt)
                if segment is not None:
                    segments.append(segment)
                if progress is not None and duration > 0 and piece.end / duration > done[0]:
                    done[0] = min(0.99, piece.end / duration)
                    progress(done[0])
            return segments

        try:
            segments = transcribe_speech(decode, speech, clips)
        except RuntimeError as e:  # CTranslate2 reports device and memory trouble this way
            raise TranscriptionError(f"the transcription stopped: {e}") from None
        if progress is not None:
            progress(1.0)
        # Detection over silence still names a language ("en", "cy"): report none instead.
        found = language or (detected[0] if segments else "")
        segments = with_gaps(segments, speech.voiced, found)
        return Transcript(language=found, duration_s=duration,
                          engine=self.name, model=self.model_name, segments=tuple(segments))

    def _pieces(self, model: Any, audio: np.ndarray, clips: list[Stretch],
                options: dict) -> tuple[Any, Any]:
        """faster-whisper's segments (a generator) and info for `clips` of `audio`: one
        window after another, or with `transcription.batch_size` > 1 its batched pipeline."""
        if self.config.batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            return BatchedInferencePipeline(model).transcribe(
                audio, batch_size=self.config.batch_size, vad_filter=False,
                clip_timestamps=[{"start": c.start, "end": c.end} for c in clips], **options)
        return model.transcribe(audio, vad_filter=False,
                                clip_timestamps=[t for c in clips for t in (c.start, c.end)],
                                **options)

    def _segment(self, piece: Any, language: str, prompt: str | None) -> Segment | None:
        """Our Segment for a faster-whisper one, or None when it should be dropped."""
        words = [Word(float(w.start), float(w.end), w.word, float(w.probability))
                 for w in piece.words or ()]
        return build_segment(start=piece.start, end=piece.end, text=piece.text,
                             avg_logprob=piece.avg_logprob, no_speech_prob=piece.no_speech_prob,
                             language=language, prompt=prompt, words=words)
