"""Whisper engines (faster-whisper by default, openai-whisper as the reference), the model files
they load (the packaged base model, downloads when allowed) and the CTranslate2 conversion.

`make_engine` picks the engine the config names. The engines build on `base` (the interface
and what they share), never on this module, so the factory can import them without a loop.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from transcription.engines.base import Engine, TranscriptionError

if TYPE_CHECKING:
    from logger.config import TranscriptionConfig

_OPTIONAL_EXTRA = "the openai-whisper engine is an optional extra: pip install '.[openai-whisper]'"


def make_engine(config: TranscriptionConfig, *, cache_dir: Path) -> Engine:
    """The engine `config.engine` names, for `config.model` kept under `cache_dir` (usually
    `config.models_dir(data_dir)`). Cheap: the model loads on the first `transcribe`, once per
    process for a given model and settings, and later engines with the same settings share it.
    Raises TranscriptionError for an unknown engine and for openai-whisper when its optional
    packages (openai-whisper, torch) are not installed."""
    # The engine modules are imported here, not above: faster-whisper and torch are heavy, and
    # openai-whisper may not be installed at all.
    if config.engine == "faster-whisper":
        from transcription.engines.faster import FasterWhisperEngine

        return FasterWhisperEngine(config, cache_dir=Path(cache_dir))
    if config.engine == "openai-whisper":
        if any(importlib.util.find_spec(name) is None for name in ("whisper", "torch")):
            raise TranscriptionError(_OPTIONAL_EXTRA)
        from transcription.engines.openai_whisper import OpenAIWhisperEngine

        return OpenAIWhisperEngine(config, cache_dir=Path(cache_dir))
    from logger.config import TRANSCRIPTION_ENGINES

    available = ", ".join(f'"{name}"' for name in TRANSCRIPTION_ENGINES)
    raise TranscriptionError(f"unknown transcription engine {config.engine!r} (config key "
                             f"`transcription.engine`; available: {available})")
