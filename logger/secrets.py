"""Secrets, in the two places Liuhen keeps them.

Secrets kept in files named by the config (the vault passphrase, IMAP and SMTP passwords): the
first line of the file, with errors that name the file and the config key (`first_line`).

Rows found by a secret the user holds (API tokens, calendar-feed addresses): only the SHA-256 of
the secret is stored, with a short prefix to find the candidates; the hash is compared in
constant time, and the row's last-use time is stamped at most once per `resolution`
(`digest`, `find_by_secret`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session, SQLModel, select

from logger.errors import LiuhenError
from storage.models.types import utcnow

Row = TypeVar("Row", bound=SQLModel)


def first_line(name: str, *, what: str, key: str, error: type[LiuhenError]) -> str:
    """The first line of the file `name` (~ expanded). Raises `error` when it cannot be read or
    its first line is empty; `what` names the secret ("IMAP password"), `key` the config key."""
    path = Path(name).expanduser()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise error(f"cannot read the {what} file {path} (config key `{key}`): "
                    f"{e.strerror}") from None
    if not lines or not lines[0]:
        raise error(f"the {what} file {path} is empty")
    return lines[0]


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
