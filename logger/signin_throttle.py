"""Slowing down password guessing without letting a stranger lock the owner out.

A failed sign-in from a browser the account does not know counts against the name tried and
against the client address; after FREE_FAILURES failures within WINDOW, each scope refuses
sign-ins for FIRST_DELAY, doubling with each further failure up to MAX_DELAY (a slow-down, never
a long lockout). A browser that signed in to the account before holds a known-device cookie
(random, only its hash stored): it is exempt from the name's and the address's delays, and its
own failures count against it alone (OWASP's "device cookies"). So five wrong passwords typed by
anyone on the same machine (every local client is 127.0.0.1) no longer keep the owner out.

Failures are rows in the database (`SigninFailure`), only ever inserted, so several web processes
share the counts and never lose one. Names are counted whether an account has them or not, and
stored as hashes: an unknown name is slowed down exactly like a known one, and a password typed
into the name field is not kept.

Every function that reads the clock takes `now=` (aware UTC).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from logger.secrets import digest
from storage.models import KnownDevice, SigninFailure, User

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=5)
# Failures older than this are forgotten (and deleted).
WINDOW = timedelta(hours=1)
# A known-device cookie not used for this long is no longer known; an account keeps at most
# MAX_DEVICES of them (the least recently used go first).
DEVICE_LIFETIME = timedelta(days=365)
MAX_DEVICES = 20
MAX_TOKEN_CHARS = 100


def delay_after(failures: int) -> timedelta:
    """How long a scope refuses sign-ins after this many failures within WINDOW: nothing before
    FREE_FAILURES, then 15 s, 30 s, 1, 2, 4 minutes, then MAX_DELAY."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 16), MAX_DELAY)


def name_scope(name: str) -> str:
    return "name:" + digest(name)


def address_scope(address: str) -> str:
    return "address:" + digest(address)


def device_scope(device: KnownDevice) -> str:
    return f"device:{device.id}"


def password_scope(user: User) -> str:
    """The current password typed on the change-password form, by a signed-in browser."""
    return f"password:{user.id}"


def locked_until(session: Session, scopes: Sequence[str], *, now: datetime) -> datetime | None:
    """The latest time until which one of `scopes` refuses sign-ins; None when none does."""
    rows = session.exec(
        select(SigninFailure.scope, func.count(), func.max(SigninFailure.at))
        .where(SigninFailure.scope.in_(scopes), SigninFailure.at > now - WINDOW)
        .group_by(SigninFailure.scope)).all()
    until = max((last + delay_after(count) for _scope, count, last in rows), default=None)
    return until if until is not None and until > now else None


def record_failure(session: Session, scopes: Sequence[str], *, now: datetime) -> None:
    """Count one failure against each of `scopes`, forget failures older than WINDOW, commit."""
    session.add_all(SigninFailure(scope=scope, at=now) for scope in scopes)
    session.exec(delete(SigninFailure).where(SigninFailure.at <= now - WINDOW))
    session.commit()


def clear(session: Session, scopes: Sequence[str]) -> None:
    """Forget the failures of `scopes` (a success proved them wrong), and commit."""
    session.exec(delete(SigninFailure).where(SigninFailure.scope.in_(scopes)))
    session.commit()


# --- Known devices -----------------------------------------------------------------------------


def find_device(session: Session, token: str | None, *, now: datetime) -> KnownDevice | None:
    """The known device a browser's cookie names (any account's), or None."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    device = session.exec(select(KnownDevice).where(
        KnownDevice.token_hash == digest(token))).first()
    if device is None or now - device.last_used_at > DEVICE_LIFETIME:
        return None
    return device


def remember_device(session: Session, user: User, *, now: datetime) -> str:
    """A new known device for `user`, committed; returns the cookie's value (never stored).
    The account's least recently used devices beyond MAX_DEVICES are forgotten."""
    stale = session.exec(select(KnownDevice.id).where(KnownDevice.user_id == user.id)
                         .order_by(KnownDevice.last_used_at.desc(), KnownDevice.id.desc())
                         .offset(MAX_DEVICES - 1)).all()
    if stale:
        session.exec(delete(KnownDevice).where(KnownDevice.id.in_(stale)))
    token = secrets.token_urlsafe(32)
    session.add(KnownDevice(token_hash=digest(token), user_id=user.id, created_at=now,
                            last_used_at=now))
    session.commit()
    return token


def touch_device(session: Session, device: KnownDevice, *, now: datetime) -> None:
    device.last_used_at = now
    session.add(device)
    session.commit()
