"""A fair place in line for each new job, so one large import cannot hold the worker.

Jobs are grouped by the import they came from: the item at the root of their evidence (a mailbox
and every message and attachment taken from it are one group; a file uploaded on its own is a
group of its own). Each job gets a place in line, `fair_seq`, when it is queued, and workers take
the lowest place first (then the oldest): start-time fair queuing. A group's jobs follow one
another (each one place after the group's previous job), and a group's new job never starts
behind the place being served now. So a file uploaded while a mailbox's 5,000 messages wait is
taken after the message being worked on, not after the 5,000; and two imports side by side take
turns, one job each.

Nothing is locked: two jobs queued at once may get the same place, and the id breaks the tie.
The claim itself (`logger.jobs.queue`) stays exact under concurrent workers; only the order is
decided here. Every lookup is one seek on an index (`ix_job_claim`, `ix_job_group`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import Evidence, Job, JobStatus

# Parents followed to find an item's root; an email inside a mailbox inside an email is three.
MAX_DEPTH = 16


def group_of(session: Session, evidence: Evidence) -> str:
    """The group key of jobs on `evidence`: its root item's, "evidence:<id>"."""
    root = evidence
    for _ in range(MAX_DEPTH):
        if root.parent_id is None:
            break
        parent = session.get(Evidence, root.parent_id)
        if parent is None:  # the parent was deleted: this item is its own root now
            break
        root = parent
    return f"evidence:{root.id}"


def place_in_line(session: Session, group_key: str) -> int:
    """The `fair_seq` of a new job of `group_key`: one after the group's latest job, and never
    behind the place being served now (see the module docstring)."""
    latest = session.execute(sa.select(sa.func.max(Job.fair_seq))
                             .where(Job.group_key == group_key)).scalar()
    now_serving = _now_serving(session)
    return now_serving if latest is None else max(now_serving, latest + 1)


def _now_serving(session: Session) -> int:
    """The place of the job a worker took most recently: the furthest running one, else the
    furthest one finished (0 on a new data dir). Claims go in line order, so it only grows."""
    for status in (JobStatus.running, JobStatus.done):
        furthest = session.execute(sa.select(sa.func.max(Job.fair_seq))
                                   .where(Job.status == status)).scalar()
        if furthest is not None:
            return furthest
    return 0
