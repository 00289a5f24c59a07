"""A fair place in line for each new job: user-facing work first, then turns among negotiations
and kinds, so one large import cannot hold the worker.

Two classes, served strictly in order (`JobPriority`): interactive work (a file a person uploaded
or imported on its own, a transcription asked for again) before bulk work. A job is bulk when its
item was taken from another (a mailbox's message, an email's attachment), when its item already
has such children (the rest of a mailbox's split, queued again by the split itself), when the
session already queued work for another item (an import of many files: `liuhen import a b c`, a
multi-file upload or a watched folder's batch from its second item on), or when the caller says
so (`bulk=True`: a re-run over everything).

Within a class, start-time fair queuing over flows, one flow per negotiation and kind: each job
gets a place in line, `fair_seq`, one after its flow's previous job and never behind the place
being served now; workers take the lowest place first (then the oldest). So two negotiations
importing side by side take turns, and a long transcription backlog takes turns with one OCR job
queued after it instead of holding it back. Each class keeps its own line (its own place being
served).

Nothing is locked: two jobs queued at once may get the same place, and the id breaks the tie.
The claim itself (`logger.jobs.queue`) stays exact under concurrent workers; only the order is
decided here. A place costs at most two index seeks (`ix_job_flow`, `ix_job_claim`) per flow and
transaction: a batch that queues thousands of jobs in one transaction reads each flow once and
numbers the rest in memory.
"""

from __future__ import annotations

from enum import IntEnum

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import Evidence, Job, JobKind, JobStatus

# Parents followed to find an item's root; an email inside a mailbox inside an email is three.
MAX_DEPTH = 16
# session.info keys: the first item a session queued work for; the places read or given in the
# current transaction.
_FIRST_ITEM = "liuhen.jobs.first_item"
_PLACES = "liuhen.jobs.places"


class JobPriority(IntEnum):
    """Workers take every claimable job of a lower value first."""

    interactive = 0
    bulk = 1


def group_of(session: Session, evidence: Evidence) -> str:
    """The import `evidence` came from: its root item's key, "evidence:<id>"."""
    return f"evidence:{_root(session, evidence).id}"


def flow_of(evidence: Evidence, kind: JobKind) -> str:
    """The flow a job on `evidence` takes turns in: "negotiation:<id>/<kind>"."""
    return f"negotiation:{evidence.negotiation_id}/{JobKind(kind)}"


def priority_of(session: Session, evidence: Evidence, *, bulk: bool | None = None
                ) -> JobPriority:
    """The class of a new job on `evidence` (see the module docstring); `bulk` given wins."""
    if bulk is None:
        # The children last: one seek, for the first item of a session only.
        bulk = (evidence.parent_id is not None
                or session.info.setdefault(_FIRST_ITEM, evidence.id) != evidence.id
                or _has_children(session, evidence))
    return JobPriority.bulk if bulk else JobPriority.interactive


def place_in_line(session: Session, flow: str, priority: JobPriority) -> int:
    """The `fair_seq` of a new job of `flow` in `priority`'s line: one after the flow's latest
    job, and never behind the place being served now. Read once per flow and transaction."""
    places = _places(session)
    serving = places.get(priority)
    if serving is None:
        serving = places[priority] = _now_serving(session, priority)
    key = (flow, priority)
    latest = places[key] if key in places else _latest(session, flow, priority)
    place = serving if latest is None else max(serving, latest + 1)
    places[key] = place
    return place


def _places(session: Session) -> dict:
    """This transaction's cache (a new transaction starts a new one): a place read before a
    rollback is only ever too far back, never taken twice by this session."""
    transaction = session.get_transaction()
    cached = session.info.get(_PLACES)
    if cached is None or cached[0] is not transaction:
        cached = session.info[_PLACES] = (transaction, {})
    return cached[1]


def _latest(session: Session, flow: str, priority: JobPriority) -> int | None:
    return session.execute(sa.select(sa.func.max(Job.fair_seq))
                           .where(Job.flow_key == flow, Job.priority == priority)).scalar()


def _now_serving(session: Session, priority: JobPriority) -> int:
    """The place of the job a worker took most recently in this class: the furthest running
    one, else the furthest one finished (0 on a new data dir). Claims go in line order, so it
    only grows."""
    for status in (JobStatus.running, JobStatus.done):
        furthest = session.execute(sa.select(sa.func.max(Job.fair_seq))
                                   .where(Job.status == status, Job.priority == priority)
                                   ).scalar()
        if furthest is not None:
            return furthest
    return 0


def _root(session: Session, evidence: Evidence) -> Evidence:
    root = evidence
    for _ in range(MAX_DEPTH):
        if root.parent_id is None:
            break
        parent = session.get(Evidence, root.parent_id)
        if parent is None:  # the parent was deleted: this item is its own root now
            break
        root = parent
    return root


def _has_children(session: Session, evidence: Evidence) -> bool:
    return session.execute(sa.select(Evidence.id).where(Evidence.parent_id == evidence.id)
                           .limit(1)).first() is not None
