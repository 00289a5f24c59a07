"""Helpers of the job worker tests: a job of an item, a worker with a fake handler, a clock that
stands still until the test moves it, and a worker process that holds its job forever."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from logger.jobs import queue
from logger.jobs.worker import Worker
from storage.models import Job, JobKind, utcnow
from tests.support.common import PASSPHRASE, wait_for

TEXT = JobKind.extract_text   # what intake queues for a .txt file


SLOW_WORKER = """
    import os, select, signal, sys
    from pathlib import Path
    from storage.models import JobKind
    from logger.jobs import worker as worker_module

    def slow(ctx):
        # Each signal also writes a byte here, so one that comes while progress() runs still
        # wakes the wait below: no clock, and no lost wake-up.
        woken, wake = os.pipe()
        os.set_blocking(wake, False)
        signal.set_wakeup_fd(wake)
        Path("started").write_text(str(ctx.job_id))
        while True:
            ctx.progress(0.5)  # raises once a SIGTERM asked the worker to stop
            select.select([woken], [], [])  # the lease is renewed by the worker's own thread
            os.read(woken, 64)

    if sys.argv[1] == "liuhen worker":
        from logger.cli.main import main
        worker_module.handlers = lambda: {JobKind.extract_text: slow}
        sys.argv = ["liuhen", "worker"]
        main()
    else:
        from logger.config import load_config
        from logger.services import Services
        with Services.open(load_config(), sys.argv[2]) as services:
            worker_module.Worker(services, handlers={JobKind.extract_text: slow},
                                 worker_id="doomed", lease_s=1, poll_s=0.1).run_once()
"""



def job_of(services, evidence_id: int, kind: JobKind = TEXT) -> Job:
    with services.session() as session:
        return session.exec(select(Job).where(Job.evidence_id == evidence_id,
                                              Job.kind == kind)).one()


def make_worker(services, handler, **kw) -> Worker:
    kw.setdefault("lease_s", 5)
    kw.setdefault("poll_s", 0.05)
    return Worker(services, handlers={TEXT: handler}, **kw)


class Clock:
    """The worker's clock in a test: it stands still until the test moves it on, so a lease or a
    back-off runs out when the test says, however busy the machine is."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def start_slow_worker(how: str, tmp_path, cli_env) -> subprocess.Popen:
    """A worker process (Worker.run_once, or `liuhen worker`) whose handler writes ./started
    and then holds its job until a signal: SIGTERM (the worker stops) or SIGKILL."""
    (tmp_path / "slow_worker.py").write_text(textwrap.dedent(SLOW_WORKER))
    proc = subprocess.Popen([sys.executable, "slow_worker.py", how, PASSPHRASE],
                            env={**os.environ, **cli_env}, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: (tmp_path / "started").exists() or proc.poll() is not None, 60, "the job")
    if proc.poll() is not None:
        pytest.fail(f"the worker process ended early: {proc.communicate()[0].decode()}")
    return proc


def assert_claim_walks_index(session, kinds, now) -> None:
    """Each query of the claim (`queue._in_line`) reads ix_job_claim in order: no sort of the
    queued jobs (SQLite's temp B-tree, PostgreSQL's Sort)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ANALYZE job"))
    for query in queue._in_line(list(kinds), None, now):
        compiled = query.limit(1).compile(session.get_bind(),
                                          compile_kwargs={"literal_binds": True})
        prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in session.execute(text(prefix + str(compiled))))
        assert "ix_job_claim" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
