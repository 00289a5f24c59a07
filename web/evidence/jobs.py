"""The actions on an item's jobs from its page: transcribe a recording again, retry a failed or
cancelled job, cancel a transcription that is waiting or running. Each needs the right to edit
the negotiation, answers with a message in the reader's language and goes back to the page's
list of jobs (`evidence/_jobs.html`); the queue (`logger.jobs.queue`) decides what is allowed.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from logger.jobs.queue import JobStateError, cancel_job, retry_job
from logger.record.transcripts import TranscriptEditError, request_transcription
from storage.models import Evidence, Job, JobKind, JobStatus
from web.access import db, evidence_for

from web.evidence import bp

# The states a Cancel button is offered in.
CANCELLABLE = (JobStatus.queued, JobStatus.running)


@bp.post("/evidence/<int:evidence_id>/retranscribe")
def retranscribe(evidence_id: int):
    """Queue a new transcription. Refused while one is waiting or running (a page opened before
    it started still shows the button), so a recording is never transcribed twice at once."""
    evidence = evidence_for(evidence_id, "edit")
    try:
        request_transcription(db(), evidence)
    except (JobStateError, TranscriptEditError):
        flash(_("A transcription of this recording is already waiting or running."), "error")
    else:
        flash(_("A new transcription was queued. The current transcript stays."), "success")
    return _back_to_jobs(evidence)


@bp.post("/evidence/<int:evidence_id>/jobs/<int:job_id>/retry")
def retry(evidence_id: int, job_id: int):
    evidence = evidence_for(evidence_id, "edit")
    job = _job_of(evidence, job_id)
    try:
        retry_job(db(), job.id)
    except JobStateError:  # it is queued, running or done
        flash(_("Only a failed or cancelled job can be retried."), "error")
    else:
        flash(_("The job was queued again."), "success")
    return _back_to_jobs(evidence)


@bp.post("/evidence/<int:evidence_id>/jobs/<int:job_id>/cancel")
def cancel(evidence_id: int, job_id: int):
    """Cancel a transcription that is waiting or running. A worker on it stops at its next
    progress report and records nothing; the earlier transcripts stay. A job that ended
    meanwhile (done, failed, cancelled from another page) is left as it is, with a message."""
    evidence = evidence_for(evidence_id, "edit")
    job = _job_of(evidence, job_id)
    if job.kind != JobKind.transcribe or job.status not in CANCELLABLE:
        _not_cancellable()
        return _back_to_jobs(evidence)
    try:
        cancel_job(db(), job.id)
    except JobStateError:  # it finished or failed between the page and the click
        _not_cancellable()
    else:
        flash(_("The transcription was cancelled. Any earlier transcript stays as it was."),
              "success")
    return _back_to_jobs(evidence)


def _not_cancellable() -> None:
    flash(_("Only a transcription that is waiting or running can be cancelled. Reload the "
            "page to see where it stands."), "error")


def _job_of(evidence: Evidence, job_id: int) -> Job:
    """The job, if it is this item's: an id of another item's job is answered 404, so the
    access checked on the item is the access to the job."""
    job = db().get(Job, job_id)
    if job is None or job.evidence_id != evidence.id:
        abort(404)
    return job


def _back_to_jobs(evidence: Evidence):
    return redirect(url_for("evidence.show", evidence_id=evidence.id) + "#jobs")
