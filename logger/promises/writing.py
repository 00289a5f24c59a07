"""Whether a promise is in writing: linked to a written agreement or to the other side's written
confirmation (an evidence item), or still only said in a call or a chat.

"In writing" is strict and never guessed from the words: a promise is in writing once a person
linked a written item to it (`link_written`), or when it was accepted from the text of an
evidence item of kind `agreement` (`link_on_acceptance`, called by
logger.promises.suggestions). A plan's link covers its instalments. Changed terms are not
covered by the old writing (logger.promises.promises unlinks them: a superseding promise starts
unlinked, a change in place is unlinked in its `changed` event). Linking and unlinking are custody
events with the person who did it.
"""

from __future__ import annotations

from sqlmodel import Session, select

from logger.errors import LiuhenError
from logger.i18n import Text
from logger.promises.promises import OPEN_STATUSES
from logger.record import custody
from logger.record.trash import live
from storage.models import CustodyAction, Direction, Evidence, EvidenceKind, Negotiation, User
from storage.models.promises import Promise

# Kinds of item that can hold the other side's words in writing. Not a call (spoken), a note
# (the user's own words) or a payment receipt.
WRITTEN_KINDS = (EvidenceKind.agreement, EvidenceKind.letter, EvidenceKind.email,
                 EvidenceKind.sms, EvidenceKind.chat, EvidenceKind.document)


class WritingError(LiuhenError):
    """The item cannot put that promise in writing; the message says why. Nothing changed."""


def written_item_id(session: Session, promise: Promise) -> int | None:
    """The id of the written item that covers the promise (an instalment: its plan's), or
    None when it is not in writing."""
    if promise.written_evidence_id is not None or promise.plan_id is None:
        return promise.written_evidence_id
    plan = session.get(Promise, promise.plan_id)
    return plan.written_evidence_id if plan is not None else None


def needs_writing(promise: Promise) -> bool:
    """True for an open promise or plan (not an instalment: its plan stands for it) that no
    written item covers yet."""
    return (promise.status in OPEN_STATUSES and promise.plan_id is None
            and promise.written_evidence_id is None)


def not_in_writing(session: Session, negotiation: Negotiation,
                   evidence_id: int | None = None) -> list[Promise]:
    """The negotiation's open promises and plans not yet in writing, oldest first; only those
    made in item `evidence_id` when given."""
    query = select(Promise).where(Promise.negotiation_id == negotiation.id,
                                  Promise.plan_id.is_(None),
                                  Promise.written_evidence_id.is_(None),
                                  Promise.status.in_(OPEN_STATUSES))
    if evidence_id is not None:
        query = query.where(Promise.source_evidence_id == evidence_id)
    return list(session.exec(query.order_by(Promise.created_at, Promise.id)).all())


def linkable_items(session: Session, negotiation: Negotiation) -> list[Evidence]:
    """The negotiation's items that may be linked as writing: of a written kind and not sent
    by the user, agreements first, then newest first."""
    rows = session.exec(select(Evidence).where(
        Evidence.negotiation_id == negotiation.id, Evidence.kind.in_(WRITTEN_KINDS), live(),
        Evidence.direction != Direction.from_me).order_by(Evidence.id.desc())).all()
    return sorted(rows, key=lambda e: e.kind != EvidenceKind.agreement)


def link_written(session: Session, promise: Promise, evidence: Evidence, *,
                 actor: User | None) -> Promise:
    """Link `evidence` as the writing of `promise` (a plan, or a promise outside a plan) and
    commit, with a custody event. Linking the item already linked changes nothing. Raises
    WritingError for an instalment, an item of another negotiation, of a kind that holds no
    writing, or sent by the user."""
    _check(promise, evidence)
    if promise.written_evidence_id == evidence.id:
        return promise
    custody.lock_chain(session)
    old = promise.written_evidence_id
    promise.written_evidence_id = evidence.id
    session.add(promise)
    session.flush()
    _log(session, promise, actor, "written_linked", evidence.id, kind=str(evidence.kind),
         replaces=old)
    session.commit()
    return promise


def unlink_written(session: Session, promise: Promise, *, actor: User | None) -> Promise:
    """Take the written item off the promise and commit, with a custody event; a promise not
    linked is left as it is."""
    old = promise.written_evidence_id
    if old is None:
        return promise
    custody.lock_chain(session)
    promise.written_evidence_id = None
    session.add(promise)
    session.flush()
    _log(session, promise, actor, "written_unlinked", old)
    session.commit()
    return promise


def link_on_acceptance(session: Session, promise: Promise, evidence: Evidence, *,
                       actor: User | None) -> bool:
    """A promise just accepted from `evidence`'s text is in writing when that item is a
    written agreement: link it, with a custody event. Returns whether it was linked. Flushed,
    not committed (the acceptance commits)."""
    if evidence.kind != EvidenceKind.agreement or promise.plan_id is not None:
        return False
    custody.lock_chain(session)
    promise.written_evidence_id = evidence.id
    session.add(promise)
    session.flush()
    _log(session, promise, actor, "written_linked", evidence.id, kind=str(evidence.kind),
         reason="accepted from the agreement's text")
    return True


def _check(promise: Promise, evidence: Evidence) -> None:
    if promise.plan_id is not None:
        raise WritingError(Text("Promise #%(id)s is an instalment of plan #%(plan)s: link the "
                                "writing to the plan.", id=promise.id, plan=promise.plan_id))
    if evidence.negotiation_id != promise.negotiation_id:
        raise WritingError(Text("Evidence #%(id)s belongs to another negotiation: choose an "
                                "item of this one.", id=evidence.id))
    if evidence.kind not in WRITTEN_KINDS:
        raise WritingError(Text("Evidence #%(id)s is not a written item: choose an agreement, "
                                "a letter, an email, a text message or a chat.", id=evidence.id))
    if evidence.direction == Direction.from_me:
        raise WritingError(Text("Evidence #%(id)s was sent by you: only the other side's "
                                "writing confirms what they agreed.", id=evidence.id))


def _log(session: Session, promise: Promise, actor: User | None, event: str,
         evidence_id: int, **details: object) -> None:
    custody.append_event(session, action=CustodyAction.promise,
                         actor_id=actor.id if actor else None,
                         negotiation_id=promise.negotiation_id, evidence_id=evidence_id,
                         details={"event": event, "promise_id": promise.id,
                                  "written_evidence_id": evidence_id, **details})
