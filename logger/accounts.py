"""Accounts: users, roles and password hashes (Argon2id via argon2-cffi)."""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from logger.errors import LiuhenError, NotFound
from storage.models import Role, User

MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 64


class AccountError(LiuhenError):
    """A user could not be added or changed; the message says why."""


def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's recommendation


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(session: Session, name: str, password: str, *, admin: bool = False) -> User:
    """Create an account and commit. The first account becomes the owner.

    Raises AccountError for a taken or unusable name or a short password."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise AccountError(f"a user name must be 1–{MAX_NAME_CHARS} printable characters")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if session.exec(select(User).where(User.name == name)).first():
        raise AccountError(f"the user name “{name}” is taken")
    first = session.exec(select(User).limit(1)).first() is None
    role = Role.owner if first else (Role.admin if admin else Role.member)
    user = User(name=name, password_hash=hash_password(password), role=role)
    session.add(user)
    session.commit()
    return user


def any_user(session: Session) -> bool:
    """Whether any account exists yet (the web app's first-run page creates the first)."""
    return session.exec(select(User.id).limit(1)).first() is not None


def find_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no user named “{name}” (add one with `liuhen user add NAME`)")
    return user


def default_user(session: Session) -> User:
    """The account the CLI acts for when no --user is given: the owner."""
    owner = session.exec(select(User).where(User.role == Role.owner).order_by(User.id)).first()
    if owner is None:
        raise NotFound("there is no account yet: create one with `liuhen user add NAME`")
    return owner
