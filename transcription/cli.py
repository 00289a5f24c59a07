"""`liuhen worker` and `liuhen transcribe`, offered to the CLI through the `liuhen.commands`
entry-point group. Handlers are looked up through `transcription.worker.handlers()` at run time
(tests replace that function to inject fakes)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from logger import jobs
from logger.errors import LiuhenError
from logger.evidence import get_evidence, iso
from logger.output import emit
from storage.models import Job, JobStatus
from transcription import worker as worker_module

if TYPE_CHECKING:
    # Only for annotations: logger.cli imports this module through its entry points.
    from logger.cli import Context

log = logging.getLogger(__name__)

NO_HANDLERS = ("no job handlers are installed (entry-point group `liuhen.job_handlers` is "
               "empty): reinstall Liuhen (pip install -e . in its folder) and try again")


@click.command()
@click.pass_obj
def worker(obj: Context) -> None:
    """Run queued jobs (transcription, OCR, parsing) until stopped.

    Ctrl-C or SIGTERM stops after giving the current job back to the queue (press Ctrl-C again
    to stop at once). Several workers may run at once, on any machine that reaches the database
    and the blobs; lease and polling times are in the [worker] config section."""
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
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def transcribe(obj: Context, wait: bool, evidence_id: int | None, as_json: bool) -> None:
    """List the transcription jobs waiting; with --wait, run them now.

    With --wait it prints a line each time a job's attempt ends (--json: each job once, as
    last left) and exits 1 if any job did not end done (failed, waiting for a retry, or
    cancelled). Retries still in their back-off are left for later."""
    services = obj.services()
    found = worker_module.handlers()
    if not found:
        raise LiuhenError(NO_HANDLERS)
    tz = services.config.locale.zone
    if evidence_id is not None:
        with services.session() as session:
            get_evidence(session, evidence_id)
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


def job_dict(job: Job) -> dict:
    """A job as `--json` prints it (the field names are a contract)."""
    return {"id": job.id, "evidence_id": job.evidence_id, "kind": str(job.kind),
            "status": str(job.status), "attempts": job.attempts,
            "max_attempts": job.max_attempts, "progress": round(job.progress, 3),
            "not_before": iso(job.not_before), "error": job.error}


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
