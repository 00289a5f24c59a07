"""Managing the members of a Liuhen (the owner, or an admin for plain members): resetting a
password (the member must choose a new one at their next sign-in), disabling and enabling an
account, and removing one.

Accounts are never deleted, since the custody log names who did what: a removed account is
disabled for good and gives up its name (so the same name can be added again). Its negotiations
are either handed to the owner (one `transfer` custody event each) or kept under it, where no
account can open them (nothing moves them later yet). Evidence is never deleted here. Disabling
and removing end the member's browser sessions and refuse their API tokens; a reset ends the
sessions.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, delete, select

from logger import browser_sessions
from logger.accounts import AccountError, set_password
from logger.record import custody
from storage.models import CustodyAction, Negotiation, NegotiationShare, Role, User
from storage.models.types import utcnow


def may_manage(by: User, member: User) -> bool:
    """The owner manages every other account; an admin manages plain members."""
    if by.id == member.id or member.role == Role.owner:
        return False
    return by.role == Role.owner or (by.role == Role.admin and member.role == Role.member)


def reset_password(session: Session, *, by: User, member: User, password: str) -> int:
    """Give `member` a password chosen by `by`, to be replaced at their next sign-in; end their
    sessions and commit. Returns how many ended. Raises AccountError ("not_allowed",
    "short_password")."""
    _check(by, member)
    member.must_change_password = True
    return set_password(session, member, password)


def disable(session: Session, *, by: User, member: User, now: datetime | None = None) -> int:
    """`member` can no longer sign in (nor use an API token); their sessions end. Commits;
    returns how many sessions ended. Raises AccountError("not_allowed")."""
    _check(by, member)
    if member.disabled_at is None:
        member.disabled_at = now or utcnow()
        session.add(member)
    return browser_sessions.end_sessions(session, member.id)


def enable(session: Session, *, by: User, member: User) -> None:
    """A disabled (not removed) account may sign in again. Commits."""
    _check(by, member)
    if member.removed_at is not None:
        raise AccountError(f"{member.name} was removed; add the account again instead",
                           code="removed")
    member.disabled_at = None
    session.add(member)
    session.commit()


def remove(session: Session, *, by: User, member: User, transfer: bool,
           now: datetime | None = None) -> list[int]:
    """Remove `member`: their sessions end, what was shared with them is taken back, their
    name is freed, and their negotiations go to the owner (`transfer`) or stay under the
    disabled account. Commits; returns the ids of the negotiations transferred.
    Raises AccountError("not_allowed")."""
    _check(by, member)
    now = now or utcnow()
    owner = session.exec(select(User).where(User.role == Role.owner)).first()
    moved: list[int] = []
    custody.lock_chain(session)
    if transfer:
        for negotiation in session.exec(select(Negotiation).where(
                Negotiation.owner_id == member.id).order_by(Negotiation.id)).all():
            moved.append(negotiation.id)
            negotiation.owner_id = owner.id
            session.add(negotiation)
            session.exec(delete(NegotiationShare).where(
                NegotiationShare.negotiation_id == negotiation.id,
                NegotiationShare.user_id == owner.id))
            custody.append_event(session, action=CustodyAction.transfer, actor_id=by.id,
                                 negotiation_id=negotiation.id,
                                 details={"from": member.name, "from_id": member.id,
                                          "to": owner.name, "to_id": owner.id,
                                          "reason": "account removed"})
    session.exec(delete(NegotiationShare).where(NegotiationShare.user_id == member.id))
    member.disabled_at = member.disabled_at or now
    member.removed_at = now
    member.password_hash = None
    member.must_change_password = False
    member.name = removed_name(member)
    session.add(member)
    browser_sessions.end_sessions(session, member.id)  # commits everything above
    return moved


def removed_name(member: User) -> str:
    """The name a removed account keeps: its own, marked, so the plain name is free again and
    the custody log still says who it was."""
    return f"{member.name} (removed #{member.id})"


def _check(by: User, member: User) -> None:
    if not may_manage(by, member):
        raise AccountError(f"{by.name} may not manage the account {member.name}",
                           code="not_allowed")
