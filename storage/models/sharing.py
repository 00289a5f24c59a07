"""The table of sharing (logger.sharing): a negotiation's owner lets another account of the same
Liuhen read it (viewer) or also add to it (editor).

Foreign keys and what a DELETE does: negotiation_share -> negotiation, -> user (the helper):
CASCADE (a share means nothing without either); granted_by -> user: refused while referenced,
like custody_event.actor_id. One row per negotiation and helper (a primary key on both).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, auto

from sqlmodel import Field, SQLModel

from storage.models import core  # noqa: F401  (defines the tables its foreign keys name)
from storage.models.types import UTCDateTime, str_enum, utcnow

__all__ = ["NegotiationShare", "ShareRole"]


class ShareRole(StrEnum):
    viewer = auto()   # reads, searches, exports bundles
    editor = auto()   # also uploads, edits details, accepts promises, records payments


class NegotiationShare(SQLModel, table=True):
    __tablename__ = "negotiation_share"

    negotiation_id: int = Field(foreign_key="negotiation.id", primary_key=True,
                                ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True,
                         ondelete="CASCADE")
    role: ShareRole = Field(sa_type=str_enum(ShareRole))
    granted_by: int = Field(foreign_key="user.id")
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
