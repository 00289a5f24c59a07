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
from logger.cli_jobs import job_dict, job_line
from logger.errors import LiuhenError
from logger.evidence import get_evidence
from logger.output import emit
from storage.models import EvidenceKind, Job, JobKind, JobStatus
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
@click.option("--again", is_flag=True,
              help="Queue a new transcription of --evidence (the earlier transcript is kept).")
@click.option("--model", help="With --again: the Whisper model to use (default: the config's).")
@click.option("--language", type=click.Choice(["zh", "en"]),
              help="With --again: the language spoken (default: the negotiation's, else detected).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def transcribe(obj: Context, wait: bool, evidence_id: int | None, again: bool,
               model: str | None, language: str | None, as_json: bool) -> None:
    """List the jobs waiting (transcription, OCR, parsing); with --wait, run them now.

    With --wait it prints a line each time a job's attempt ends (--json: each job once, as
    last left) and exits 1 if any job did not end done (failed, waiting for a retry, or
    cancelled). Retries still in their back-off are left for later.

    `--evidence ID --again [--model small]` queues a new transcription of a recording, e.g. with
    a larger model; both transcripts are kept."""
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
