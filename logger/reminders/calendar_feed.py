"""The private calendar feed: one secret address per account that a phone calendar subscribes
to (ICS), listing the account's promises on their due days, with alarms at the reminder times
for the debtor's pending ones.

The address is the only credential (calendar apps cannot sign in), so it is 192 random bits,
only its SHA-256 is stored (like API tokens: shown once), and replacing or revoking it makes the
old address answer 404 at once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlmodel import Session, select

from logger.reminders.reminders import ReminderSettings, send_time
from logger.reminders.text import calendar_name, details, due_words, made_by, status_word
from logger.reminders.text import what as promise_words
from logger.secrets import digest, find_by_secret
from storage.models import Negotiation, User
from storage.models.promises import CalendarFeed, Promise, PromiseKind, PromiseParty, PromiseStatus
from storage.models.types import utcnow

PREFIX_CHARS = 6
SHOWN = (PromiseStatus.pending, PromiseStatus.kept, PromiseStatus.missed)
# fetched-at is refreshed at most this often (calendar apps poll).
FETCH_RESOLUTION = timedelta(minutes=5)


def create_feed(session: Session, user: User) -> tuple[CalendarFeed, str]:
    """A new feed address for `user` (revoking the one before, if any), committed. Returns the
    row and the secret, which is shown once and never stored."""
    _revoke_active(session, user)
    secret = secrets.token_urlsafe(24)
    feed = CalendarFeed(user_id=user.id, secret_hash=digest(secret),
                        prefix=secret[:PREFIX_CHARS])
    session.add(feed)
    session.commit()
    return feed, secret


def revoke_feed(session: Session, user: User) -> bool:
    """Turn the account's feed address off, and commit. False if it had none."""
    revoked = _revoke_active(session, user)
    session.commit()
    return revoked


def active_feed(session: Session, user: User) -> CalendarFeed | None:
    return session.exec(select(CalendarFeed).where(
        CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))).first()


def user_for_secret(session: Session, secret: str) -> User | None:
    """The account whose live feed has this secret, or None (unknown, revoked, malformed).
    Records when the feed was last fetched."""
    if len(secret) <= PREFIX_CHARS or len(secret) > 64:
        return None
    feed = find_by_secret(session, CalendarFeed, secret, prefix_chars=PREFIX_CHARS,
                          hash_field="secret_hash", used_field="last_fetched_at",
                          resolution=FETCH_RESOLUTION)
    return session.get(User, feed.user_id) if feed else None


def render_calendar(session: Session, user: User, settings: ReminderSettings) -> bytes:
    """The account's promises as an iCalendar document: one all-day event per promise with a
    due time (on its local due day), alarms at the reminder times for the debtor's pending
    ones. Cancelled and superseded promises are left out."""
    language = user.locale
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Liuhen//Promises//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", calendar_name(language))
    rows = session.exec(select(Promise, Negotiation).join(Negotiation).where(
        Negotiation.owner_id == user.id, Promise.status.in_(SHOWN),
        Promise.due_at.is_not(None), Promise.kind != PromiseKind.instalment_plan)
        .order_by(Promise.due_at, Promise.id)).all()
    for promise, negotiation in rows:
        calendar.add_component(_event(promise, negotiation, settings, language))
    return calendar.to_ical()


def _event(promise: Promise, negotiation: Negotiation, settings: ReminderSettings,
           language: str | None) -> icalendar.Event:
    event = icalendar.Event()
    status = "" if promise.status == PromiseStatus.pending else \
        f"[{status_word(promise, language)}] "
    summary = f"{status}{promise_words(promise, language)} · {negotiation.creditor}"
    event.add("uid", f"promise-{promise.id}@liuhen")
    event.add("dtstamp", promise.updated_at)
    event.add("last-modified", promise.updated_at)
    event.add("dtstart", promise.due_at.astimezone(ZoneInfo(promise.timezone)).date())
    event.add("summary", summary)
    lines = [f"{made_by(promise, language)}: {summary}",
             due_words(promise, language), *details(promise, language)]
    event.add("description", "\n".join(lines))
    event.add("transp", "TRANSPARENT")
    if promise.party == PromiseParty.me and promise.status == PromiseStatus.pending:
        for moment in _alarm_times(promise, settings):
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", moment.astimezone(UTC))   # RFC 5545: absolute is UTC
            event.add_component(alarm)
    return event


def _alarm_times(promise: Promise, settings: ReminderSettings) -> list[datetime]:
    times = (send_time(promise, offset, settings.hour) for offset in settings.offsets)
    return sorted(t for t in times if t is not None)


def _revoke_active(session: Session, user: User) -> bool:
    feeds = session.exec(select(CalendarFeed).where(
        CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))).all()
    for feed in feeds:
        feed.revoked_at = utcnow()
        session.add(feed)
    return bool(feeds)
