"""Watched folders (logger.intake.watch, `liuhen watch`): files added while the watcher runs are stored
once they stop changing and moved to done/; duplicates go to done/ too, refusals to refused/
with the reason beside them; partial downloads are left alone."""

import dataclasses
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import select

from logger.config import WatchConfig
from logger.intake.watch import FolderWatcher, start_background
from logger.services import Services
from storage.models import Evidence
from tests.support.common import wait_for
from tests.support.intake import make_world

RECORDING = "通话录音 13800138000 20241203_153012.wav"


def stored(services: Services) -> dict[str, Evidence]:
    with services.session() as session:
        return {e.original_filename: e for e in session.exec(select(Evidence)).all()}


@pytest.fixture
def watching(services, negotiation, tmp_path):
    """A watcher thread on tmp_path/inbox (settle 0.6 s, poll 0.1 s) for the test's duration."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watcher = FolderWatcher(services, [inbox], negotiation.id, settle_s=0.6)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run_forever, args=(stop,), kwargs={"poll_s": 0.1})
    thread.start()
    yield inbox
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def test_files_added_while_watching(watching, services, testdata, caplog):
    caplog.set_level(logging.INFO, logger="logger.intake.watch")
    inbox = watching
    shutil.copy(testdata / "audio" / "BAC009S0764W0121.wav", inbox / RECORDING)
    wait_for(lambda: (inbox / "done" / RECORDING).exists())
    call = stored(services)[RECORDING]
    assert call.kind == "call" and call.counterpart_number == "13800138000"
    assert call.extracted_metadata["source"] == "watch"

    # The same recording under another name: a duplicate, moved to done/ and logged.
    shutil.copy(testdata / "audio" / "BAC009S0764W0121.wav", inbox / "again.wav")
    wait_for(lambda: (inbox / "done" / "again.wav").exists())
    assert f"is already evidence #{call.id}" in caplog.text
    assert "again.wav" not in stored(services)

    # A program is refused, with the reason written beside it.
    (inbox / "setup.exe").write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    wait_for(lambda: (inbox / "refused" / "setup.exe.reason.txt").exists())
    assert (inbox / "refused" / "setup.exe").exists()
    assert "Windows program" in (inbox / "refused" / "setup.exe.reason.txt").read_text()


def test_a_growing_file_is_taken_only_once_it_stops_growing(services, negotiation, tmp_path):
    """Scans driven by hand on an injected clock: a file is taken only once it is older than
    the settle time and unchanged since the previous scan."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    now = [1_800_000_000.0]
    watcher = FolderWatcher(services, [inbox], negotiation.id, settle_s=0.6,
                            clock=lambda: now[0])
    (inbox / "download.m4a.part").write_bytes(b"partial")   # a download in progress: skipped
    growing = inbox / "note.txt"
    content = b""
    with open(growing, "ab") as f:
        for number in range(12):   # each write is older than the settle time at the next scan
            line = f"第{number}行：催收电话记录\n".encode()
            f.write(line)
            f.flush()
            content += line
            os.utime(growing, (now[0], now[0]))
            now[0] += 1.0
            assert watcher.scan() == []   # it changed since the previous scan
            assert growing.exists() and "note.txt" not in stored(services)
    now[0] += 1.0
    assert len(watcher.scan()) == 1   # unchanged since the previous scan, and old enough
    assert (inbox / "done" / "note.txt").exists()
    item = stored(services)["note.txt"]
    assert item.size == len(content)
    assert (inbox / "done" / "note.txt").read_bytes() == content
    assert (inbox / "download.m4a.part").exists()
    assert "download.m4a.part" not in stored(services)


def test_same_name_twice_is_kept_apart_in_done(watching, services):
    inbox = watching
    (inbox / "a.txt").write_text("第一份", encoding="utf-8")
    wait_for(lambda: (inbox / "done" / "a.txt").exists())
    (inbox / "a.txt").write_text("第二份", encoding="utf-8")
    wait_for(lambda: (inbox / "done" / "a (1).txt").exists())
    assert (inbox / "done" / "a.txt").read_text(encoding="utf-8") == "第一份"
    assert (inbox / "done" / "a (1).txt").read_text(encoding="utf-8") == "第二份"


def test_watch_command_once(cli, tmp_path):
    negotiation = make_world(cli)
    inbox = tmp_path / "phone"
    inbox.mkdir()
    (inbox / "a.txt").write_text("还款截图说明", encoding="utf-8")
    (inbox / "b.svg").write_text("<svg onload='x()'></svg>", encoding="utf-8")
    old = time.time() - 60
    for path in inbox.iterdir():
        os.utime(path, (old, old))
    result = cli("watch", inbox, "--negotiation", negotiation, "--once", "--json")
    assert result.exit_code == 1   # one file was refused
    outcomes = sorted((json.loads(line) for line in result.stdout.splitlines()),
                      key=lambda o: o["file"])
    assert [(Path(o["file"]).name, o["status"]) for o in outcomes] == [
        ("a.txt", "stored"), ("b.svg", "refused")]
    assert Path(outcomes[1]["moved_to"]) == inbox / "refused" / "b.svg"
    listed = json.loads(cli("evidence", "list", "--negotiation", negotiation, "--json").stdout)
    assert [row["original_filename"] for row in listed] == ["a.txt"]
    missing = cli("watch", inbox, "--negotiation", 99, "--once")
    assert missing.exit_code == 1 and "no negotiation #99" in missing.stderr


def test_serve_runs_the_configured_watch_in_the_background(config, services, negotiation,
                                                             tmp_path):
    inbox = tmp_path / "synced"
    watched = dataclasses.replace(config, watch=WatchConfig(
        dirs=[str(inbox)], negotiation=negotiation.id, poll_seconds=1, settle_seconds=0))
    opened = dataclasses.replace(services, config=watched)
    stop = threading.Event()
    thread = start_background(opened, stop)
    try:
        inbox.mkdir()   # a folder that appears after the watch started is picked up
        (inbox / "letter.txt").write_text("律师函", encoding="utf-8")
        wait_for(lambda: (inbox / "done" / "letter.txt").exists())
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and "letter.txt" in stored(services)

    idle = start_background(services, threading.Event())   # no [watch] dirs: nothing to do
    idle.join(5)
    assert not idle.is_alive()
