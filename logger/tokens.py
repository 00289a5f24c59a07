"""API tokens: bearer tokens for scripts and phone automations, one account each.

A token is `lh_` + 32 random bytes (URL-safe base64). Only its SHA-256 is stored: 256 random bits
need no slow hash, and a stolen database yields no usable token. The first characters are kept
in clear (`prefix`) so a person can tell tokens apart and the lookup needs no secret-dependent
index search; the hashes are then compared in constant time.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import Session, select

from logger.errors import LiuhenError, NotFound
from logger.record.evidence import iso
from logger.secrets import digest, find_by_secret
from storage.models import ApiToken, User, utcnow

TOKEN_MARK = "lh_"
PREFIX_CHARS = len(TOKEN_MARK) + 8
MAX_NAME_CHARS = 100
# last_used_at is refreshed at most this often, so a busy script does not write on every read.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(LiuhenError):
    """A token could not be created; the message says why."""


def create_token(session: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, committed. Returns the row and the token itself, which is shown
    once and never stored. Raises TokenError for an unusable name."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise TokenError(f"a token's name must be 1–{MAX_NAME_CHARS} printable characters "
                         "(for example “phone”)")
    plaintext = TOKEN_MARK + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, prefix=plaintext[:PREFIX_CHARS],
                     token_hash=digest(plaintext))
    session.add(token)
    session.commit()
    return token, plaintext


def verify_token(session: Session, plaintext: str) -> User | None:
    """The account a token belongs to, or None for an unknown, malformed or revoked token, or
    one of a disabled account.
    Records when the token was last used."""
    if not plaintext.startswith(TOKEN_MARK) or len(plaintext) <= PREFIX_CHARS:
        return None
    token = find_by_secret(session, ApiToken, plaintext, prefix_chars=PREFIX_CHARS,
                           hash_field="token_hash", used_field="last_used_at",
                           resolution=LAST_USED_RESOLUTION)
    user = session.get(User, token.user_id) if token else None
    return user if user is not None and user.disabled_at is None else None


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The account's tokens, revoked ones included (they say when), newest first."""
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id)
                             .order_by(ApiToken.id.desc())).all())


def revoke_token(session: Session, token_id: int, *, owner: User | None = None) -> ApiToken:
    """Refuse the token from now on, and commit. Revoking twice keeps the first time.
    Raises NotFound if there is no such token (or `owner`, when given, does not own it)."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise NotFound(f"no API token #{token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.commit()
    return token


def token_dict(token: ApiToken) -> dict:
    """A token as `liuhen user tokens --json` prints it (never the token or its hash)."""
    return {"id": token.id, "user_id": token.user_id, "name": token.name,
            "prefix": token.prefix, "created_at": iso(token.created_at),
            "last_used_at": iso(token.last_used_at), "revoked_at": iso(token.revoked_at)}
