"""Issue 14, controls: a transcription that is waiting or running can be cancelled from the
recording's page (the worker stops at its next progress report and keeps nothing), and "Transcribe
again" is neither offered nor accepted while one is waiting or running."""

from __future__ import annotations

import pytest
from sqlmodel import select

from logger import sharing
from storage.models import ExtractedText, Job, JobKind, JobStatus, TextSource
from tests.support.evidence_pages import csrf_form, upload_one
from tests.support.held_engine import HeldEngine, transcribing
from tests.support.jobs import Clock
from tests.support.web import sign_in

pytestmark = pytest.mark.usefixtures("english")

CANCELLED = "The transcription was cancelled. Any earlier transcript stays as it was."
NOT_CANCELLABLE = "Only a transcription that is waiting or running can be cancelled."
ALREADY = "A transcription of this recording is already waiting or running."


def the_job(session, evidence_id: int) -> Job:
    session.expire_all()
    return session.exec(select(Job).where(Job.evidence_id == evidence_id)).one()


def set_status(session, job: Job, status: JobStatus, progress: float = 0.0) -> Job:
    job.status, job.progress = status, progress
    session.add(job)
    session.commit()
    return job


def page_of(client, evidence_id: int) -> str:
    return client.get(f"/evidence/{evidence_id}").get_data(as_text=True)


def cancel(client, evidence_id: int, job_id: int, **form):
    return client.post(f"/evidence/{evidence_id}/jobs/{job_id}/cancel",
                       data=form or csrf_form(client), follow_redirects=True)


@pytest.mark.parametrize("status", [JobStatus.queued, JobStatus.running])
def test_a_waiting_or_running_transcription_is_cancelled_from_its_page(
        client, session, recorded_call, status):
    job = set_status(session, the_job(session, recorded_call), status, 0.4)
    page = page_of(client, recorded_call)
    assert f'data-testid="cancel-{job.id}"' in page
    assert 'data-testid="retranscribe"' not in page
    reply = cancel(client, recorded_call, job.id)
    assert CANCELLED in reply.get_data(as_text=True)
    assert the_job(session, recorded_call).status == JobStatus.cancelled
    page = page_of(client, recorded_call)
    assert 'data-testid="retranscribe"' in page and f'data-testid="cancel-{job.id}"' not in page


def test_the_worker_stops_at_its_next_report_and_keeps_nothing(client, services, session,
                                                               recorded_call, monkeypatch):
    clock = Clock()  # a minute of work between reports: each report is written, and sees
    engine = HeldEngine((0.25, 0.5), clock=clock, seconds_per_step=60)   # the cancel at once
    with transcribing(services, engine, monkeypatch, clock=clock) as worker:
        assert engine.reached() == 0.25
        job = the_job(session, recorded_call)
        assert job.status == JobStatus.running
        assert CANCELLED in cancel(client, recorded_call, job.id).get_data(as_text=True)
        engine.go_on()
        worker.join(60)
    assert engine.cancelled.is_set()
    assert the_job(session, recorded_call).status == JobStatus.cancelled
    assert session.exec(select(ExtractedText).where(
        ExtractedText.source == TextSource.transcript)).all() == []


def test_a_job_that_has_ended_is_not_cancelled(client, session, recorded_call):
    job = set_status(session, the_job(session, recorded_call), JobStatus.done, 1.0)
    assert f'data-testid="cancel-{job.id}"' not in page_of(client, recorded_call)
    assert NOT_CANCELLABLE in cancel(client, recorded_call, job.id).get_data(as_text=True)
    assert the_job(session, recorded_call).status == JobStatus.done


def test_only_a_transcription_is_cancelled_here(client, session, recorded_call):
    job = the_job(session, recorded_call)
    job.kind = JobKind.ocr
    set_status(session, job, JobStatus.running)
    assert f'data-testid="cancel-{job.id}"' not in page_of(client, recorded_call)
    assert NOT_CANCELLABLE in cancel(client, recorded_call, job.id).get_data(as_text=True)
    assert the_job(session, recorded_call).status == JobStatus.running


def test_a_cancel_needs_the_csrf_token_and_the_jobs_own_item(client, session, negotiation,
                                                             recorded_call, testdata):
    job = set_status(session, the_job(session, recorded_call), JobStatus.running)
    other = upload_one(client, negotiation, testdata / "audio/IT0011W0001.wav")
    assert cancel(client, recorded_call, job.id, note="x").status_code == 400
    assert cancel(client, other, job.id).status_code == 404
    assert cancel(client, recorded_call, 999_999).status_code == 404
    assert the_job(session, recorded_call).status == JobStatus.running


def test_a_viewer_is_offered_no_job_buttons(app, session, negotiation, owner, other_user,
                                            recorded_call):
    job = set_status(session, the_job(session, recorded_call), JobStatus.running)
    sharing.share(session, negotiation, by=owner, user=other_user, role="viewer")
    viewer = sign_in(app.test_client(), "other", "other-password")
    page = page_of(viewer, recorded_call)
    assert 'data-job-status="running"' in page
    assert f'data-testid="cancel-{job.id}"' not in page and 'data-testid="retranscribe"' not in page
    assert cancel(viewer, recorded_call, job.id).status_code == 403


def test_transcribe_again_is_refused_while_one_is_running(client, session, recorded_call):
    set_status(session, the_job(session, recorded_call), JobStatus.running, 0.5)
    reply = client.post(f"/evidence/{recorded_call}/retranscribe", data=csrf_form(client),
                        follow_redirects=True)
    assert ALREADY in reply.get_data(as_text=True)
    assert len(session.exec(select(Job).where(Job.kind == JobKind.transcribe)).all()) == 1


def test_the_messages_are_in_chinese_for_a_chinese_account(client, session, owner,
                                                           recorded_call):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    job = set_status(session, the_job(session, recorded_call), JobStatus.running)
    assert "取消转写" in page_of(client, recorded_call)
    assert "转写已取消。之前的转写文字保持不变。" in \
        cancel(client, recorded_call, job.id).get_data(as_text=True)
    assert "只能取消排队中或进行中的转写任务" in \
        cancel(client, recorded_call, job.id).get_data(as_text=True)
