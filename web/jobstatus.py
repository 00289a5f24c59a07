"""A job's state in words ("Transcribing 40 %", "Transcription failed: ..."), shared by the
timeline, the evidence page and the JSON the pages poll while work is in progress."""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext

from logger.i18n import in_language
from logger.record.timeline import JobState
from web.i18n import reader_language
from storage.models import JobKind, JobStatus

# Only the label shown is translated (a timeline page asks for fifty).
RUNNING = {
    JobKind.transcribe: lazy_gettext("Transcribing %(percent)s %%"),
    JobKind.ocr: lazy_gettext("Reading the image %(percent)s %%"),
    JobKind.parse_email: lazy_gettext("Reading the email %(percent)s %%"),
    JobKind.extract_pdf: lazy_gettext("Reading the PDF %(percent)s %%"),
    JobKind.extract_text: lazy_gettext("Reading the text %(percent)s %%"),
}
WORK = {
    JobKind.transcribe: lazy_gettext("transcription"),
    JobKind.ocr: lazy_gettext("text recognition"),
    JobKind.parse_email: lazy_gettext("reading the email"),
    JobKind.extract_pdf: lazy_gettext("reading the PDF"),
    JobKind.extract_text: lazy_gettext("reading the text"),
}


def job_label(job: JobState) -> str:
    """One short line for a job that is waiting, running or failed."""
    if job.status == JobStatus.running:
        return str(RUNNING[job.kind]) % {"percent": round(job.progress * 100)}
    if job.status == JobStatus.queued:
        waiting = _("Queued: %(work)s", work=job_work(job.kind))
        return f"{waiting} — {job_reason(job)}" if job.error else waiting
    if job.status == JobStatus.failed:
        return _("%(work)s failed: %(reason)s", work=job_work(job.kind).capitalize(),
                 reason=job_reason(job) or _("no reason was given"))
    return _("Done") if job.status == JobStatus.done else _("Cancelled")


def job_reason(job: JobState) -> str:
    """Why the job failed, in the reader's language where the handler raised a translatable
    reason, else as it was written (English)."""
    if job.error_texts:
        return in_language(job.error_texts, reader_language()) or (job.error or "")
    return job.error or ""


def job_work(kind: JobKind) -> str:
    return str(WORK[kind])


def job_json(job: JobState) -> dict:
    return {"job_id": job.job_id, "kind": str(job.kind), "status": str(job.status),
            "progress": job.progress, "label": job_label(job)}
