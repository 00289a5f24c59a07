"""Speaker diarization of mono calls: which of two voices spoke each transcript segment.

Owns the torch-free speaker encoder (resemblyzer's shipped weights read into numpy), the
diarizer and the DER metric. Imports numpy only: never torch, never `resemblyzer` itself.
"""

from transcription.speakers.diarize import Diarization, Settings, detect_speech, diarize
from transcription.speakers.encoder import SpeakerEncoder
from transcription.speakers.weights import EncoderWeightsMissing, UnsafeCheckpoint

__all__ = ["Diarization", "EncoderWeightsMissing", "Settings", "SpeakerEncoder",
           "UnsafeCheckpoint", "detect_speech", "diarize"]
