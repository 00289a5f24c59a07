"""How an idle worker learns that a job is waiting without asking the database every few seconds.

- PostgreSQL: `announce` sends `NOTIFY liuhen_jobs` inside the transaction that queues the job;
  the server delivers it when that transaction commits (never after a rollback). Each worker
  LISTENs on a connection of its own, in a thread of its `Wakeup`.
- The same process, any database: `announce` also rings this engine's doorbell after the commit,
  so the worker thread inside `liuhen serve` starts on an upload at once.
- SQLite across processes (`liuhen worker` beside `liuhen serve`, or a `liuhen import`): SQLite
  cannot notify, so the waiting worker asks a connection of its own for `PRAGMA data_version`
  every `WATCH_S` (it reads the write-ahead log's index, no table) and tries a claim when another
  connection has committed since. That short poll is the cross-process wake-up on SQLite. (The
  files' size and time are no substitute: the log is written and synced before its commit is
  published, so a claim woken by them can look too early and miss it.)

Besides, the worker wakes on its own timers (the next retry's back-off, the next lease to run
out: `logger.jobs.queue.next_due`), and at least once a lease or every `SAFETY_S`, whichever is
shorter: a job claimed since its last look may lose its worker, and a notification may be lost.
While no channel reaches other processes (the listener reconnecting), every
`worker.poll_seconds` as before.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger(__name__)

CHANNEL = "liuhen_jobs"
# Seconds between two looks at SQLite's data_version (the cross-process wake-up's delay).
WATCH_S = 0.1
# The longest an idle worker with a live channel waits without looking (or a lease, if shorter).
SAFETY_S = 60.0
# Seconds between attempts to get the listening connection back.
RECONNECT_S = 5.0
# How often the listening thread checks that its Wakeup is still open.
LISTEN_TICK_S = 1.0

_ANNOUNCED = "liuhen.jobs.announced"
_doorbells: weakref.WeakKeyDictionary[Engine, set[Wakeup]] = weakref.WeakKeyDictionary()
_doorbells_lock = threading.Lock()


def announce(session: Session) -> None:
    """Tell idle workers that this transaction queues work, once per transaction: a NOTIFY in it
    on PostgreSQL, and this process's doorbell rung after it commits."""
    transaction = session.get_transaction()
    if session.info.get(_ANNOUNCED) is transaction:
        return
    session.info[_ANNOUNCED] = transaction
    engine = session.get_bind().engine
    if engine.dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))
    sa.event.listen(session, "after_commit", lambda _: ring(engine), once=True)


def ring(engine: Engine) -> None:
    """Wake every worker of this process waiting on `engine`."""
    with _doorbells_lock:
        waiting = list(_doorbells.get(engine, ()))
    for wakeup in waiting:
        wakeup.ring("doorbell")


class Wakeup:
    """What one idle worker waits on (see the module docstring). `arm()` before each look at
    the queue, then `wait()`: a ring since `arm()` ends the wait at once, so nothing queued
    between the look and the wait is missed. `reason` says what ended the last wait: "doorbell",
    "notify", "listening" (the listener (re)connected), "commit" (SQLite's data_version moved),
    "stop", or "timer". `watch_commits=False` leaves SQLite's data_version alone."""

    def __init__(self, engine: Engine, *, stop: threading.Event | None = None,
                 watch_commits: bool = True) -> None:
        self.engine, self._stop = engine, stop
        self.reason: str | None = None
        self.listening = threading.Event()
        self._event = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._watch = watch_commits and engine.dialect.name == "sqlite"
        self._watcher = None
        self._seen: int | None = None
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Wakeup:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def covered(self) -> bool:
        """Whether work queued by other processes reaches this wait (a live LISTEN on
        PostgreSQL, the watched data_version on SQLite); if not, the worker polls as before."""
        return self.listening.is_set() or self._watcher is not None

    def start(self) -> None:
        with _doorbells_lock:
            _doorbells.setdefault(self.engine, set()).add(self)
        if self.engine.dialect.name == "postgresql":
            self._spawn(self._listen, "liuhen-jobs-listen")
        if self._watch:
            try:
                self._watcher = self._connect()
            except Exception:
                log.warning("cannot watch SQLite for new jobs; looking every poll_seconds",
                            exc_info=True)
        if self._stop is not None:
            self._spawn(self._watch_stop, "liuhen-jobs-stop")

    def close(self) -> None:
        with _doorbells_lock:
            _doorbells.get(self.engine, set()).discard(self)
        self._closed.set()
        self.ring("stop")
        for thread in self._threads:
            if thread.name == "liuhen-jobs-listen":
                thread.join(LISTEN_TICK_S * 2)
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None

    def arm(self) -> None:
        with self._lock:
            self._event.clear()
            self.reason = None
        if self._watcher is not None:
            self._seen = self._data_version()

    def ring(self, reason: str) -> None:
        with self._lock:
            self.reason = self.reason or reason
            self._event.set()

    def wait(self, timeout: float) -> str:
        """Wait until rung or `timeout` seconds have passed; returns `reason`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            watching = self._watcher is not None
            if self._event.wait(min(left, WATCH_S) if watching else left):
                return self.reason or "doorbell"
            if watching and self._data_version() != self._seen:
                self.ring("commit")
        with self._lock:
            self.reason = self.reason or "timer"
            return self.reason

    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _watch_stop(self) -> None:
        self._stop.wait()
        self.ring("stop")

    def _listen(self) -> None:
        import psycopg

        while not self._closed.is_set():
            try:
                connection = self._connect()
            except Exception as e:
                log.warning("cannot listen for new jobs (%s); looking every poll_seconds "
                            "until the database answers", e)
                self._closed.wait(RECONNECT_S)
                continue
            try:
                with connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self.ring("listening")
                    while not self._closed.is_set():
                        for _ in connection.notifies(timeout=LISTEN_TICK_S):
                            self.ring("notify")
            except psycopg.Error as e:
                log.warning("lost the connection that listens for new jobs (%s); looking "
                            "every poll_seconds until it is back", e)
            finally:
                self.listening.clear()
            self._closed.wait(RECONNECT_S)

    def _connect(self):
        """A connection of its own (out of the pool), outside any transaction: on PostgreSQL
        in autocommit, so LISTEN takes effect at once and notifications arrive between
        transactions; on SQLite, so data_version moves with every commit of the others."""
        pooled = self.engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()
        connection.rollback()
        if self.engine.dialect.name == "postgresql":
            connection.autocommit = True
        return connection

    def _data_version(self) -> int | None:
        try:
            return self._watcher.execute("PRAGMA data_version").fetchone()[0]
        except Exception:
            log.warning("cannot read SQLite's data_version; looking every poll_seconds",
                        exc_info=True)
            watcher, self._watcher = self._watcher, None
            with contextlib.suppress(Exception):
                watcher.close()
            return None
