"""Payments the debtor made, matched to the promises they pay; and whether each promise was kept.

A payment is matched to one promise by a person (`suggest_match` proposes one, `match_payment`
or `record_payment(promise=...)` confirms it); several payments may pay one promise. A payment
promise of the debtor's is kept as soon as the payments made by its due time add up to its
amount, and missed when its due time passes short of it (the shortfall is shown). Any other
promise that passes its due time unmarked is missed too: for the other side's promises that is
the waiver that never appeared. `settle_due` makes these decisions for the scheduler.

Dates without a clock time are compared as dates: a promise due on a date is due by the end of
that local day (`logger.promises.due.deadline`), and a payment known only by its date
(`paid_precision` day) was made in time for a promise due that day or later; the record cannot
tell more, and it says so wherever the payment is shown (its date alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.errors import NotFound
from logger.promises.due import deadline, zone_of
from logger.promises.promises import (MAX_AMOUNT, OPEN_STATUSES, PromiseError,
                                      cancel_unsent_reminders, refresh_plan)
from logger.record import custody
from logger.record.evidence import iso
from logger.record.moments import machine_time
from storage.models import CustodyAction, Evidence, Negotiation, User
from storage.models.promises import (Payment, PaymentMethod, Promise, PromiseKind, PromiseParty,
                                     PromiseStatus)
from storage.models.types import TimePrecision, utcnow

# Kinds whose keeping is measured in money paid.
PAYABLE = (PromiseKind.payment,)


@dataclass(frozen=True)
class Balance:
    """A payment promise against what was paid toward it: `paid` in all, `paid_on_time` by its
    due time, `shortfall` what is still missing of its amount (None: no amount promised)."""

    amount: Decimal | None
    paid: Decimal
    paid_on_time: Decimal

    @property
    def shortfall(self) -> Decimal | None:
        return None if self.amount is None else max(self.amount - self.paid, Decimal(0))


@dataclass(frozen=True)
class Totals:
    """The debtor's payment promises in the negotiation's currency (cancelled and superseded
    ones left out): promised in all, paid (every payment in that currency), and outstanding
    (what the promises still lack)."""

    currency: str
    promised: Decimal
    paid: Decimal
    outstanding: Decimal


def record_payment(session: Session, *, negotiation: Negotiation, actor: User | None,
                   paid_at: datetime, amount: Decimal, method: PaymentMethod,
                   currency: str | None = None, reference: str | None = None,
                   note: str | None = None, receipt: Evidence | None = None,
                   promise: Promise | None = None, now: datetime | None = None,
                   paid_precision: TimePrecision = TimePrecision.minute) -> Payment:
    """Record a payment with its custody event and commit; with `promise` it is matched at
    once (and the promise kept if now paid in full on time). `paid_precision` day: only the
    date is known (`paid_at` is a stand-in in that day: logger.record.moments.day_moment).
    Raises ValueError for an amount that is not positive, a receipt or promise of another
    negotiation."""
    if not Decimal(0) < amount <= MAX_AMOUNT:
        raise ValueError(f"a payment's amount must be more than 0, got {amount}")
    if paid_at.tzinfo is None:
        raise ValueError("the payment time needs its time zone")
    for item in (receipt, promise):
        if item is not None and item.negotiation_id != negotiation.id:
            raise ValueError(f"{type(item).__name__.lower()} #{item.id} belongs to another "
                             "negotiation")
    custody.lock_chain(session)
    payment = Payment(negotiation_id=negotiation.id, paid_at=paid_at,
                      paid_precision=TimePrecision(paid_precision), amount=amount,
                      currency=(currency or negotiation.currency).upper(),
                      method=PaymentMethod(method), reference=(reference or "").strip() or None,
                      note=(note or "").strip() or None,
                      receipt_evidence_id=receipt.id if receipt else None,
                      created_by=actor.id if actor else None)
    session.add(payment)
    session.flush()
    custody.append_event(session, action=CustodyAction.payment,
                         actor_id=actor.id if actor else None, negotiation_id=negotiation.id,
                         evidence_id=payment.receipt_evidence_id,
                         details={"event": "recorded", **payment_dict(payment)})
    if promise is not None:
        _match(session, payment, promise, actor, now or utcnow())
    session.commit()
    return payment


def match_payment(session: Session, payment: Payment, promise: Promise, *,
                  actor: User | None, now: datetime | None = None) -> Payment:
    """Confirm that `payment` pays `promise` (replacing an earlier match) and commit; the
    promise is kept if it is now paid in full on time. Raises PromiseError for a promise that
    is not one of the debtor's payment promises still open, ValueError across negotiations."""
    if payment.negotiation_id != promise.negotiation_id:
        raise ValueError(f"payment #{payment.id} and promise #{promise.id} belong to different "
                         "negotiations")
    custody.lock_chain(session)
    _match(session, payment, promise, actor, now or utcnow())
    session.commit()
    return payment


