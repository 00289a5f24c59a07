"""Promises made by either side of a negotiation: add, change, cancel, mark, list; an
instalment plan as a plan row with one dated `payment` promise per instalment; and the
negotiation's promises as timeline items.

A promise is a person's record: it exists only once someone confirmed it (by hand, or by
accepting a suggestion, logger.promises.suggestions), and every change is a custody event.
Changing the due date supersedes the promise with a new one (the old stays, `superseded`, so the
record shows that the date was renegotiated, and reminders start afresh for the new date).
Whether a promise was kept or missed is decided by logger.promises.payments at its due time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from logger.errors import LiuhenError, NotFound
from logger.promises.due import due_iso, zone_of
from logger.record import custody
from logger.record.evidence import iso
from logger.record.moments import machine_time
from storage.models import CustodyAction, Negotiation, User
from storage.models.promises import (DeliveryStatus, Promise, PromiseKind, PromiseParty,
                                     PromiseStatus, Reminder)
from storage.models.types import TimePrecision, utcnow

# Statuses a person may still act on (change, cancel, mark kept).
OPEN_STATUSES = (PromiseStatus.pending, PromiseStatus.missed)
# Promises that count: not withdrawn and not replaced by another.
ACTIVE_STATUSES = (PromiseStatus.pending, PromiseStatus.kept, PromiseStatus.missed)
# How close a due time must be for the timeline to flag a promise "due soon".
MAX_AMOUNT = Decimal("1000000000000")
MAX_INSTALMENTS = 120


class PromiseError(LiuhenError):
    """The promise cannot be changed that way (cancelling a kept one, say); nothing changed."""


@dataclass(frozen=True)
class PromiseTerms:
    """What was promised. `due_at` is aware (any zone); `currency` None means the
    negotiation's. `due_precision` `day`: only the date was given (see `date_only_due`)."""

    party: PromiseParty
    kind: PromiseKind
    amount: Decimal | None = None
    currency: str | None = None
    due_at: datetime | None = None
    conditions: str | None = None
    description: str | None = None
    due_precision: TimePrecision = TimePrecision.minute


@dataclass(frozen=True)
class InstalmentTerms:
    due_at: datetime | None
    amount: Decimal | None
    due_precision: TimePrecision = TimePrecision.minute


@dataclass(frozen=True)
class PromiseSource:
    """Where a promise was made: the item, the text and segment, and the words."""

    evidence_id: int
    text_id: int | None = None
    segment: int | None = None
    start: float | None = None
    quote: str | None = None


def add_promise(session: Session, *, negotiation: Negotiation, actor: User | None,
                terms: PromiseTerms, tz: ZoneInfo, source: PromiseSource | None = None,
                event: str = "added", commit: bool = True,
                note: dict | None = None) -> Promise:
    """Record one promise (not a plan: see `add_plan`) with its custody event (`note`: more
    details for it). `tz` is the zone its due time is read in for reminders. Raises
    ValueError for impossible terms."""
    if terms.kind == PromiseKind.instalment_plan:
        raise ValueError("an instalment plan is recorded with add_plan, with its instalments")
    _check(terms)
    custody.lock_chain(session)
    promise = _new_promise(negotiation, actor, terms, tz, source)
    session.add(promise)
    session.flush()
    _log(session, promise, actor, event, terms=_terms_dict(promise), **(note or {}))
    if commit:
        session.commit()
    return promise


