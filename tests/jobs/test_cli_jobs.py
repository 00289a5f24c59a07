"""`liuhen jobs list|cancel|retry` and `liuhen transcribe --evidence ID --again [--model M]`:
the person-facing controls over background jobs, on real evidence through intake."""

from __future__ import annotations

import io
import json

import pytest

from logger.intake.ingest import IncomingFile, ingest
from storage.models import JobKind


@pytest.fixture
def recording(services, session, negotiation, owner, testdata) -> int:
    with open(testdata / "audio" / "jfk.flac", "rb") as f:
        return ingest(session=session, blobs=services.blobs,
                      source=IncomingFile(f, "jfk.flac"), negotiation=negotiation,
                      actor=owner, max_bytes=1 << 26, tz=services.config.locale.zone).id


@pytest.fixture
def text_item(services, session, negotiation, owner) -> int:
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO("电话记录\n".encode()), "note.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                  tz=services.config.locale.zone).id


def listed(cli, *args) -> list[dict]:
    result = cli("jobs", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_cancel_and_retry(cli, recording, text_item):
    jobs = listed(cli)
    assert [(j["evidence_id"], j["kind"], j["status"]) for j in jobs] == [
        (recording, "transcribe", "queued"), (text_item, "extract_text", "queued")]
    assert [j["evidence_id"] for j in listed(cli, "--kind", "transcribe")] == [recording]
    assert [j["kind"] for j in listed(cli, "--evidence", text_item)] == ["extract_text"]
    job_id = jobs[0]["id"]

    cancelled = cli("jobs", "cancel", job_id)
    assert cancelled.exit_code == 0
    assert cancelled.stdout == f"job #{job_id} transcribe, evidence #{recording}: cancelled\n"
    assert [j["id"] for j in listed(cli, "--status", "cancelled")] == [job_id]
    assert [j["id"] for j in listed(cli, "--status", "queued")] == [jobs[1]["id"]]

    retried = json.loads(cli("jobs", "retry", job_id, "--json").stdout)
    assert (retried["status"], retried["attempts"]) == ("queued", 0)
    refused = cli("jobs", "retry", job_id)
    assert refused.exit_code == 1
    assert refused.stderr == (f"liuhen: job #{job_id} is queued; only failed or cancelled jobs "
                              "can be retried\n")
    missing = cli("jobs", "cancel", 999)
    assert (missing.exit_code, missing.stderr) == (1, "liuhen: no job #999\n")


def test_transcribe_again_queues_a_new_job_with_the_model(cli, recording, text_item):
    first = listed(cli, "--evidence", recording)
    # not while the first waits: one transcription of a recording at a time
    refused = cli("transcribe", "--evidence", recording, "--again")
    assert refused.exit_code == 1
    assert "already waiting or running" in refused.stderr
    assert len(listed(cli, "--evidence", recording)) == 1
    assert cli("jobs", "cancel", first[0]["id"]).exit_code == 0
    again = cli("transcribe", "--evidence", recording, "--again", "--model", "small",
                "--language", "en", "--json")
    assert again.exit_code == 0, again.output
    queued = json.loads(again.stdout)
    assert queued["kind"] == JobKind.transcribe and queued["status"] == "queued"
    assert queued["options"] == {"model": "small", "language": "en"}
    assert [j["id"] for j in listed(cli, "--evidence", recording)] == \
        [first[0]["id"], queued["id"]]


@pytest.mark.parametrize("args, message", [
    (("--again",), "--again needs --evidence ID"),
    (("--model", "small"), "--model and --language go with --again"),
])
def test_transcribe_again_says_what_is_missing(cli, recording, args, message):
    result = cli("transcribe", *args)
    assert result.exit_code == 1 and message in result.stderr


def test_only_a_recording_can_be_transcribed_again(cli, text_item):
    result = cli("transcribe", "--evidence", text_item, "--again")
    assert result.exit_code == 1
    assert f"evidence #{text_item} is document (text/plain), not a recording" in result.stderr
