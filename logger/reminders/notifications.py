"""The in-app notification list (the reminders delivered to an account in the app, newest
first, unread until the person reads them), and the account's email address for reminders."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, func, select

from logger.errors import LiuhenError
from storage.models import Negotiation, User
from storage.models.promises import (Notification, Promise, Reminder,
                                     ReminderPreference)
from storage.models.types import utcnow

DEFAULT_LIMIT = 100
MAX_EMAIL_CHARS = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidEmail(LiuhenError):
    """The address typed for reminders is not an email address; nothing was changed."""


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    reminder: Reminder
    promise: Promise
    negotiation: Negotiation


def list_notifications(session: Session, user: User, *, limit: int = DEFAULT_LIMIT
                       ) -> list[NotificationView]:
    """The account's notifications, newest first."""
    rows = session.exec(
        select(Notification, Reminder, Promise, Negotiation)
        .join(Reminder, Notification.reminder_id == Reminder.id)
        .join(Promise, Reminder.promise_id == Promise.id)
        .join(Negotiation, Promise.negotiation_id == Negotiation.id)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    return [NotificationView(*row) for row in rows]


def unread_count(session: Session, user: User) -> int:
    return session.exec(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).one()


def mark_read(session: Session, user: User, notification_id: int | None = None) -> int:
    """Mark one of the account's notifications (or all of them) read, and commit. Returns how
    many changed; another account's notification is never touched."""
    condition = sa.and_(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        condition = sa.and_(condition, Notification.id == notification_id)
    changed = session.execute(sa.update(Notification).where(condition)
                              .values(read_at=utcnow())
                              .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return changed


def reminder_email(session: Session, user: User) -> str | None:
    """Where the account's reminders are emailed, or None."""
    preference = session.get(ReminderPreference, user.id)
    return preference.email if preference else None


def set_reminder_email(session: Session, user: User, email: str) -> str | None:
    """Set (or with "" clear) the account's address for reminders, and commit. Raises
    InvalidEmail for anything that is not an address."""
    email = email.strip()
    if email and (len(email) > MAX_EMAIL_CHARS or not _EMAIL.match(email)):
        raise InvalidEmail(f"{email!r} is not an email address such as wo@example.com")
    preference = session.get(ReminderPreference, user.id) or ReminderPreference(user_id=user.id)
    preference.email = email or None
    session.add(preference)
    session.commit()
    return preference.email
