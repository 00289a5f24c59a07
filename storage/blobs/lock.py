"""The intake lock: the order between writing blobs and looking for orphans among them.

Intakes hold it shared while a blob is written and its row committed; `verify --repair` holds it
exclusive, so it never mistakes a blob that is written but not yet committed for an orphan. An
advisory `flock` on `.intake.lock` in the blob root, so it orders processes on one machine.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def intake_lock(blob_root: Path, *, exclusive: bool = False) -> Iterator[None]:
    """Hold the intake lock of the store at `blob_root` (shared, or `exclusive`) for the block;
    creates the root if it is missing."""
    blob_root.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(blob_root / ".intake.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
