"""Issue 14 in a real browser: a recording whose transcription is running shows its progress,
moving while the page stays open, with a Cancel button and no "Transcribe again"; cancelled, the
page offers "Transcribe again". The worker runs the real transcribe handler in this process with
an engine the test holds between its progress reports (tests/support/held_engine.py)."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import select

from logger.intake.ingest import IncomingFile, ingest
from storage.models import Job, JobStatus
from tests.e2e.support import serving_app, shoot
from tests.e2e.test_page_width import set_language, sign_in
from tests.support.browser import new_page
from tests.support.held_engine import HeldEngine, transcribing
from tests.support.jobs import Clock

pytestmark = pytest.mark.slow

CALL = "通话录音 13800138000 20241203_153012.wav"


def store_recording(services, session, negotiation, owner, testdata) -> int:
    """A call recording as intake stores it; its transcribe job is queued."""
    data = (testdata / "audio/BAC009S0764W0121.wav").read_bytes()
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), CALL), negotiation=negotiation,
                  actor=owner, max_bytes=1 << 24, tz=services.config.locale.zone)
    return item.id


def bar_shows(page, percent: int) -> None:
    """Wait until the page's own poll has put `percent` in the bar and the job's line."""
    page.wait_for_function(
        "p => document.querySelector('[data-testid=job-live] progress')?.value === p", arg=percent)
    assert page.locator("[data-job-label]").first.inner_text().endswith(f"{percent} %")


def test_a_running_transcription_shows_progress_and_can_be_cancelled(
        browser, app, services, session, owner, negotiation, testdata, monkeypatch):
    set_language(session, owner, "zh")
    item = store_recording(services, session, negotiation, owner, testdata)
    job = session.exec(select(Job).where(Job.evidence_id == item)).one()
    clock = Clock()   # a long recording: a minute and more between reports
    engine = HeldEngine((0.25, 0.5, 0.75), clock=clock, seconds_per_step=90)
    page = new_page(browser)
    with serving_app(app) as url:
        with transcribing(services, engine, monkeypatch, clock=clock):
            assert engine.reached() == 0.25
            sign_in(page, url)
            page.goto(f"{url}/evidence/{item}")
            assert page.locator("[data-testid=job-live] progress").get_attribute("value") == "25"
            assert page.locator(f"[data-testid=cancel-{job.id}]").is_visible()
            assert page.locator("[data-testid=retranscribe]").count() == 0
            engine.go_on()
            assert engine.reached() == 0.5
            bar_shows(page, 50)   # no reload: the page follows the job
            shoot(page, "transcription-running-zh")
            page.click(f"[data-testid=cancel-{job.id}]")
            page.wait_for_url(re.compile(rf"/evidence/{item}#jobs$"))
            assert "转写已取消" in page.inner_text("[data-testid=flashes]")
            engine.go_on()   # its next report finds the job cancelled: the worker stops
        assert engine.cancelled.is_set()
        page.reload()
        assert page.locator("[data-testid=retranscribe]").is_visible()
        assert page.locator(f"[data-testid=cancel-{job.id}]").count() == 0
        assert page.locator(f"[data-testid=retry-{job.id}]").is_visible()
        shoot(page, "transcription-cancelled-zh")
        assert page.errors == [], page.errors
    session.expire_all()
    assert session.get(Job, job.id).status == JobStatus.cancelled
    page.context.close()