def suggest_match(session: Session, payment: Payment) -> Promise | None:
    """The open payment promise of the debtor's this payment most likely pays: one whose
    shortfall it equals, else whose shortfall it does not exceed, nearest due time first."""
    candidates = [p for p in session.exec(select(Promise).where(
        Promise.negotiation_id == payment.negotiation_id, Promise.party == PromiseParty.me,
        Promise.kind.in_(PAYABLE), Promise.status.in_(OPEN_STATUSES),
        Promise.currency == payment.currency))]
    balances = balances_of(session, candidates)
    open_ones = [p for p in candidates if balances[p.id].shortfall != Decimal(0)]

    def rank(promise: Promise) -> tuple:
        shortfall = balances[promise.id].shortfall
        exact = shortfall == payment.amount
        fits = shortfall is None or payment.amount <= shortfall
        distance = abs((deadline(promise) - payment.paid_at).total_seconds()) \
            if promise.due_at else float("inf")
        return (not exact, not fits, distance, promise.id)

    return min(open_ones, key=rank, default=None)


def balances_of(session: Session, promises: Iterable[Promise]) -> dict[int, Balance]:
    """What was paid toward each promise, in two numbers (see Balance)."""
    promises = list(promises)
    ids = [p.id for p in promises]
    paid: dict[int, list[Payment]] = {i: [] for i in ids}
    if ids:
        for payment in session.exec(select(Payment).where(Payment.promise_id.in_(ids))):
            paid[payment.promise_id].append(payment)
    return {p.id: Balance(p.amount, sum((x.amount for x in paid[p.id]), Decimal(0)),
                          sum((x.amount for x in paid[p.id] if paid_in_time(x, p)),
                              Decimal(0)))
            for p in promises}


def paid_in_time(payment: Payment, promise: Promise) -> bool:
    """Whether `payment` was made by the promise's deadline. A payment known only by its date
    counts when that date (read in the promise's zone) is not after the due date."""
    last = deadline(promise)
    if last is None:
        return True
    if payment.paid_precision == TimePrecision.day:
        tz = zone_of(promise)
        return payment.paid_at.astimezone(tz).date() <= last.astimezone(tz).date()
    return payment.paid_at <= last


def settle(session: Session, promise: Promise, *, now: datetime) -> PromiseStatus:
    """Decide a promise, as of `now` (not committed): kept when paid in full on time (also
    one already marked missed, when a payment made in time is recorded late), missed once its
    due time has passed without that. Returns its status."""
    if promise.status not in OPEN_STATUSES or promise.kind == PromiseKind.instalment_plan:
        return promise.status
    if _paid_in_full_on_time(session, promise):
        promise.status = PromiseStatus.kept
        cancel_unsent_reminders(session, promise.id)
    elif promise.status == PromiseStatus.pending and promise.due_at is not None \
            and deadline(promise) <= now:
        promise.status = PromiseStatus.missed
    else:
        return promise.status
    promise.settled_at = now
    session.add(promise)
    session.flush()
    refresh_plan(session, promise)
    return promise.status


def settle_due(session: Session, *, now: datetime) -> list[Promise]:
    """Settle every pending promise whose due time has passed by `now` (not committed; one
    due on a date is settled once that day has ended). Returns those that were missed (the
    scheduler sends a notice for each)."""
    due = session.exec(select(Promise).where(
        Promise.status == PromiseStatus.pending, Promise.due_at.is_not(None),
        Promise.due_at <= now, Promise.kind != PromiseKind.instalment_plan)
        .order_by(Promise.due_at, Promise.id)).all()
    return [p for p in due if settle(session, p, now=now) == PromiseStatus.missed]


