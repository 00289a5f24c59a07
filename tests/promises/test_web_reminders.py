"""Notifications with their unread count and the private calendar feed with its settings
(web/promises/notifications.py, the calendar section of the settings page); another account
neither reads my notifications nor sees my promises in its feed."""

from __future__ import annotations

import re

import icalendar
from sqlmodel import select

from logger.reminders.calendar_feed import create_feed
from logger.reminders.notifications import unread_count
from logger.reminders.scheduler import ReminderScheduler
from tests.support.common import make_negotiation_in
from tests.support.promise_pages import browser, english, host_app, post  # noqa: F401
from tests.support.promises import local, my_payment
from tests.support.web import page_text, sign_in


# --- Notifications ------------------------------------------------------------------------------


def test_notifications_list_with_unread_count_and_mark_read(services, client, session,
                                                            negotiation, owner):
    my_payment(session, negotiation, owner, "1000", "2024-12-13 23:59")
    scheduler = ReminderScheduler(services)
    for moment in ("2024-12-10 09:00", "2024-12-14 00:00"):
        scheduler.run(local(moment))
    page = client.get("/notifications")
    text = page_text(page)
    assert "Reminder: pay CN¥1,000.00 to 信用飞" in text and "Missed:" in text
    assert unread_count(session, owner) == 2
    assert post(client, "/notifications/read").status_code == 302
    assert unread_count(session, owner) == 0
    assert 'data-testid="mark-all-read"' not in client.get("/notifications").text


def test_another_account_cannot_read_or_mark_my_notifications(services, client, other_client,
                                                              session, negotiation, owner):
    my_payment(session, negotiation, owner, "1000", "2024-12-13 23:59")
    ReminderScheduler(services).run(local("2024-12-10 09:00"))
    assert "信用飞" not in other_client.get("/notifications").text
    from storage.models.promises import Notification
    [mine] = session.exec(select(Notification)).all()
    post(other_client, "/notifications/read", {"notification_id": mine.id})
    assert unread_count(session, owner) == 1


# --- The calendar feed --------------------------------------------------------------------------


def test_the_settings_section_makes_an_address_that_works_without_signing_in(
        app, browser, session, negotiation, owner):
    my_payment(session, negotiation, owner, "1000", "2030-12-13 23:59")
    section = browser.get("/stand-in/settings")
    assert 'data-testid="create-calendar"' in section.text
    created = post(browser, "/settings/calendar")
    assert created.status_code == 201
    assert 'data-testid="calendar-url"' in created.text
    url = re.search(r'value="(http[^"]+\.ics)"', created.text).group(1)
    path = url.split("localhost", 1)[1]
    stranger = app.test_client()                                   # not signed in
    feed = stranger.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    [event] = icalendar.Calendar.from_ical(feed.data).walk("VEVENT")
    assert "¥1,000.00" in str(event["SUMMARY"])
    assert 'data-testid="calendar-active"' in browser.get("/stand-in/settings").text
    assert post(browser, "/settings/calendar/revoke").status_code == 302
    assert stranger.get(path).status_code == 404
    assert stranger.get("/calendar/not-a-secret-at-all.ics").status_code == 404


def test_a_feed_shows_only_its_own_accounts_promises(app, session, negotiation, owner,
                                                     other_user):
    my_payment(session, negotiation, owner, "1000", "2030-12-13 23:59")
    theirs = make_negotiation_in(session, other_user, creditor="借呗")
    my_payment(session, theirs, other_user, "77", "2030-12-14 23:59")
    _, secret = create_feed(session, other_user)
    feed = app.test_client().get(f"/calendar/{secret}.ics")
    summaries = [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.data)
                 .walk("VEVENT")]
    assert len(summaries) == 1 and "借呗" in summaries[0]


def test_the_reminder_email_is_saved_when_email_is_configured(services, owner, session):
    import dataclasses

    from logger.config import RemindersConfig
    from logger.reminders.notifications import reminder_email
    services.config = dataclasses.replace(services.config, reminders=RemindersConfig(
        smtp_host="127.0.0.1", smtp_from="liuhen@example.com"))
    browser = sign_in(host_app(services).test_client(), "owner", "owner-password")
    assert 'data-testid="reminder-email"' in browser.get("/stand-in/settings").text
    post(browser, "/settings/reminder-email", {"email": "not an address"})
    assert reminder_email(session, owner) is None
    post(browser, "/settings/reminder-email", {"email": "wo@example.com"})
    assert reminder_email(session, owner) == "wo@example.com"
