"""Accounts: users, roles, password hashes (Argon2id via argon2-cffi), signing in (slowed down
by logger.signin_throttle), changing a password (which ends the account's browser sessions,
logger.browser_sessions) and each account's language and time zone.

Errors carry a `code` besides their English message, so the web app can say the same thing in
the reader's language (logger knows nothing of Flask-Babel).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from logger import browser_sessions, signin_throttle as throttle
from logger.errors import LiuhenError, NotFound
from storage.models import Role, User
from storage.models.types import utcnow

MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 64
LANGUAGES = ("zh", "en")


class AccountError(LiuhenError):
    """A user could not be added, changed or signed in; the message says why, `code` says it
    to programs ("bad_name", "short_password", "name_taken", "exists", "not_allowed",
    "bad_language", "bad_timezone", "bad_login", "wrong_password", "throttled", "disabled",
    "removed")."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


class LoginThrottled(AccountError):
    """Too many failed sign-ins: none is accepted before `until` (aware UTC)."""

    def __init__(self, until: datetime):
        super().__init__(f"too many failed sign-ins; try again after {until:%H:%M} UTC",
                         code="throttled")
        self.until = until


def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2-cffi's defaults follow RFC 9106's recommendation


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@functools.cache
def _decoy_hash() -> str:
    """A hash to verify against when the name is unknown, so that an unknown name takes as long
    to refuse as a wrong password."""
    return hash_password("liuhen decoy password")


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_name(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip())


def check_new_account(name: str, password: str) -> str:
    """Validate a new account's name and password (the first-run page does so before it creates
    the vault). Returns the normalised name; raises AccountError."""
    name = normalize_name(name)
    if not name or len(name) > MAX_NAME_CHARS or not name.isprintable():
        raise AccountError(f"a user name must be 1–{MAX_NAME_CHARS} printable characters",
                           code="bad_name")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters",
                           code="short_password")
    return name


def add_user(session: Session, name: str, password: str, *, admin: bool = False) -> User:
    """Create an account and commit. The first account becomes the owner.

    Raises AccountError for a taken or unusable name or a short password."""
    name = check_new_account(name, password)
    if session.exec(select(User.id).where(User.name == name)).first() is not None:
        raise AccountError(f"the user name “{name}” is taken", code="name_taken")
    first = not any_user(session)
    role = Role.owner if first else (Role.admin if admin else Role.member)
    user = User(name=name, password_hash=hash_password(password), role=role)
    session.add(user)
    session.commit()
    return user


def add_owner(session: Session, name: str, password: str) -> User:
    """Create the first account (the first-run page). Raises AccountError(code="exists") when
    there is one already: the first-run page must never make a second account."""
    if any_user(session):
        raise AccountError("an account exists already; sign in with it", code="exists")
    return add_user(session, name, password)


def can_manage_members(user: User) -> bool:
    return user.role in (Role.owner, Role.admin)


def add_member(session: Session, *, by: User, name: str, password: str,
               admin: bool = False) -> User:
    """An owner or admin adds an account; only the owner may make an admin.

    Raises AccountError (code "not_allowed", or one of add_user's)."""
    if not can_manage_members(by) or (admin and by.role != Role.owner):
        raise AccountError(f"{by.name} may not add this account", code="not_allowed")
    return add_user(session, name, password, admin=admin)


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.id)))


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


# --- Preferences -------------------------------------------------------------------------------


@functools.cache
def known_timezones() -> frozenset[str]:
    """The IANA zone names this machine knows (cached: listing them reads the tz database)."""
    return frozenset(available_timezones())


def set_language(session: Session, user: User, language: str) -> None:
    """Remember the account's language ("zh" or "en") and commit."""
    if language not in LANGUAGES:
        raise AccountError(f"unknown language “{language}” (choose zh or en)",
                           code="bad_language")
    user.locale = language
    session.add(user)
    session.commit()


def set_timezone(session: Session, user: User, name: str) -> None:
    """Remember the account's IANA time zone ("" means the configured default) and commit."""
    name = name.strip()
    if name and name not in known_timezones():
        raise AccountError(f"“{name}” is not a time zone name such as Asia/Shanghai",
                           code="bad_timezone")
    user.timezone = name or None
    session.add(user)
    session.commit()


# --- Signing in and passwords -----------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the account, and the known-device cookie for this browser (the
    one it sent, or a new one)."""

    user: User
    device: str


def authenticate(session: Session, name: str, password: str, *, address: str,
                 device: str | None = None, now: datetime | None = None) -> SignedIn:
    """Check a sign-in and commit what it changes (logger.signin_throttle says how failures
    are counted and when sign-ins are refused).

    `device` is the browser's known-device cookie: when it names a device of this account, the
    name's and the address's delays do not apply and a failure counts against the device alone.
    Raises LoginThrottled while a scope refuses (the password is not even checked), and on the
    failure that starts a delay; else AccountError(code="bad_login"). An unknown name is
    refused exactly like a wrong password: same hashing time, same answer, same counting."""
    now = now or utcnow()
    name = normalize_name(name)
    user = session.exec(select(User).where(User.name == name)).first()
    known = throttle.find_device(session, device, now=now)
    if known is not None and (user is None or known.user_id != user.id):
        known = None
    scopes = ([throttle.device_scope(known)] if known is not None
              else [throttle.name_scope(name), throttle.address_scope(address)])
    _refuse_while_locked(session, scopes, now)
    if user is None:
        _verify_decoy(password)
    elif check_password(user, password):
        throttle.clear(session, scopes[:1])  # the name's or the device's; never the address's
        if user.disabled_at is not None:  # told only to whoever knows the password
            raise AccountError(f"the account {user.name} is disabled; ask the owner of this "
                               "Liuhen to enable it", code="disabled")
        if known is not None:
            throttle.touch_device(session, known, now=now)
            return SignedIn(user, device)
        return SignedIn(user, throttle.remember_device(session, user, now=now))
    throttle.record_failure(session, scopes, now=now)
    _refuse_while_locked(session, scopes, now)
    raise AccountError("wrong name or password", code="bad_login")


def set_password(session: Session, user: User, password: str) -> int:
    """Give the account a new password (`liuhen user password`, or change_password after its
    check) and end all its sessions, in every process; commit. Returns how many ended.
    Raises AccountError(code="short_password")."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters",
                           code="short_password")
    user.password_hash = hash_password(password)
    session.add(user)
    return browser_sessions.end_sessions(session, user.id)  # one commit for both


def change_password(session: Session, user: User, current: str, new: str, *,
                    now: datetime | None = None) -> int:
    """The account's own change: the current password first (wrong ones are slowed down like
    sign-ins, per account), then set_password, which ends every session of the account (the
    web app gives the browser that asked a new one). Returns how many sessions ended.

    Raises AccountError(code="wrong_password"), LoginThrottled, or set_password's errors."""
    now = now or utcnow()
    scopes = [throttle.password_scope(user)]
    _refuse_while_locked(session, scopes, now)
    if not check_password(user, current):
        throttle.record_failure(session, scopes, now=now)
        _refuse_while_locked(session, scopes, now)
        raise AccountError("the current password is wrong", code="wrong_password")
    user.must_change_password = False
    ended = set_password(session, user, new)
    throttle.clear(session, scopes)
    return ended


def _refuse_while_locked(session: Session, scopes: list[str], now: datetime) -> None:
    until = throttle.locked_until(session, scopes, now=now)
    if until is not None:
        raise LoginThrottled(until)


def _verify_decoy(password: str) -> None:
    try:
        _hasher().verify(_decoy_hash(), password)
    except VerificationError:
        pass
