"""The intake lock orders intakes (shared) and `verify --repair` (exclusive) across every process
of a deployment: through PostgreSQL advisory locks when the database is shared, so machines
with no folder in common still agree; through a file lock beside the blobs on SQLite."""

from __future__ import annotations

import os
import threading

import psycopg
import pytest

from storage.blobs.lock import intake_lock
from storage.db import make_engine
from tests.support.common import wait_for
from tests.support.pg import _psycopg_dsn


def waiting_advisory_locks(url: str) -> int:
    with psycopg.connect(_psycopg_dsn(url)) as conn:
        return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                            "AND NOT granted").fetchone()[0]


def pg_engine(url: str):
    return make_engine(url, sqlite_path=None, key=b"")


def blocked_flocks(path) -> int:
    """Waiters on the file lock of `path`, as the kernel lists them (/proc/locks "->" lines)."""
    inode = os.stat(path).st_ino
    with open("/proc/locks") as locks:
        return sum(1 for line in locks if "->" in line and line.split()[6].endswith(f":{inode}"))


def take_in_thread(engine, lock_dir, *, exclusive: bool):
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with intake_lock(engine, lock_dir, exclusive=exclusive):
            taken.set()
            release.wait(30)
    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    return thread, taken, release


@pytest.mark.postgres
def test_a_repair_on_one_machine_waits_for_an_intake_on_another(postgres_db_url, tmp_path):
    # Two engines, as two machines have, and two folders that share nothing.
    intake = pg_engine(postgres_db_url)
    repair = pg_engine(postgres_db_url)
    try:
        first, intake_holds, end_intake = take_in_thread(intake, tmp_path / "a", exclusive=False)
        assert intake_holds.wait(30)
        second, repair_holds, end_repair = take_in_thread(repair, tmp_path / "b", exclusive=True)
        wait_for(lambda: waiting_advisory_locks(postgres_db_url) == 1, 30,
                 "the repair to wait on the server")
        assert not repair_holds.is_set()
        end_intake.set()
        assert repair_holds.wait(30)
        # and while the repair holds it, a new intake waits in turn
        third, other_intake, end_other = take_in_thread(intake, tmp_path / "a", exclusive=False)
        wait_for(lambda: waiting_advisory_locks(postgres_db_url) == 1, 30,
                 "the intake to wait on the server")
        assert not other_intake.is_set()
        end_repair.set()
        assert other_intake.wait(30)
        end_other.set()
        for thread in (first, second, third):
            thread.join(30)
    finally:
        intake.dispose()
        repair.dispose()


@pytest.mark.postgres
def test_two_intakes_hold_it_at_once(postgres_db_url, tmp_path):
    engines = [pg_engine(postgres_db_url) for _ in range(2)]
    try:
        held = [take_in_thread(e, tmp_path, exclusive=False) for e in engines]
        for _, taken, _ in held:
            assert taken.wait(30)
        for thread, _, release in held:
            release.set()
            thread.join(30)
    finally:
        for engine in engines:
            engine.dispose()


def test_on_sqlite_it_is_a_file_lock_beside_the_blobs(tmp_path):
    first, intake_holds, end_intake = take_in_thread(None, tmp_path, exclusive=False)
    assert intake_holds.wait(30)
    second, repair_holds, end_repair = take_in_thread(None, tmp_path, exclusive=True)
    wait_for(lambda: blocked_flocks(tmp_path / ".intake.lock") == 1, 30,
             "the repair to wait in flock")
    assert not repair_holds.is_set()
    end_intake.set()
    assert repair_holds.wait(30)
    end_repair.set()
    for thread in (first, second):
        thread.join(30)
    assert (tmp_path / ".intake.lock").exists()


def test_without_postgres_it_needs_a_folder():
    with pytest.raises(ValueError, match="needs a folder"):
        with intake_lock(None, None):
            pass
