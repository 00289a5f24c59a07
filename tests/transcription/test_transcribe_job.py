"""End to end: a recording imported as evidence is transcribed by `liuhen transcribe --wait`
with the real packaged Whisper base model, and the transcript shows in `liuhen show --json`."""

import csv
import json
import shutil
import struct

import pytest

from transcription.chinese import cer, normalise_for_cer, wer

# Measured with the packaged base model (int8, beam 5) on this clip: see the closing note of
# the transcription work; the bound leaves room for thread-count and CPU differences.
ZH_CLIP, ZH_CER_BOUND = "BAC009S0764W0121.wav", 0.35


def references(testdata) -> dict[str, str]:
    with open(testdata / "audio" / "references.tsv", encoding="utf-8") as f:
        return {row["filename"]: row["reference_text"]
                for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture
def world(cli):
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    out = cli("negotiation", "add", "--creditor", "信用飞", "--language", "zh", "--json")
    zh = json.loads(out.stdout)["id"]
    out = cli("negotiation", "add", "--creditor", "Capital Card Services", "--json")
    return {"zh": zh, "any": json.loads(out.stdout)["id"]}


def import_one(cli, negotiation_id, path) -> int:
    out = cli("import", "--negotiation", negotiation_id, path, "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)[0]["id"]


def transcripts(cli, evidence_id) -> tuple[list[dict], list[dict]]:
    shown = json.loads(cli("show", evidence_id, "--json").stdout)
    return [t for t in shown["texts"] if t["source"] == "transcript"], shown["jobs"]


@pytest.mark.slow
def test_mandarin_call_is_transcribed_in_simplified_chinese(cli, world, testdata, tmp_path):
    call = tmp_path / "通话录音 13800138000 20241203_153012.wav"
    shutil.copy(testdata / "audio" / ZH_CLIP, call)
    item = import_one(cli, world["zh"], call)
    run = cli("transcribe", "--wait", "--json")
    assert run.exit_code == 0, run.output
    assert [(j["evidence_id"], j["status"]) for j in json.loads(run.stdout)] == [(item, "done")]

    texts, jobs = transcripts(cli, item)
    assert jobs == [{"kind": "transcribe", "status": "done", "progress": 1.0, "error": None}]
    assert len(texts) == 1 and texts[0]["language"] == "zh"
    rate = cer(normalise_for_cer(references(testdata)[ZH_CLIP]),
               normalise_for_cer(texts[0]["text"]))
    assert rate <= ZH_CER_BOUND, (rate, texts[0]["text"])
    assert all(0 <= s["start"] < s["end"] for s in texts[0]["segments"])
    hits = json.loads(cli("search", texts[0]["text"][:3], "--json").stdout)
    assert item in [h["evidence_id"] for h in hits]   # transcripts are searchable


@pytest.mark.slow
def test_two_party_stereo_call_is_labelled_by_side(cli, world, testdata):
    item = import_one(cli, world["any"], testdata / "audio" / "stereo_diarization.wav")
    assert cli("transcribe", "--wait").exit_code == 0
    texts, _ = transcripts(cli, item)
    by_side = {side: " ".join(s["text"] for s in texts[0]["segments"] if s["speaker"] == side)
               for side in ("left", "right")}
    left_ref, right_ref = (part.split(":", 1)[1] for part in
                           references(testdata)["stereo_diarization.wav"].split("||"))
    assert wer(left_ref, by_side["left"]) <= 0.3, by_side
    assert wer(right_ref, by_side["right"]) <= 0.3, by_side


def broken_wav() -> bytes:
    """A RIFF/WAVE header that promises PCM audio, followed by bytes no decoder can use."""
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 0x1234, 1, 16000, 32000, 2, 16)
    data = b"\x00\xff" * 4000
    body = b"WAVE" + fmt + struct.pack("<4sI", b"data", len(data)) + data
    return struct.pack("<4sI", b"RIFF", len(body)) + body


@pytest.mark.slow
def test_undecodable_recording_fails_its_job_in_plain_words_and_stays(cli, world, tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(broken_wav())
    item = import_one(cli, world["any"], path)   # kept as evidence even though it won't play
    run = cli("transcribe", "--wait", "--json")
    assert run.exit_code == 1
    _, jobs = transcripts(cli, item)
    assert jobs[0]["status"] == "failed"
    assert "could not be decoded" in jobs[0]["error"]
    assert cli("verify").exit_code == 0   # the evidence itself is intact


@pytest.mark.slow
def test_re_transcribing_keeps_the_earlier_transcript(cli, world, testdata, services_for):
    from logger.jobs.queue import enqueue
    from storage.models import JobKind
    item = import_one(cli, world["zh"], testdata / "audio" / "IT0011W0001.wav")
    assert cli("transcribe", "--wait").exit_code == 0
    first, _ = transcripts(cli, item)
    with services_for() as services, services.session() as session:
        enqueue(session, evidence_id=item, kind=JobKind.transcribe,
                options={"model": "base", "language": "zh"})
    assert cli("transcribe", "--wait").exit_code == 0
    both, jobs = transcripts(cli, item)
    assert len(first) == 1 and len(both) == 2 and both[0] == first[0]
    assert [j["status"] for j in jobs] == ["done", "done"]


@pytest.mark.slow
def test_the_two_voices_of_a_mono_call_are_told_apart_and_a_person_says_whose(
        cli, world, testdata, tmp_path, services_for):
    """A mono recording of two people (AISHELL speaker S0764, then JFK, then S0764 again): the
    lines get voice "A" (the first heard) or "B"; once a person says voice A is theirs, each
    line has its side, and the side goes into what suggestions and findings read."""
    import wave

    import numpy as np

    from logger.record.sides import VOICE_A, said_segments, set_voice_side
    from storage.models import Evidence
    from tests.support.recordings import Clip, assemble, load_clip

    audio = testdata / "audio"
    turns = [Clip("BAC009S0764W0121.wav", "zh", ""), Clip("jfk.flac", "en", ""),
             Clip("BAC009S0764W0122.wav", "zh", "")]
    recording = assemble([(c, load_clip(audio, c)) for c in turns], seed=4)
    path = tmp_path / "通话录音 mono.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes((np.clip(recording.samples, -1, 1) * 32767).astype(np.int16).tobytes())
    item = import_one(cli, world["any"], path)
    assert cli("transcribe", "--wait").exit_code == 0
    texts, _ = transcripts(cli, item)
    segments = [s for s in texts[0]["segments"] if s.get("kind") is None]

    def voice_at(utterance):
        middle = (utterance.start + utterance.end) / 2
        return {s["speaker"] for s in segments if s["start"] <= middle <= s["end"]}

    first, kennedy, again = recording.utterances
    assert voice_at(first) == {"A"} and voice_at(kennedy) == {"B"} and voice_at(again) == {"A"}

    with services_for() as services, services.session() as session:
        evidence = session.get(Evidence, item)
        assert set_voice_side(session, evidence, VOICE_A, side="them", actor=None)
        said = said_segments(texts[0]["segments"], evidence)
    sides = {s["speaker"]: s.get("side") for s in said if s.get("speaker")}
    assert sides == {"A": "them", "B": "me"}
