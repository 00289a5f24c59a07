"""The trash: an item taken out of the record with a reason, without losing it.

An item in the trash (`Evidence.trashed_at`) leaves every list (timeline, search, bundles,
conduct checks, promise suggestions, the API): `live` is the condition each of them adds. Its
original stays in the encrypted store and `restore` puts it back. Only emptying the trash, by the
negotiation's owner and only for items trashed more than `trash.retention_days` ago, deletes the
original and the text read from it; the row stays, marked purged, with its SHA-256, so the
custody chain and the record of what existed remain. Every step is a custody event naming who,
when and why. An item taken from another (a mailbox's messages, an email's attachments) goes
with its parent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, delete, select

from logger.errors import LiuhenError
from logger.record import custody
from storage.blobs.store import BlobStore
from storage.models import (CustodyAction, Evidence, ExtractedText, Job, Negotiation, User)

MAX_REASON_CHARS = 1000


class TrashError(LiuhenError):
    """A trash step that cannot be taken (no reason given, not in the trash, already purged).
    `code` lets the web app say it in the reader's language."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def live() -> sa.ColumnElement[bool]:
    """The condition of an item that is in the record (not in the trash, not purged)."""
    return Evidence.trashed_at.is_(None)


def with_descendants(session: Session, evidence: Evidence) -> list[Evidence]:
    """The item and every item taken from it, at any depth, the item first."""
    found, frontier = [evidence], [evidence.id]
    while frontier:
        children = session.exec(select(Evidence).where(Evidence.parent_id.in_(frontier))
                                .order_by(Evidence.id)).all()
        found.extend(children)
        frontier = [c.id for c in children]
    return found


def trash(session: Session, evidence: Evidence, *, actor: User | None, reason: str,
          now: datetime | None = None) -> list[Evidence]:
    """Put the item (and what was taken from it) in the trash and commit, one `trash` custody
    event per item with the reason. Returns the items trashed now (those already in the trash
    are left as they were). Raises TrashError without a reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise TrashError("Say why this item goes to the trash: the reason is kept in its "
                         "custody log.", "no_reason")
    if len(reason) > MAX_REASON_CHARS:
        raise TrashError(f"The reason is {len(reason)} characters; at most "
                         f"{MAX_REASON_CHARS} are kept.", "too_long")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    custody.lock_chain(session)
    moved = [e for e in with_descendants(session, evidence) if e.trashed_at is None]
    for item in moved:
        item.trashed_at, item.trashed_by, item.trash_reason = now, _id(actor), reason
        session.add(item)
        details = {"reason": reason}
        if item.id != evidence.id:
            details["with"] = evidence.id
        custody.append_event(session, action=CustodyAction.trash, actor_id=_id(actor),
                             negotiation_id=item.negotiation_id, evidence_id=item.id,
                             details=details, at=now)
    session.commit()
    return moved


def restore(session: Session, evidence: Evidence, *, actor: User | None,
            now: datetime | None = None) -> list[Evidence]:
    """Take the item (and what went to the trash with it) back out and commit, one `restore`
    custody event each. Raises TrashError when it is not in the trash or was purged."""
    if evidence.purged_at is not None:
        raise TrashError(f"Evidence #{evidence.id} was purged when the trash was emptied: its "
                         "original is gone and it cannot be restored.", "purged")
    if evidence.trashed_at is None:
        raise TrashError(f"Evidence #{evidence.id} is not in the trash.", "not_trashed")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    custody.lock_chain(session)
    # Its children trashed with it come back with it; one trashed on its own stays.
    back = [e for e in with_descendants(session, evidence)
            if e.purged_at is None and e.trashed_at == evidence.trashed_at]
    for item in back:
        custody.append_event(session, action=CustodyAction.restore, actor_id=_id(actor),
                             negotiation_id=item.negotiation_id, evidence_id=item.id,
                             details={"reason": item.trash_reason}, at=now)
        item.trashed_at = item.trashed_by = item.trash_reason = None
        session.add(item)
    session.commit()
    return back


def in_trash(session: Session, *, owner: User | None = None,
             negotiation_id: int | None = None) -> list[Evidence]:
    """Items in the trash and not purged (of `owner`'s negotiations, of one negotiation),
    most recently trashed first."""
    query = select(Evidence).where(Evidence.trashed_at.is_not(None), Evidence.purged_at.is_(None))
    if negotiation_id is not None:
        query = query.where(Evidence.negotiation_id == negotiation_id)
    if owner is not None:
        query = query.join(Negotiation, Negotiation.id == Evidence.negotiation_id).where(
            Negotiation.owner_id == owner.id)
    return list(session.exec(query.order_by(Evidence.trashed_at.desc(), Evidence.id.desc())))


def purge_after(evidence: Evidence, retention_days: int) -> datetime:
    """When emptying the trash may delete this item's original."""
    return evidence.trashed_at + timedelta(days=retention_days)


def empty_trash(session: Session, blobs: BlobStore, *, actor: User, retention_days: int,
                negotiation_id: int | None = None, now: datetime | None = None
                ) -> list[Evidence]:
    """Purge the items of `actor`'s negotiations (or of one of them) trashed more than
    `retention_days` ago: one `purge` custody event each (with its SHA-256), its texts and jobs
    deleted, the row kept with `purged_at`; committed, then the originals are deleted. A blob
    whose deletion fails is left for `liuhen verify --repair` (no row refers to it any more).
    Returns the purged items; younger items stay in the trash."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    custody.lock_chain(session)
    due = [e for e in in_trash(session, owner=actor, negotiation_id=negotiation_id)
           if purge_after(e, retention_days) <= now]
    for item in due:
        custody.append_event(session, action=CustodyAction.purge, actor_id=actor.id,
                             negotiation_id=item.negotiation_id, evidence_id=item.id,
                             details={"sha256": item.sha256, "size": item.size,
                                      "original_filename": item.original_filename,
                                      "trashed_at": custody_time(item.trashed_at),
                                      "reason": item.trash_reason}, at=now)
        item.purged_at = now
        session.add(item)
    _delete_derived(session, [e.id for e in due])
    session.commit()
    for item in due:
        try:
            blobs.delete(item.blob_id)
        except OSError:
            pass  # an orphan now: `liuhen verify` names it and `--repair` removes it
    return due


def purged_blob_ids(session: Session) -> set[str]:
    """The blobs of purged items: deleted on purpose, so their absence is no problem."""
    return set(session.exec(select(Evidence.blob_id).where(Evidence.purged_at.is_not(None))))


def custody_time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _delete_derived(session: Session, ids: Iterable[int]) -> None:
    """The text read from a purged original is its content too, and goes with it."""
    ids = list(ids)
    if ids:
        session.exec(delete(ExtractedText).where(ExtractedText.evidence_id.in_(ids)))
        session.exec(delete(Job).where(Job.evidence_id.in_(ids)))


def _id(actor: User | None) -> int | None:
    return actor.id if actor else None
