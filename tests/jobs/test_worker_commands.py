"""The job worker from the outside: `liuhen transcribe --wait`, `liuhen worker` (stopped by
SIGTERM), the embedded worker of `liuhen serve`, and handlers found by entry point."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading


from logger.errors import PermanentJobError
from logger.jobs import worker as worker_module
from logger.jobs.worker import JobContext
from storage.models import JobKind, JobStatus
from tests.support.common import wait_for
from tests.support.jobs import job_of, start_slow_worker

TEXT = JobKind.extract_text   # what intake queues for a .txt file


def fake_handlers(monkeypatch, handler):
    monkeypatch.setattr(worker_module, "handlers", lambda: {TEXT: handler})


def test_transcribe_wait_runs_the_queue_and_reports_each_job(services, add_items, cli,
                                                             monkeypatch):
    good, bad = add_items(2)

    def handler(ctx):
        if ctx.evidence_id == bad:
            raise PermanentJobError("no speech found in this recording")

    fake_handlers(monkeypatch, handler)
    listed = cli("transcribe", "--json")
    assert listed.exit_code == 0
    assert [(j["id"], j["status"]) for j in json.loads(listed.stdout)] == \
        [(job_of(services, good).id, "queued"), (job_of(services, bad).id, "queued")]

    only_good = cli("transcribe", "--wait", "--evidence", good)
    assert only_good.exit_code == 0, only_good.output
    assert only_good.stdout == \
        f"job #{job_of(services, good).id} extract_text, evidence #{good}: done\n"
    assert job_of(services, bad).status == JobStatus.queued

    rest = cli("transcribe", "--wait", "--json")
    assert rest.exit_code == 1
    assert json.loads(rest.stdout) == [{
        "id": job_of(services, bad).id, "evidence_id": bad, "kind": "extract_text",
        "status": "failed", "attempts": 1, "max_attempts": 3, "progress": 0.0,
        "options": {}, "not_before": None, "error": "no speech found in this recording"}]

    idle = cli("transcribe", "--wait")
    assert (idle.exit_code, idle.stdout) == (0, "no jobs to run\n")


def test_transcribe_wait_exits_1_when_a_job_waits_for_a_retry(services, add_items, cli,
                                                              monkeypatch):
    [item] = add_items()
    fake_handlers(monkeypatch, lambda ctx: (_ for _ in ()).throw(OSError("disk full")))
    result = cli("transcribe", "--wait")
    assert result.exit_code == 1
    assert "attempt 1 of 3 failed, retried after" in result.stdout and "disk full" in result.stdout
    assert job_of(services, item).status == JobStatus.queued


def test_transcribe_and_worker_say_what_is_wrong(services, cli, monkeypatch):
    fake_handlers(monkeypatch, lambda ctx: None)
    missing = cli("transcribe", "--wait", "--evidence", 99)
    assert (missing.exit_code, missing.stderr) == (1, "liuhen: no evidence #99\n")
    monkeypatch.setattr(worker_module, "handlers", lambda: {})
    for command in (("transcribe", "--wait"), ("worker",)):
        result = cli(*command)
        assert result.exit_code == 1 and "no job handlers are installed" in result.stderr


def test_liuhen_worker_stops_on_sigterm_and_gives_the_job_back(services, add_items, cli_env,
                                                               tmp_path):
    [item] = add_items()
    proc = start_slow_worker("liuhen worker", tmp_path, cli_env)
    try:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0].decode()
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == 0, output
    assert "stopping after the current job" in output and "back in the queue" in output
    back = job_of(services, item)
    assert (back.status, back.attempts, back.worker_id) == (JobStatus.queued, 0, None)


def test_serve_starts_the_embedded_worker_through_its_entry_point(services, add_items,
                                                                  monkeypatch):
    import logger.cli.main  # noqa: F401  (first: web.cli imported on its own is a circular import)
    from importlib.metadata import entry_points

    from web.cli import BACKGROUND_GROUP, start_background
    [item] = add_items()
    ran = []
    fake_handlers(monkeypatch, lambda ctx: ran.append(ctx.job_id))
    stop = threading.Event()
    others = {e.name for e in entry_points(group=BACKGROUND_GROUP)} - {"worker"}
    assert start_background(services, stop, skip=others | {"worker"}) == []
    threads = start_background(services, stop, skip=others)
    try:
        assert [t.name for t in threads] == ["liuhen-worker"]
        wait_for(lambda: job_of(services, item).status == JobStatus.done)
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    assert ran == [job_of(services, item).id] and not threads[0].is_alive()


def test_handlers_come_from_the_entry_point_group(tmp_path, monkeypatch, caplog, services):
    dist = tmp_path / "liuhen_fake_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: liuhen-fake-plugin\n"
                                   "Version: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[liuhen.job_handlers]\nocr = liuhen_fake_ocr:run\nshred = liuhen_fake_ocr:run\n"
        "parse_email = liuhen_fake_missing:run\n")
    (tmp_path / "liuhen_fake_ocr.py").write_text("def run(ctx):\n    ctx.progress(1.0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "liuhen_fake_ocr", raising=False)
    # Only this plugin's entries: Liuhen's own handlers for ocr and parse_email are installed
    # too, and which of two entries for one kind comes last depends on the path order.
    from importlib.metadata import Distribution
    plugin = Distribution.at(dist)
    monkeypatch.setattr(worker_module, "entry_points", lambda group: [
        e for e in plugin.entry_points if e.group == group])

    with caplog.at_level(logging.WARNING, logger="logger.jobs.worker"):
        found = worker_module.handlers()
    assert found[JobKind.ocr] is sys.modules["liuhen_fake_ocr"].run
    assert JobKind.parse_email not in found
    assert "shred" in caplog.text and "names no job kind" in caplog.text
    assert "could not load the parse_email job handler" in caplog.text
    # A context built without a worker (as a handler's own tests do) reports to nobody.
    found[JobKind.ocr](JobContext(job_id=1, evidence_id=1, kind=JobKind.ocr, options={},
                                  attempt=1, services=services))
