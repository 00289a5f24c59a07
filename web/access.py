"""Who is asking, and the rule that every object belongs to one account.

Every view that takes an id goes through `owned_negotiation` / `owned_evidence`, which answer 404
(never 403: another account must not even learn that the id exists). tests/test_web_isolation.py
walks every registered route with a second account to keep it that way.
"""

from __future__ import annotations

from flask import abort, g
from sqlmodel import Session

from logger.errors import NotFound
from logger.negotiations import get_negotiation
from logger.record.evidence import get_evidence
from storage.models import Evidence, Negotiation, User
from web.state import app_state


def db() -> Session:
    """The request's database session (closed when the request ends)."""
    if "db" not in g:
        services = app_state().services
        if services is None:
            abort(503)
        g.db = services.session()
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def current_user() -> User:
    """The signed-in account (the gate in web.app guarantees one on every protected view)."""
    user = g.get("user")
    if user is None:
        abort(401)
    return user


def owned_negotiation(negotiation_id: int) -> Negotiation:
    try:
        return get_negotiation(db(), negotiation_id, owner=current_user())
    except NotFound:
        abort(404)


def owned_evidence(evidence_id: int) -> Evidence:
    try:
        return get_evidence(db(), evidence_id, owner=current_user())
    except NotFound:
        abort(404)
