"""Negotiations: one debt, one creditor, everything said and paid about it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session, func, select

from logger.errors import NotFound
from storage.models import Evidence, Negotiation, User


def add_negotiation(session: Session, *, owner: User, creditor: str,
                    collection_agency: str | None = None, account_reference: str | None = None,
                    principal: Decimal | None = None, outstanding: Decimal | None = None,
                    currency: str = "CNY", overdue_since: date | None = None,
                    language: str | None = None) -> Negotiation:
    """Create a negotiation owned by `owner` and commit."""
    creditor = creditor.strip()
    if not creditor:
        raise ValueError("the creditor's name is needed (for example 信用飞 or 招商银行信用卡)")
    negotiation = Negotiation(
        owner_id=owner.id, creditor=creditor, collection_agency=collection_agency or None,
        account_reference=account_reference or None, principal=principal,
        outstanding=outstanding, currency=currency.upper(), overdue_since=overdue_since,
        language=language)
    session.add(negotiation)
    session.commit()
    return negotiation


def get_negotiation(session: Session, negotiation_id: int, *, owner: User | None = None
                    ) -> Negotiation:
    """The negotiation with that id, if `owner` (when given) may see it; else NotFound.
    Another account's negotiation looks exactly like a missing one."""
    negotiation = session.get(Negotiation, negotiation_id)
    if negotiation is None or (owner is not None and negotiation.owner_id != owner.id):
        raise NotFound(f"no negotiation #{negotiation_id}")
    return negotiation


def list_negotiations(session: Session, *, owner: User | None = None
                      ) -> list[tuple[Negotiation, int]]:
    """Negotiations (of `owner`, or all) with their evidence counts, newest first."""
    counts = (select(Evidence.negotiation_id, func.count(Evidence.id).label("n"))
              .group_by(Evidence.negotiation_id).subquery())
    query = (select(Negotiation, func.coalesce(counts.c.n, 0))
             .join(counts, counts.c.negotiation_id == Negotiation.id, isouter=True)
             .order_by(Negotiation.id.desc()))
    if owner is not None:
        query = query.where(Negotiation.owner_id == owner.id)
    return [(n, count) for n, count in session.exec(query)]
