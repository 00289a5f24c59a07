"""What the queue refuses, as errors a person can act on: a job no longer the worker's, a job
not in a state for what was asked, and a second transcription of one recording at a time (the
database's ix_job_one_active_transcription, revision 0022, turned into that message)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session

from logger.errors import LiuhenError
from storage.models import JobKind


class JobLost(LiuhenError):
    """The job is no longer this worker's: cancelled, deleted with its evidence, or claimed by
    another worker after this one's lease ran out. Whatever the worker did is not recorded."""


class JobStateError(LiuhenError):
    """The job is not in a state that allows what was asked (retrying a done job, say)."""


@contextmanager
def one_transcription(session: Session, evidence_id: int, kind: JobKind) -> Iterator[None]:
    """JobStateError (the session rolled back) where the database refuses, inside the block, a
    second transcription of the item waiting or running (two requests at the same moment)."""
    try:
        yield
    except sa.exc.IntegrityError:
        session.rollback()
        if kind != JobKind.transcribe:
            raise
        raise JobStateError(f"a transcription of evidence #{evidence_id} is already waiting or "
                            "running; wait for it to finish or cancel it") from None