def totals(session: Session, negotiation: Negotiation) -> Totals:
    """Total promised, paid and outstanding, for the negotiation's overview."""
    currency = negotiation.currency
    promises = list(session.exec(select(Promise).where(
        Promise.negotiation_id == negotiation.id, Promise.party == PromiseParty.me,
        Promise.kind.in_(PAYABLE), Promise.currency == currency, Promise.amount.is_not(None),
        Promise.status.in_((PromiseStatus.pending, PromiseStatus.kept,
                            PromiseStatus.missed)))))
    balances = balances_of(session, promises)
    paid = sum((p.amount for p in session.exec(select(Payment).where(
        Payment.negotiation_id == negotiation.id, Payment.currency == currency))), Decimal(0))
    return Totals(currency=currency,
                  promised=sum((p.amount for p in promises), Decimal(0)), paid=paid,
                  outstanding=sum((balances[p.id].shortfall for p in promises), Decimal(0)))


def list_payments(session: Session, negotiation: Negotiation) -> list[Payment]:
    """The negotiation's payments, newest first."""
    return list(session.exec(select(Payment).where(Payment.negotiation_id == negotiation.id)
                             .order_by(Payment.paid_at.desc(), Payment.id.desc())).all())


def get_payment(session: Session, payment_id: int, *, negotiation: Negotiation) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.negotiation_id != negotiation.id:
        raise NotFound(f"no payment #{payment_id} in negotiation #{negotiation.id}")
    return payment


def payment_dict(payment: Payment, tz: ZoneInfo | None = None) -> dict:
    """A payment as `liuhen promises payments --json` prints it: `paid_at` local in `tz` with
    its offset, or the bare date when only the date is known (`paid_precision` "day"). Without
    `tz` (the custody log's details), `paid_at` is UTC."""
    paid_at = machine_time(payment.paid_at, tz, payment.paid_precision) if tz else \
        iso(payment.paid_at)
    return {"id": payment.id, "negotiation_id": payment.negotiation_id,
            "paid_at": paid_at, "paid_precision": str(payment.paid_precision),
            "amount": str(payment.amount),
            "currency": payment.currency, "method": str(payment.method),
            "reference": payment.reference, "note": payment.note,
            "receipt_evidence_id": payment.receipt_evidence_id,
            "promise_id": payment.promise_id}


def _match(session: Session, payment: Payment, promise: Promise, actor: User | None,
           now: datetime) -> None:
    if promise.party != PromiseParty.me or promise.kind not in PAYABLE or \
            promise.status not in OPEN_STATUSES:
        raise PromiseError(f"promise #{promise.id} is not an open payment promise of yours; "
                           "a payment can only pay one of those")
    old = payment.promise_id
    payment.promise_id = promise.id
    session.add(payment)
    session.flush()
    custody.append_event(session, action=CustodyAction.payment,
                         actor_id=actor.id if actor else None,
                         negotiation_id=payment.negotiation_id,
                         evidence_id=payment.receipt_evidence_id,
                         details={"event": "matched", "payment_id": payment.id,
                                  "promise_id": promise.id, "replaces_promise_id": old})
    settle(session, promise, now=now)


def _paid_in_full_on_time(session: Session, promise: Promise) -> bool:
    if promise.kind not in PAYABLE or promise.party != PromiseParty.me:
        return False
    balance = balances_of(session, [promise])[promise.id]
    if promise.amount is None:
        return balance.paid_on_time > 0
    return balance.paid_on_time >= promise.amount


def unmatched_payments(session: Session, negotiation: Negotiation) -> list[Payment]:
    """Payments not yet matched to a promise, newest first."""
    return [p for p in list_payments(session, negotiation) if p.promise_id is None]


def payments_by_promise(session: Session, negotiation: Negotiation) -> dict[int, list[Payment]]:
    """The negotiation's matched payments grouped by the promise they pay."""
    grouped: dict[int, list[Payment]] = {}
    for payment in session.exec(select(Payment).where(
            Payment.negotiation_id == negotiation.id, Payment.promise_id.is_not(None))
            .order_by(Payment.paid_at, Payment.id)):
        grouped.setdefault(payment.promise_id, []).append(payment)
    return grouped

