"""Background jobs (transcription, OCR, parsing): `liuhen jobs list|cancel|retry`, which only
change their rows, so they work while a worker is busy (a cancelled running job stops at its
next progress report); `liuhen worker`, which runs them until stopped; and `liuhen transcribe`,
which lists the jobs waiting or, with --wait, runs them in this process.

Handlers are looked up through `logger.jobs.worker.handlers()` at run time (tests replace that
function to inject fakes), so no ML code is imported here."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from logger.cli.options import LazyChoice
from logger.cli.output import emit
from logger.errors import LiuhenError

if TYPE_CHECKING:
    from storage.models import Job

log = logging.getLogger(__name__)


def job_dict(job: Job) -> dict:
    """A job as `--json` prints it (the field names are a contract)."""
    from logger.record.evidence import iso
    return {"id": job.id, "evidence_id": job.evidence_id, "kind": str(job.kind),
            "status": str(job.status), "attempts": job.attempts,
            "max_attempts": job.max_attempts, "progress": round(job.progress, 3),
            "options": job.options, "not_before": iso(job.not_before), "error": job.error}


def job_line(job: Job, tz) -> str:
    """A job in one line for people; times in the configured time zone."""
    from storage.models import JobStatus
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
              type=LazyChoice("storage.models:JobStatus"),
              help="Only jobs in this state (repeatable).")
@click.option("--kind", "kinds", multiple=True,
              type=LazyChoice("storage.models:JobKind"))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_command(obj, evidence_id: int | None, statuses: tuple[str, ...],
                 kinds: tuple[str, ...], as_json: bool) -> None:
    """Jobs, oldest first."""
    from logger.jobs import queue as jobs
    from logger.record.evidence import get_evidence
    from storage.models import JobKind, JobStatus
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
    from logger.jobs import queue as jobs
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
    from logger.jobs import queue as jobs
    services = obj.services()
    with services.session() as session:
        job = jobs.retry_job(session, job_id)
    emit(job_dict(job), as_json, job_line(job, services.config.locale.zone))


NO_HANDLERS = ("no job handlers are installed (entry-point group `liuhen.job_handlers` is "
               "empty): reinstall Liuhen (pip install -e . in its folder) and try again")


@click.command()
@click.pass_obj
def worker(obj) -> None:
    """Run queued jobs (transcription, OCR, parsing) until stopped.

    Ctrl-C or SIGTERM stops after giving the current job back to the queue (press Ctrl-C again
    to stop at once). Several workers may run at once, on any machine that reaches the database
    and the blobs; lease and polling times are in the [worker] config section."""
    from logger.jobs import worker as worker_module
    services = obj.services()
    found = worker_module.handlers()
    if not found:
        raise LiuhenError(NO_HANDLERS)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    runner = worker_module.Worker.configured(services, handlers=found)
    stop = threading.Event()
    with stop_on_signals(stop):
        runner.run_forever(stop)
    log.info("worker %s stopped", runner.worker_id)


@click.command()
@click.option("--wait", is_flag=True,
              help="Run the queued jobs now, in this process, until none is left.")
@click.option("--evidence", "evidence_id", type=int, help="Only this evidence item's jobs.")
@click.option("--again", is_flag=True,
              help="Queue a new transcription of --evidence (the earlier transcript is kept).")
@click.option("--model", help="With --again: the Whisper model to use (default: the config's).")
@click.option("--language", type=click.Choice(["zh", "en"]),
              help="With --again: the language spoken (default: the negotiation's, else detected).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def transcribe(obj, wait: bool, evidence_id: int | None, again: bool,
               model: str | None, language: str | None, as_json: bool) -> None:
    """List the jobs waiting (transcription, OCR, parsing); with --wait, run them now.

    With --wait it prints a line each time a job's attempt ends (--json: each job once, as
    last left) and exits 1 if any job did not end done (failed, waiting for a retry, or
    cancelled). Retries still in their back-off are left for later.

    `--evidence ID --again [--model small]` queues a new transcription of a recording, e.g. with
    a larger model; both transcripts are kept."""
    from logger.jobs import queue as jobs
    from logger.jobs import worker as worker_module
    from logger.record.evidence import get_evidence
    from storage.models import EvidenceKind, JobKind, JobStatus
    services = obj.services()
    found = worker_module.handlers()
    if not found:
        raise LiuhenError(NO_HANDLERS)
    tz = services.config.locale.zone
    if (model or language) and not again:
        raise LiuhenError("--model and --language go with --again (a new transcription)")
    if again and evidence_id is None:
        raise LiuhenError("--again needs --evidence ID: the recording to transcribe again")
    if evidence_id is not None:
        with services.session() as session:
            evidence = get_evidence(session, evidence_id)
            if again:
                if evidence.kind != EvidenceKind.call and not evidence.media_type.startswith(
                        ("audio/", "video/")):
                    raise LiuhenError(f"evidence #{evidence_id} is {evidence.kind} "
                                      f"({evidence.media_type}), not a recording")
                options = {k: v for k, v in (("model", model), ("language", language)) if v}
                job = jobs.enqueue(session, evidence_id=evidence_id, kind=JobKind.transcribe,
                                   options=options)
                if not wait:
                    emit(job_dict(job), as_json, f"{job_line(job, tz)} (queued; "
                         "`liuhen transcribe --wait` or a running worker does it)")
                    return
    if not wait:
        with services.session() as session:
            waiting = jobs.list_jobs(session, kinds=found, evidence_id=evidence_id,
                                     statuses=[JobStatus.queued, JobStatus.running])
        emit([job_dict(j) for j in waiting], as_json, "\n".join(
            [job_line(j, tz) for j in waiting]
            + [f"{len(waiting)} job(s) waiting; `liuhen transcribe --wait` runs them now"]))
        return

    runner = worker_module.Worker.configured(services, handlers=found, evidence_id=evidence_id)
    ran: dict[int, Job] = {}   # each job as its last run left it
    while (job := runner.process_next()) is not None:
        ran[job.id] = job
        if not as_json:
            click.echo(job_line(job, tz))
    if as_json:
        emit([job_dict(j) for j in ran.values()], True)
    elif not ran:
        click.echo("no jobs to run")
    sys.exit(0 if all(j.status == JobStatus.done for j in ran.values()) else 1)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """The first SIGINT or SIGTERM sets `stop`; a second raises KeyboardInterrupt (the running
    job is then given back to the queue at once). Handlers are restored on exit; outside the
    main thread nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        log.info("stopping after the current job is given back (%s again stops at once)",
                 signal.Signals(signum).name)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def register(group: click.Group) -> None:
    for command in (jobs_group, worker, transcribe):
        group.add_command(command)
