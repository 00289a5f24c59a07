"""The tables of signing in (logger.browser_sessions, logger.signin_throttle): browser sessions
kept in the database, the devices an account signed in from, and failed sign-ins.

Every secret a browser holds (a session id, a known-device cookie) is stored as its SHA-256
only: 256 random bits need no slow hash, and a copy of the database opens no session.

Foreign keys and what a DELETE does: web_session, known_device -> user: CASCADE (removing an
account ends its sessions). signin_failure has no foreign key: it counts names that may not
exist, and must not tell them apart from those that do.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import core  # noqa: F401  (defines the tables its foreign keys name)
from storage.models.types import UTCDateTime, utcnow

__all__ = ["KnownDevice", "SigninFailure", "WebSession"]


class WebSession(SQLModel, table=True):
    """A signed-in browser. Its cookie carries a random id; this row ends it (sign-out, idle,
    too old, a password change, an account disabled)."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # What a person needs to recognise the session: the browser's name and the client address.
    user_agent: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=64)


class KnownDevice(SQLModel, table=True):
    """A browser that signed in to the account with its password; its cookie lets it sign in
    while strangers' failures slow everyone else down (logger.signin_throttle)."""

    __tablename__ = "known_device"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SigninFailure(SQLModel, table=True):
    """One failed sign-in, as counted against one `scope`: "name:<sha256 of the name>",
    "address:<sha256 of the client address>", "device:<known device id>" or
    "password:<user id>" (the current password on the change-password form). Rows only ever
    get inserted, so concurrent processes cannot lose a count; old ones are deleted."""

    __tablename__ = "signin_failure"
    __table_args__ = (sa.Index("ix_signin_failure_scope_at", "scope", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=80)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