def add_plan(session: Session, *, negotiation: Negotiation, actor: User | None,
             party: PromiseParty, instalments: Sequence[InstalmentTerms], tz: ZoneInfo,
             currency: str | None = None, conditions: str | None = None,
             source: PromiseSource | None = None, event: str = "added",
             commit: bool = True, note: dict | None = None) -> Promise:
    """Record an instalment plan: the plan (amount: the sum of its instalments, when all are
    known) and one `payment` promise per instalment, numbered from 1. Returns the plan.

    `party` is who made the plan (the collector offering 分3期 is `them`); the instalments are
    always the debtor's to pay, so they are the debtor's promises (and get reminders)."""
    if not 1 <= len(instalments) <= MAX_INSTALMENTS:
        raise ValueError(f"a plan has 1 to {MAX_INSTALMENTS} instalments, got {len(instalments)}")
    amounts = [i.amount for i in instalments]
    total = sum(amounts, Decimal(0)) if None not in amounts else None
    plan_terms = PromiseTerms(party, PromiseKind.instalment_plan, total, currency,
                              None, conditions)
    _check(plan_terms)
    custody.lock_chain(session)
    plan = _new_promise(negotiation, actor, plan_terms, tz, source)
    session.add(plan)
    session.flush()
    for number, instalment in enumerate(instalments, start=1):
        terms = PromiseTerms(PromiseParty.me, PromiseKind.payment, instalment.amount,
                             currency, instalment.due_at)
        _check(terms)
        terms = replace(terms, due_precision=instalment.due_precision)
        child = _new_promise(negotiation, actor, terms, tz, source)
        child.plan_id, child.instalment = plan.id, number
        session.add(child)
    session.flush()
    _log(session, plan, actor, event, terms=_terms_dict(plan),
         instalments=[_terms_dict(p) for p in instalments_of(session, plan)], **(note or {}))
    if commit:
        session.commit()
    return plan


def change_promise(session: Session, promise: Promise, *, actor: User | None,
                   terms: PromiseTerms) -> Promise:
    """Change what was promised and commit. A new due date supersedes the promise: a new
    promise is returned (the old one is `superseded` and its unsent reminders cancelled);
    otherwise it is changed in place. Raises PromiseError unless it is pending or missed."""
    if promise.status not in OPEN_STATUSES or promise.kind == PromiseKind.instalment_plan:
        raise PromiseError(f"promise #{promise.id} is {promise.status}: it can no longer be "
                           "changed (add a new promise instead)")
    if terms.kind == PromiseKind.instalment_plan:
        raise ValueError("a promise cannot become a plan; add the plan instead")
    _check(terms)
    terms = replace(terms, currency=(terms.currency or promise.currency).upper())
    before = _terms_dict(promise)
    if terms.due_at != promise.due_at or (
            terms.due_at is not None and terms.due_precision != promise.due_precision):
        return _supersede(session, promise, actor, terms)
    custody.lock_chain(session)
    for name in ("party", "kind", "amount", "currency", "conditions", "description"):
        setattr(promise, name, getattr(terms, name))
    session.add(promise)
    session.flush()
    after = _terms_dict(promise)
    if after != before:
        # Changed terms are not what the writing says (logger.promises.writing): unlinked.
        written, promise.written_evidence_id = promise.written_evidence_id, None
        session.add(promise)
        _log(session, promise, actor, "changed", old=before, new=after,
             **({"written_unlinked": written} if written else {}))
    session.commit()
    return promise


def cancel_promise(session: Session, promise: Promise, *, actor: User | None,
                   reason: str | None = None) -> Promise:
    """Withdraw a pending or missed promise (a plan with its open instalments), cancel its
    unsent reminders, and commit. Raises PromiseError for one already kept or replaced."""
    if promise.status not in OPEN_STATUSES:
        raise PromiseError(f"promise #{promise.id} is {promise.status} and cannot be cancelled")
    custody.lock_chain(session)
    now = utcnow()
    targets = [promise] + [p for p in instalments_of(session, promise)
                           if p.status in OPEN_STATUSES]
    for target in targets:
        target.status, target.settled_at = PromiseStatus.cancelled, now
        session.add(target)
        cancel_unsent_reminders(session, target.id)
    session.flush()
    if promise.plan_id:   # one instalment: its plan follows; a cancelled plan stays cancelled
        refresh_plan(session, promise)
    _log(session, promise, actor, "cancelled", reason=reason,
         promise_ids=[t.id for t in targets])
    session.commit()
    return promise


def mark_promise(session: Session, promise: Promise, *, actor: User | None,
                 status: PromiseStatus) -> Promise:
    """A person's word that a promise was kept (the waiver did appear) or missed, and commit.
    Raises PromiseError for a cancelled or superseded promise, ValueError for another status."""
    if status not in (PromiseStatus.kept, PromiseStatus.missed):
        raise ValueError(f"a promise can be marked kept or missed, not {status}")
    if promise.status not in OPEN_STATUSES or promise.kind == PromiseKind.instalment_plan:
        raise PromiseError(f"promise #{promise.id} is {promise.status}: it cannot be marked")
    custody.lock_chain(session)
    old = promise.status
    promise.status, promise.settled_at = status, utcnow()
    session.add(promise)
    if status == PromiseStatus.kept:
        cancel_unsent_reminders(session, promise.id)
    session.flush()
    refresh_plan(session, promise)
    _log(session, promise, actor, f"marked_{status}", old=str(old))
    session.commit()
    return promise


