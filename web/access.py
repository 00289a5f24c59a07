"""Who is asking, and the rule that every object belongs to one account, unless its owner shared
it (logger.sharing: a viewer reads, an editor also adds; the rest stays the owner's).

Every view that takes an id goes through `negotiation_for` / `evidence_for` with what it needs
("view", "edit" or "own"; `owned_*` are the "own" ones). No access at all answers 404 (another
account must not even learn that the id exists); a helper whose role is too low gets 403, since
they know it exists already and deserve to hear why. tests/web/test_web_isolation.py walks every
registered route with a foreign account, a viewer and an editor to keep it that way.

The first negotiation a request resolves is the one it is about (`g.negotiation_id`): its times
are read and shown in that negotiation's zone (web.zone.page_zone).
"""

from __future__ import annotations

from flask import abort, g
from flask_babel import refresh
from sqlmodel import Session

from logger import sharing
from logger.errors import NotFound
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


def negotiation_for(negotiation_id: int, need: str = "view") -> Negotiation:
    """The negotiation, if the signed-in account may `need` ("view", "edit", "own") it: else
    404 (no access) or 403 (a helper asking for more than their role)."""
    try:
        negotiation = sharing.negotiation_for(db(), negotiation_id, current_user(),
                                              sharing.Access[need])
    except NotFound:
        abort(404)
    except sharing.NotAllowed:
        abort(403)
    _about(negotiation.id)
    return negotiation


def evidence_for(evidence_id: int, need: str = "view") -> Evidence:
    """The item, if the signed-in account may `need` its negotiation; 404 / 403 as above."""
    try:
        evidence = sharing.evidence_for(db(), evidence_id, current_user(), sharing.Access[need])
    except NotFound:
        abort(404)
    except sharing.NotAllowed:
        abort(403)
    _about(evidence.negotiation_id)
    return evidence


def owned_negotiation(negotiation_id: int) -> Negotiation:
    return negotiation_for(negotiation_id, "own")


def owned_evidence(evidence_id: int) -> Evidence:
    return evidence_for(evidence_id, "own")


def _about(negotiation_id: int) -> None:
    """Note the negotiation this request is about, unless one was resolved before (moving an
    item resolves its target second)."""
    if "negotiation_id" not in g:
        g.negotiation_id = negotiation_id
        refresh()  # Flask-Babel keeps the zone it chose first: choose again, in this one's
