"""Moving an item to another negotiation of the same owner, for a file uploaded to the wrong
case. What was taken from it (a mailbox's messages, an email's attachments) goes with it; its
texts and jobs follow by themselves (they hang off the item), and so do the calls read from an
exported call log. One `move` custody event per item, in the target negotiation, names where it
came from. The duplicate rule holds in the target: the same bytes are not evidence twice in one
negotiation.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from logger.errors import LiuhenError
from logger.record import custody
from logger.record.trash import with_descendants
from storage.models import (CallLogEntry, CustodyAction, Evidence, Negotiation, User)


class MoveError(LiuhenError):
    """The item cannot go there; the message says why and what to do instead. `code` and
    `params` let the web app say it in the reader's language."""

    def __init__(self, message: str, code: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


def move(session: Session, evidence: Evidence, target: Negotiation, *,
         actor: User | None) -> list[Evidence]:
    """Move the item and its descendants to `target` and commit. Returns the items moved.

    Raises MoveError when the target is its own negotiation or another owner's, when the item
    was taken from another item (move that one), when it is in the trash, or when the target
    already holds the same bytes (naming the item there)."""
    source = session.get(Negotiation, evidence.negotiation_id)
    if target.id == evidence.negotiation_id:
        raise MoveError(f"Evidence #{evidence.id} is already in negotiation #{target.id}.",
                        "same_negotiation")
    if source is None or source.owner_id != target.owner_id:
        raise MoveError("An item can only move to another negotiation of the same owner.",
                        "other_owner")
    if evidence.parent_id is not None:
        raise MoveError(f"Evidence #{evidence.id} was taken from evidence "
                        f"#{evidence.parent_id}; move #{evidence.parent_id} and it comes along.",
                        "child", item=evidence.id, parent=evidence.parent_id)
    if evidence.trashed_at is not None:
        raise MoveError(f"Evidence #{evidence.id} is in the trash; restore it first.",
                        "in_trash", item=evidence.id)
    items = with_descendants(session, evidence)
    by_hash = {e.sha256: e for e in items}
    clash = session.exec(select(Evidence).where(Evidence.negotiation_id == target.id,
                                                Evidence.sha256.in_(list(by_hash)))).first()
    if clash is not None:
        mine = by_hash[clash.sha256]
        raise MoveError(f"Negotiation #{target.id} already holds the same file as evidence "
                        f"#{mine.id} (“{mine.original_filename}”): it is evidence #{clash.id} "
                        "there. Nothing was moved; put the copy here in the trash instead.",
                        "duplicate",
                        item=mine.id, name=mine.original_filename, existing=clash.id)
    ids = [e.id for e in items]
    calls = session.exec(select(CallLogEntry).where(CallLogEntry.evidence_id.in_(ids))).all()
    custody.lock_chain(session)
    for item in items:
        item.negotiation_id = target.id
        session.add(item)
        details = {"from": source.id, "to": target.id}
        if item.id != evidence.id:
            details["with"] = evidence.id
        custody.append_event(session, action=CustodyAction.move, actor_id=actor.id if actor
                             else None, negotiation_id=target.id, evidence_id=item.id,
                             details=details)
    for call in calls:
        call.negotiation_id = target.id
        session.add(call)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise MoveError(f"Negotiation #{target.id} already lists calls from this call log "
                        "(imported there too). Nothing was moved.", "calls") from None
    return items
