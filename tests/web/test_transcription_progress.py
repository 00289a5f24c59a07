"""Issue 14: a long recording shows how far its transcription is while it runs. A held engine
reports 25 %, 50 %, 75 % and waits between reports; the stored job, the JSON the page polls and
the page itself must say the same at each step (a 26-minute file once showed 0 % until done)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.models import Evidence, Job, JobStatus
from tests.support.held_engine import HeldEngine, transcribing
from tests.support.jobs import Clock

pytestmark = pytest.mark.usefixtures("english")


def stored_job(services, evidence_id: int) -> Job:
    with services.session() as session:
        return session.exec(select(Job).where(Job.evidence_id == evidence_id)).one()


def polled(client, session, evidence_id: int) -> dict:
    """What the evidence page's script reads every few seconds."""
    item = session.get(Evidence, evidence_id)
    reply = client.get(f"/negotiations/{item.negotiation_id}/jobs?ids={evidence_id}")
    return reply.get_json()["items"][str(evidence_id)]


def test_progress_shows_while_a_long_recording_is_transcribed(client, services, session,
                                                              recorded_call, monkeypatch):
    # Each quarter of a 26-minute recording takes a minute and more on the worker's clock.
    clock = Clock()
    engine = HeldEngine((0.25, 0.5, 0.75), clock=clock, seconds_per_step=90)
    with transcribing(services, engine, monkeypatch, clock=clock):
        for fraction in (0.25, 0.5, 0.75):
            assert engine.reached() == fraction
            percent = round(fraction * 100)
            assert stored_job(services, recorded_call).progress == fraction
            state = polled(client, session, recorded_call)
            assert (state["status"], state["progress"]) == ("running", fraction)
            assert state["label"] == f"Transcribing {percent} %"
            page = client.get(f"/evidence/{recorded_call}").get_data(as_text=True)
            assert f'<progress class="job-progress" max="100" value="{percent}">' in page
            engine.go_on()
    job = stored_job(services, recorded_call)
    assert (job.status, job.progress) == (JobStatus.done, 1.0)
