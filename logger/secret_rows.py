"""Rows found by a secret the user holds (API tokens, calendar-feed addresses): only the SHA-256
of the secret is stored, with a short prefix to find the candidates; the hash is compared in
constant time, and the row's last-use time is stamped at most once per `resolution`."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from storage.types import utcnow

Row = TypeVar("Row", bound=SQLModel)


def digest(secret: str) -> str:
    """What is stored for a secret (256 random bits: a plain hash is enough)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def find_by_secret(session: Session, model: type[Row], secret: str, *, prefix_chars: int,
                   hash_field: str, used_field: str, resolution: timedelta) -> Row | None:
    """The live (not revoked) row of `model` whose hash matches `secret`, else None; its
    `used_field` is set to now (and committed) when older than `resolution`."""
    wanted = digest(secret)
    candidates = session.exec(select(model).where(
        getattr(model, "prefix") == secret[:prefix_chars],
        getattr(model, "revoked_at").is_(None))).all()
    row = next((r for r in candidates if hmac.compare_digest(getattr(r, hash_field), wanted)),
               None)
    if row is None:
        return None
    now, used = utcnow(), getattr(row, used_field)
    if used is None or now - used >= resolution:
        setattr(row, used_field, now)
        session.add(row)
        session.commit()
    return row