def get_promise(session: Session, promise_id: int, *, negotiation: Negotiation | None = None,
                owner: User | None = None) -> Promise:
    """The promise, if it belongs to `negotiation` / to a negotiation of `owner` (when given);
    else NotFound (another account's promise looks like a missing one)."""
    promise = session.get(Promise, promise_id)
    if promise is not None and negotiation is not None and \
            promise.negotiation_id != negotiation.id:
        promise = None
    if promise is not None and owner is not None:
        parent = session.get(Negotiation, promise.negotiation_id)
        promise = promise if parent is not None and parent.owner_id == owner.id else None
    if promise is None:
        raise NotFound(f"no promise #{promise_id}")
    return promise


def list_promises(session: Session, negotiation: Negotiation) -> list[Promise]:
    """Every promise of the negotiation, instalments included, by due time (none last)."""
    rows = session.exec(select(Promise).where(Promise.negotiation_id == negotiation.id)
                        .order_by(Promise.id)).all()
    return sorted(rows, key=_due_order)


def instalments_of(session: Session, plan: Promise) -> list[Promise]:
    """The plan's current instalments (superseded ones left out), by number."""
    if plan.kind != PromiseKind.instalment_plan:
        return []
    return list(session.exec(select(Promise).where(
        Promise.plan_id == plan.id, Promise.status != PromiseStatus.superseded)
        .order_by(Promise.instalment, Promise.id)).all())


def refresh_plan(session: Session, promise: Promise) -> None:
    """Bring a plan's status in line with its instalments (when `promise` is one of them, or
    the plan): missed if any was missed, kept when all were kept, cancelled when all were
    cancelled, else pending. Not committed."""
    plan = session.get(Promise, promise.plan_id) if promise.plan_id else promise
    if plan is None or plan.kind != PromiseKind.instalment_plan or \
            plan.status in (PromiseStatus.cancelled, PromiseStatus.superseded):
        return
    statuses = {p.status for p in instalments_of(session, plan)}
    live = statuses - {PromiseStatus.cancelled}
    if not live:
        status = PromiseStatus.cancelled
    elif PromiseStatus.missed in live:
        status = PromiseStatus.missed
    elif live == {PromiseStatus.kept}:
        status = PromiseStatus.kept
    else:
        status = PromiseStatus.pending
    if status != plan.status:
        plan.status = status
        plan.settled_at = None if status == PromiseStatus.pending else utcnow()
        session.add(plan)


def cancel_unsent_reminders(session: Session, promise_id: int) -> None:
    """Cancel the promise's reminders that have not gone out (a claimed one being sent right
    now is left to finish). Not committed."""
    session.execute(sa.update(Reminder).where(
        Reminder.promise_id == promise_id, Reminder.status == DeliveryStatus.scheduled)
        .values(status=DeliveryStatus.cancelled).execution_options(synchronize_session=False))


def next_promised_payment(session: Session, negotiation: Negotiation) -> Promise | None:
    """The debtor's next pending payment with a due date (an instalment counts), or None."""
    return session.exec(select(Promise).where(
        Promise.negotiation_id == negotiation.id, Promise.party == PromiseParty.me,
        Promise.kind == PromiseKind.payment, Promise.status == PromiseStatus.pending,
        Promise.due_at.is_not(None)).order_by(Promise.due_at, Promise.id).limit(1)).first()


