"""The intake lock: the order between writing blobs and looking for orphans among them.

Intakes hold it shared while a blob is written and its row committed; `verify --repair` holds it
exclusive, so it never mistakes a blob that is written but not yet committed for an orphan.

Where it lives follows the database, which every process of a deployment shares:
- PostgreSQL: a session-level advisory lock (`pg_advisory_lock_shared` / `pg_advisory_lock`)
  on a connection of its own, so it orders processes on every machine that reaches the server,
  with no shared folder; the server drops it if the process dies.
- SQLite (one machine by nature): an advisory `flock` on `.intake.lock` in `lock_dir` (the
  blob folder for the local store).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

# The advisory lock's key: a constant of this application ("liuhen intake" as a 64-bit number).
ADVISORY_KEY = int.from_bytes(b"lh-intak", "big") & 0x7FFF_FFFF_FFFF_FFFF


@contextmanager
def intake_lock(engine: Engine | None, lock_dir: Path | None, *,
                exclusive: bool = False) -> Iterator[None]:
    """Hold the intake lock (shared, or `exclusive`) for the block: through PostgreSQL when
    `engine` is one, else as a file lock in `lock_dir` (created if missing)."""
    if engine is not None and engine.dialect.name == "postgresql":
        with _advisory_lock(engine, exclusive=exclusive):
            yield
        return
    if lock_dir is None:
        raise ValueError("the intake lock needs a folder when the database is not PostgreSQL")
    with _file_lock(Path(lock_dir), exclusive=exclusive):
        yield


@contextmanager
def _advisory_lock(engine: Engine, *, exclusive: bool) -> Iterator[None]:
    take = "pg_advisory_lock" if exclusive else "pg_advisory_lock_shared"
    give = "pg_advisory_unlock" if exclusive else "pg_advisory_unlock_shared"
    with engine.connect() as conn:
        conn.execute(text(f"SELECT {take}(:key)"), {"key": ADVISORY_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text(f"SELECT {give}(:key)"), {"key": ADVISORY_KEY})
            conn.commit()


@contextmanager
def _file_lock(lock_dir: Path, *, exclusive: bool) -> Iterator[None]:
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(lock_dir / ".intake.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
