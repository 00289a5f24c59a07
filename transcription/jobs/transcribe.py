"""The `transcribe` job: an evidence item's recording -> a transcript row with timed segments.

Decodes from the encrypted blob in memory (no plaintext on disk), transcribes each party's
channel separately when a call was recorded in two-party stereo, tells the two voices of a mono
call apart (`label_voices`), and adds a new `ExtractedText`
every time, so "re-transcribe with another model" keeps the earlier transcript.
"""

from __future__ import annotations

import dataclasses
import logging

from logger.errors import PermanentJobError
from logger.i18n import Text
from logger.promises.suggestions import suggest_for_text
from storage.models import Evidence, ExtractedText, Negotiation, TextSource
from transcription.audio import AudioDecodeError, decode_audio, looks_like_two_party_stereo
from transcription.engines import make_engine
from transcription.engines.base import Segment, Transcript, transcribe_channels
from logger.jobs.worker import JobContext

_log = logging.getLogger(__name__)


def transcribe_handler(ctx: JobContext) -> None:
    """Run one transcribe job. Raises with a plain-words message on failure (the worker keeps
    it as the job's error; PermanentJobError when another attempt cannot help); the evidence
    itself is never touched."""
    services = ctx.services
    with services.session() as session:
        evidence = session.get(Evidence, ctx.evidence_id)
        if evidence is None:
            raise PermanentJobError(Text("evidence #%(id)s no longer exists", id=ctx.evidence_id))
        negotiation = session.get(Negotiation, evidence.negotiation_id)
        blob_id = evidence.blob_id
        language = ctx.options.get("language") or negotiation.language

    config = services.config.transcription
    if ctx.options.get("model"):
        config = dataclasses.replace(config, model=ctx.options["model"])
    engine = make_engine(config, cache_dir=config.models_dir(services.config.storage.data_dir))

    with services.blobs.open(blob_id) as reader:
        try:
            audio = decode_audio(reader, split_channels=True)
        except AudioDecodeError as e:
            # another attempt decodes no better
            raise PermanentJobError(Text("the recording cannot be decoded: %(detail)s",
                                         detail=str(e))) from e
    two_party = len(audio.channels) == 2 and looks_like_two_party_stereo(audio)
    transcript = transcribe_channels(engine, audio.channels if two_party else [audio.mono],
                                     language=language, progress=ctx.progress)
    if not two_party:
        transcript = label_voices(audio.mono, transcript)

    with services.session() as session:
        text = ExtractedText(
            evidence_id=ctx.evidence_id, source=TextSource.transcript,
            language=transcript.language or None, text=transcript.text,
            segments=[segment_dict(s) for s in transcript.segments],
            engine=transcript.engine, model=transcript.model)
        session.add(text)
        # Promise suggestions land with the transcript, in the same commit.
        suggest_for_text(session, text, default_tz=services.config.locale.zone)
        session.commit()


def label_voices(samples, transcript: Transcript) -> Transcript:
    """`transcript` of a mono recording with each line's voice, "A" (the first heard) or "B",
    where the speaker model (transcription.speakers) found two voices and one of them holds
    most of the line; a line it cannot give to one voice, and every line of a recording where
    it found only one voice, keeps `speaker` None: never a guess. Without the model's weights
    (resemblyzer not installed) the transcript is returned as it is."""
    from transcription.speakers import EncoderWeightsMissing, diarize

    if not any(s.kind is None for s in transcript.segments):
        return transcript
    try:
        voices = diarize(samples)
    except EncoderWeightsMissing as e:
        _log.warning("voices not told apart: %s", e)
        return transcript
    if voices.speakers != 2:
        return transcript
    labels = voices.label_segments([(s.start, s.end) for s in transcript.segments])
    segments = tuple(dataclasses.replace(s, speaker=label) if s.kind is None else s
                     for s, label in zip(transcript.segments, labels, strict=True))
    return dataclasses.replace(transcript, segments=segments)


def segment_dict(segment: Segment) -> dict:
    """A segment as stored (and as `liuhen show --json` prints it)."""
    data = {"start": round(segment.start, 3), "end": round(segment.end, 3), "text": segment.text,
            "speaker": segment.speaker, "avg_logprob": round(segment.avg_logprob, 4),
            "no_speech_prob": round(segment.no_speech_prob, 4)}
    if segment.kind:
        data["kind"] = segment.kind
    if segment.words:
        data["words"] = [{"start": w.start, "end": w.end, "text": w.text} for w in segment.words]
    return data
