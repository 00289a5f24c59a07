"""Accounts: users, roles, password hashes (Argon2id via argon2-cffi), sign-in throttling and
each account's language and time zone.

Errors carry a `code` besides their English message, so the web app can say the same thing in
the reader's language (logger knows nothing of Flask-Babel).
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlmodel import Session, select

from logger.errors import LiuhenError, NotFound
from storage.models import Role, User
from storage.models.types import utcnow

MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 64
LANGUAGES = ("zh", "en")
# Sign-in throttling: after THROTTLE_AFTER failures in a row, no sign-in is accepted for
# 1, 2, 4 ... minutes (doubling with each further failure), at most MAX_LOCK_MINUTES.
THROTTLE_AFTER = 5
MAX_LOCK_MINUTES = 60
# An address's failures are forgotten this long after its last one (unless it is still locked).
FORGET_ADDRESS_AFTER = timedelta(hours=1)


class AccountError(LiuhenError):
    """A user could not be added, changed or signed in; the message says why, `code` says it
    to programs ("bad_name", "short_password", "name_taken", "exists", "not_allowed",
    "bad_language", "bad_timezone", "bad_login", "throttled")."""

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


# --- Signing in --------------------------------------------------------------------------------


def lock_minutes(failures: int) -> int:
    """How long sign-in stays closed after this many failures in a row: none below
    THROTTLE_AFTER, then 1, 2, 4 ... minutes, at most MAX_LOCK_MINUTES."""
    if failures < THROTTLE_AFTER:
        return 0
    return min(2 ** min(failures - THROTTLE_AFTER, 16), MAX_LOCK_MINUTES)


@dataclass
class _AddressRecord:
    failures: int
    last_failure: datetime
    locked_until: datetime | None


class AddressThrottle:
    """Failed sign-ins per client address, kept in this process's memory.

    Every failure counts here, for known and unknown names alike, and a success does not clear
    it: otherwise an address could tell an existing name (whose account locks) from an unknown
    one (which would not), or reset its count by signing in to an account of its own.
    """

    def __init__(self, *, max_addresses: int = 10_000):
        self._records: dict[str, _AddressRecord] = {}
        self._lock = threading.Lock()
        self._max = max_addresses

    def locked_until(self, address: str, now: datetime) -> datetime | None:
        with self._lock:
            record = self._current(address, now)
            if record is None or record.locked_until is None or record.locked_until <= now:
                return None
            return record.locked_until

    def record_failure(self, address: str, now: datetime) -> None:
        with self._lock:
            record = self._current(address, now) or _AddressRecord(0, now, None)
            record.failures += 1
            record.last_failure = now
            minutes = lock_minutes(record.failures)
            record.locked_until = now + timedelta(minutes=minutes) if minutes else None
            self._records[address] = record
            if len(self._records) > self._max:
                self._forget_stale(now)

    def _current(self, address: str, now: datetime) -> _AddressRecord | None:
        record = self._records.get(address)
        if record is not None and self._stale(record, now):
            del self._records[address]
            return None
        return record

    @staticmethod
    def _stale(record: _AddressRecord, now: datetime) -> bool:
        locked = record.locked_until is not None and record.locked_until > now
        return not locked and now - record.last_failure > FORGET_ADDRESS_AFTER

    def _forget_stale(self, now: datetime) -> None:
        for address in [a for a, r in self._records.items() if self._stale(r, now)]:
            del self._records[address]


def authenticate(session: Session, name: str, password: str, *, address: str,
                 throttle: AddressThrottle, now: datetime | None = None) -> User:
    """Check a sign-in and commit what it changes. Returns the account (its failure count
    cleared).

    Raises LoginThrottled while the account or the address is locked (the password is not even
    checked), and on the failure that locks it; else AccountError(code="bad_login"). An unknown
    name is refused exactly like a wrong password: same hashing time, same answer, and it
    counts against the address the same way."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.name == normalize_name(name))).first()
    until = _later(throttle.locked_until(address, now), _account_lock(user, now))
    if until is not None:
        raise LoginThrottled(until)
    if user is None:
        _verify_decoy(password)
    elif check_password(user, password):
        user.failed_logins, user.locked_until = 0, None
        session.add(user)
        session.commit()
        return user
    throttle.record_failure(address, now)
    if user is not None:
        _count_failure(session, user, now)
    until = _later(throttle.locked_until(address, now), _account_lock(user, now))
    if until is not None:
        raise LoginThrottled(until)
    raise AccountError("wrong name or password", code="bad_login")


def _verify_decoy(password: str) -> None:
    try:
        _hasher().verify(_decoy_hash(), password)
    except VerificationError:
        pass


def _count_failure(session: Session, user: User, now: datetime) -> None:
    # One atomic increment: parallel guesses must not overwrite each other's count.
    session.exec(update(User).where(User.id == user.id)
                    .values(failed_logins=User.failed_logins + 1))
    session.refresh(user)
    minutes = lock_minutes(user.failed_logins)
    user.locked_until = now + timedelta(minutes=minutes) if minutes else None
    session.add(user)
    session.commit()


def _account_lock(user: User | None, now: datetime) -> datetime | None:
    if user is None or user.locked_until is None or user.locked_until <= now:
        return None
    return user.locked_until


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)