def promise_dict(promise: Promise, tz: ZoneInfo | None = None) -> dict:
    """A promise as `liuhen promises list --json` and the API print it: times local in `tz`
    (default: the promise's zone) with their offset; a due date given without a clock time
    is the bare date, with `due_precision` "day"."""
    tz = tz or zone_of(promise)
    return {
        "id": promise.id, "negotiation_id": promise.negotiation_id,
        **_terms_dict(promise), "status": str(promise.status), "timezone": promise.timezone,
        "due_at": due_iso(promise, tz),
        "plan_id": promise.plan_id, "instalment": promise.instalment,
        "supersedes_id": promise.supersedes_id,
        "written_evidence_id": promise.written_evidence_id,
        "source": {"evidence_id": promise.source_evidence_id, "text_id": promise.source_text_id,
                   "segment": promise.source_segment, "start": promise.source_start,
                   "quote": promise.source_quote} if promise.source_evidence_id else None,
        "settled_at": machine_time(promise.settled_at, tz),
        "created_at": machine_time(promise.created_at, tz),
    }


# --- Helpers -----------------------------------------------------------------------------------


def _check(terms: PromiseTerms) -> None:
    if terms.amount is not None and not Decimal(0) < terms.amount <= MAX_AMOUNT:
        raise ValueError(f"amount {terms.amount} must be more than 0 and at most {MAX_AMOUNT}")
    if terms.due_at is not None and terms.due_at.tzinfo is None:
        raise ValueError("the due time needs its time zone")
    if terms.currency is not None and not (len(terms.currency) == 3
                                           and terms.currency.isalpha()):
        raise ValueError(f"currency {terms.currency!r} is not a code such as CNY")


def _new_promise(negotiation: Negotiation, actor: User | None, terms: PromiseTerms,
                 tz: ZoneInfo, source: PromiseSource | None) -> Promise:
    promise = Promise(
        negotiation_id=negotiation.id, party=PromiseParty(terms.party),
        kind=PromiseKind(terms.kind), amount=terms.amount,
        currency=(terms.currency or negotiation.currency).upper(), due_at=terms.due_at,
        due_precision=TimePrecision(terms.due_precision) if terms.due_at else
        TimePrecision.minute, timezone=tz.key, conditions=_text(terms.conditions),
        description=_text(terms.description), created_by=actor.id if actor else None)
    if source is not None:
        promise.source_evidence_id, promise.source_text_id = source.evidence_id, source.text_id
        promise.source_segment, promise.source_start = source.segment, source.start
        promise.source_quote = source.quote
    return promise


def _supersede(session: Session, old: Promise, actor: User | None,
               terms: PromiseTerms) -> Promise:
    custody.lock_chain(session)
    # The old promise's writing does not cover a new date (logger.promises.writing).
    new = Promise(**{**old.model_dump(exclude={"id", "status", "settled_at", "created_at",
                                               "updated_at", "created_by", "supersedes_id",
                                               "written_evidence_id"}),
                     "party": terms.party, "kind": terms.kind, "amount": terms.amount,
                     "currency": terms.currency, "due_at": terms.due_at,
                     "due_precision": TimePrecision(terms.due_precision),
                     "conditions": _text(terms.conditions),
                     "description": _text(terms.description)},
                  supersedes_id=old.id, created_by=actor.id if actor else None)
    old.status, old.settled_at = PromiseStatus.superseded, utcnow()
    session.add(old)
    session.add(new)
    cancel_unsent_reminders(session, old.id)
    session.flush()
    refresh_plan(session, new)
    _log(session, new, actor, "superseded", replaces=old.id, old=_terms_dict(old),
         new=_terms_dict(new))
    session.commit()
    return new


def _log(session: Session, promise: Promise, actor: User | None, event: str,
         **details: object) -> None:
    custody.append_event(session, action=CustodyAction.promise,
                         actor_id=actor.id if actor else None,
                         negotiation_id=promise.negotiation_id,
                         evidence_id=promise.source_evidence_id,
                         details={"event": event, "promise_id": promise.id, **details})


def _terms_dict(promise: Promise) -> dict:
    return {"party": str(promise.party), "kind": str(promise.kind),
            "amount": str(promise.amount) if promise.amount is not None else None,
            "currency": promise.currency, "due_at": iso(promise.due_at),
            "due_precision": str(promise.due_precision),
            "conditions": promise.conditions, "description": promise.description}


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _due_order(promise: Promise) -> tuple:
    far = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    return (promise.due_at or far, promise.plan_id or promise.id, promise.instalment or 0,
            promise.id)
