"""Sharing a negotiation with a helper (a family member, a legal-aid worker): its owner lets
another account of the same Liuhen read it (viewer: read, search, export bundles) or also add to
it (editor: upload, edit details, accept promises, record payments), and takes that back.

`negotiation_for` / `evidence_for` are the one rule of access every entry point applies: no
access at all looks exactly like a missing item (NotFound); access below what is asked for is
NotAllowed, since the helper already knows the negotiation exists. Sharing, revoking and moving,
trashing or archiving stay with the owner. Every grant, change and revocation is a custody event
with the account that made it.
"""

from __future__ import annotations

from enum import IntEnum

import sqlalchemy as sa
from sqlmodel import Session, select

from logger.errors import LiuhenError, NotFound
from logger.record import custody
from storage.models import (CustodyAction, Evidence, Negotiation, NegotiationShare, ShareRole,
                            User)
from storage.models.types import utcnow


class Access(IntEnum):
    """What an account may do with a negotiation, each level including the ones below."""

    view = 1
    edit = 2
    own = 3


ROLE_ACCESS = {ShareRole.viewer: Access.view, ShareRole.editor: Access.edit}


class NotAllowed(LiuhenError):
    """The account may see the negotiation but not do this with it (a viewer uploading, a
    helper sharing it on)."""


class SharingError(LiuhenError):
    """A share could not be made or revoked; the message says why, `code` says it to programs
    ("self", "owner", "disabled", "not_shared")."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


def access_of(session: Session, negotiation: Negotiation, user: User) -> Access | None:
    """The account's access to the negotiation: own, edit, view or None."""
    if negotiation.owner_id == user.id:
        return Access.own
    share = session.get(NegotiationShare, (negotiation.id, user.id))
    return ROLE_ACCESS[share.role] if share is not None else None


def negotiation_for(session: Session, negotiation_id: int, user: User,
                    need: Access = Access.view) -> Negotiation:
    """The negotiation, if `user` may do `need` with it. Raises NotFound when the account has
    no access at all (another account's negotiation looks like a missing one), NotAllowed when
    its access is below `need`."""
    negotiation = session.get(Negotiation, negotiation_id)
    level = access_of(session, negotiation, user) if negotiation is not None else None
    if level is None:
        raise NotFound(f"no negotiation #{negotiation_id}")
    if level < need:
        raise NotAllowed(f"{user.name} may {level.name} negotiation #{negotiation_id} but not "
                         f"{need.name} it; its owner can change that on its share page")
    return negotiation


def evidence_for(session: Session, evidence_id: int, user: User,
                 need: Access = Access.view) -> Evidence:
    """The item, if `user` may do `need` with its negotiation; NotFound / NotAllowed as
    negotiation_for."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(f"no evidence #{evidence_id}")
    try:
        negotiation_for(session, evidence.negotiation_id, user, need)
    except NotFound:
        raise NotFound(f"no evidence #{evidence_id}") from None
    return evidence


def visible_ids(user: User) -> sa.Select:
    """The ids of the negotiations `user` owns or has been shared: a subquery for `in_`."""
    shared = select(NegotiationShare.negotiation_id).where(NegotiationShare.user_id == user.id)
    return select(Negotiation.id).where(sa.or_(Negotiation.owner_id == user.id,
                                               Negotiation.id.in_(shared)))


def shared_with(session: Session, user: User) -> dict[int, tuple[ShareRole, User]]:
    """The negotiations shared with `user`: negotiation id -> (role, their owner)."""
    rows = session.exec(select(NegotiationShare, Negotiation.owner_id)
                        .join(Negotiation, Negotiation.id == NegotiationShare.negotiation_id)
                        .where(NegotiationShare.user_id == user.id))
    return {share.negotiation_id: (share.role, session.get(User, owner_id))
            for share, owner_id in rows}


def list_shares(session: Session, negotiation: Negotiation) -> list[tuple[NegotiationShare, User]]:
    """Who the negotiation is shared with, in the order they were added."""
    rows = session.exec(select(NegotiationShare, User)
                        .join(User, User.id == NegotiationShare.user_id)
                        .where(NegotiationShare.negotiation_id == negotiation.id)
                        .order_by(NegotiationShare.granted_at, User.id))
    return list(rows)


def has_helpers(session: Session, negotiation_id: int) -> bool:
    """Whether anyone besides the owner has access (the timeline then says who added what)."""
    return session.exec(select(NegotiationShare.user_id).where(
        NegotiationShare.negotiation_id == negotiation_id).limit(1)).first() is not None


def share(session: Session, negotiation: Negotiation, *, by: User, user: User,
          role: ShareRole | str) -> NegotiationShare:
    """Give `user` the role on the negotiation (or change theirs) and commit, with a `sharing`
    custody event. Only the owner may share. Raises NotAllowed, SharingError."""
    role = ShareRole(role)
    _only_owner(negotiation, by)
    if user.id == negotiation.owner_id:
        raise SharingError(f"{user.name} owns this negotiation already", code="owner")
    if user.disabled_at is not None:
        raise SharingError(f"the account {user.name} is disabled; enable it or choose another",
                           code="disabled")
    existing = session.get(NegotiationShare, (negotiation.id, user.id))
    if existing is not None and existing.role == role:
        return existing
    custody.lock_chain(session)
    was = existing.role if existing is not None else None
    row = existing or NegotiationShare(negotiation_id=negotiation.id, user_id=user.id,
                                       role=role, granted_by=by.id, granted_at=utcnow())
    row.role, row.granted_by = role, by.id
    session.add(row)
    custody.append_event(session, action=CustodyAction.sharing, actor_id=by.id,
                         negotiation_id=negotiation.id,
                         details={"user": user.name, "user_id": user.id, "role": str(role),
                                  "was": str(was) if was else None})
    session.commit()
    return row


def unshare(session: Session, negotiation: Negotiation, *, by: User, user: User) -> None:
    """Take the negotiation back from `user` and commit, with a `sharing` custody event
    (role None). Raises NotAllowed, SharingError(code="not_shared")."""
    _only_owner(negotiation, by)
    existing = session.get(NegotiationShare, (negotiation.id, user.id))
    if existing is None:
        raise SharingError(f"negotiation #{negotiation.id} is not shared with {user.name}",
                           code="not_shared")
    custody.lock_chain(session)
    session.delete(existing)
    custody.append_event(session, action=CustodyAction.sharing, actor_id=by.id,
                         negotiation_id=negotiation.id,
                         details={"user": user.name, "user_id": user.id, "role": None,
                                  "was": str(existing.role)})
    session.commit()


def _only_owner(negotiation: Negotiation, by: User) -> None:
    if negotiation.owner_id != by.id:
        raise NotAllowed(f"only the owner of negotiation #{negotiation.id} can share it")
