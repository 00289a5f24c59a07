"""`liuhen jobs`: see, cancel and retry background jobs (transcription, OCR, parsing).

The worker runs them (`liuhen worker`, or inside `liuhen serve`); these commands only change
their rows, so they work while a worker is busy: a cancelled running job stops at its next
progress report."""

from __future__ import annotations

import click

from logger import jobs
from logger.evidence import get_evidence, iso
from logger.output import emit
from storage.models import Job, JobKind, JobStatus


def job_dict(job: Job) -> dict:
    """A job as `--json` prints it (the field names are a contract)."""
    return {"id": job.id, "evidence_id": job.evidence_id, "kind": str(job.kind),
            "status": str(job.status), "attempts": job.attempts,
            "max_attempts": job.max_attempts, "progress": round(job.progress, 3),
            "options": job.options, "not_before": iso(job.not_before), "error": job.error}


def job_line(job: Job, tz) -> str:
    """A job in one line for people; times in the configured time zone."""
    head = f"job #{job.id} {job.kind}, evidence #{job.evidence_id}:"
    if job.status == JobStatus.queued and job.error:
        when = job.not_before.astimezone(tz).strftime("%H:%M:%S") if job.not_before else "now"
        return (f"{head} attempt {job.attempts} of {job.max_attempts} failed, retried after "
                f"{when}: {job.error}")
    if job.status == JobStatus.failed:
        return f"{head} failed: {job.error}"
    if job.status == JobStatus.running:
        return f"{head} running on {job.worker_id} ({job.progress:.0%})"
    return f"{head} {job.status}"


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs: list, cancel, retry."""


@jobs_group.command("list")
@click.option("--evidence", "evidence_id", type=int, help="Only this evidence item's jobs.")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice([s.value for s in JobStatus]),
              help="Only jobs in this state (repeatable).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in JobKind]))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_command(obj, evidence_id: int | None, statuses: tuple[str, ...],
                 kinds: tuple[str, ...], as_json: bool) -> None:
    """Jobs, oldest first."""
    services = obj.services()
    with services.session() as session:
        if evidence_id is not None:
            get_evidence(session, evidence_id)
        found = jobs.list_jobs(session, evidence_id=evidence_id,
                               statuses=[JobStatus(s) for s in statuses] or None,
                               kinds=[JobKind(k) for k in kinds] or None)
    tz = services.config.locale.zone
    emit([job_dict(j) for j in found], as_json,
         "\n".join([job_line(j, tz) for j in found] + [f"{len(found)} job(s)"]))


@jobs_group.command("cancel")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def cancel_command(obj, job_id: int, as_json: bool) -> None:
    """Cancel a queued or running job (a running one stops at its next progress report)."""
    services = obj.services()
    with services.session() as session:
        job = jobs.cancel_job(session, job_id)
    emit(job_dict(job), as_json, job_line(job, services.config.locale.zone))


@jobs_group.command("retry")
@click.argument("job_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def retry_command(obj, job_id: int, as_json: bool) -> None:
    """Queue a failed or cancelled job again, with its attempts reset."""
    services = obj.services()
    with services.session() as session:
        job = jobs.retry_job(session, job_id)
    emit(job_dict(job), as_json, job_line(job, services.config.locale.zone))


def register(group: click.Group) -> None:
    group.add_command(jobs_group)
