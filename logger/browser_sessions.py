"""Browser sessions, kept in the database so that ending one ends it everywhere: sign-out, the
idle timeout, an absolute lifetime, a password change, an account disabled or removed.

The browser holds a random id (256 bits); only its SHA-256 is stored (`WebSession.token_hash`),
so a copy of the database opens no session. Nothing lives in one process's memory: every web
process over the same database sees a session start and end at once.

Every function that reads the clock takes `now=` (aware UTC), so tests about expiry never sleep.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from logger.secrets import digest
from storage.models import User, WebSession

# A session ends this long after its sign-in, however busy (NIST SP 800-63B's 12 hours for a
# session at AAL2; ASVS 5.0 V7.3.2): a stolen cookie is not good for ever.
MAX_AGE = timedelta(hours=12)
# last_seen_at is rewritten at most this often (a write per request would be wasted work).
TOUCH_EVERY = timedelta(minutes=1)
# Rows of ended sessions are deleted once they are this far past the absolute lifetime; until
# then a returning browser can still be told why it was signed out.
KEEP_ENDED = timedelta(days=1)
MAX_USER_AGENT_CHARS = 200
MAX_ADDRESS_CHARS = 64


@dataclass(frozen=True)
class Resumed:
    """What a browser's session id is worth now: its account, or why it ended ("idle",
    "expired"); both None for an id that is unknown or was ended (sign-out)."""

    user: User | None = None
    ended: str | None = None


def start_session(session: Session, user: User, *, now: datetime,
                  user_agent: str | None = None, address: str | None = None) -> str:
    """A new session for `user`, committed. Returns the id for the browser (never stored).
    Sessions that ended long ago are swept on the way."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=digest(token), user_id=user.id, created_at=now,
                           last_seen_at=now, user_agent=_cut(user_agent, MAX_USER_AGENT_CHARS),
                           address=_cut(address, MAX_ADDRESS_CHARS)))
    session.exec(delete(WebSession).where(WebSession.created_at < now - MAX_AGE - KEEP_ENDED))
    session.commit()
    return token


def resume_session(session: Session, token: str, *, now: datetime, idle: timedelta,
                   max_age: timedelta = MAX_AGE) -> Resumed:
    """The account of the session `token` names, if it is still live: not idle longer than
    `idle`, not older than `max_age`. A session found past either is ended (deleted) and says
    why; a live one has its last request stamped (at most once per TOUCH_EVERY)."""
    row = _find(session, token)
    if row is None:
        return Resumed()
    ended = ("expired" if now - row.created_at >= max_age
             else "idle" if now - row.last_seen_at > idle else None)
    user = None if ended else session.get(User, row.user_id)
    if user is None:
        session.delete(row)
        session.commit()
        return Resumed(ended=ended)
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
        session.commit()
    return Resumed(user=user)


def end_session(session: Session, token: str) -> None:
    """End the session `token` names (sign-out), and commit. Unknown ids are ignored."""
    session.exec(delete(WebSession).where(WebSession.token_hash == digest(token)))
    session.commit()


def end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every session of the account `user_id` (but the one `keep` names, if given), and
    commit. Returns how many ended. For a password change, and for an account disabled or
    removed: its browsers are signed out on their next request, in every process."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.token_hash != digest(keep))
    ended = session.exec(query).rowcount
    session.commit()
    return ended


def _find(session: Session, token: str) -> WebSession | None:
    if not token or len(token) > 100:
        return None
    return session.exec(select(WebSession).where(
        WebSession.token_hash == digest(token))).first()


def _cut(text: str | None, limit: int) -> str | None:
    return text[:limit] if text else None
