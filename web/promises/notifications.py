"""Where reminders reach a person, on the promises blueprint: the notification list (with the
unread count base.html shows), the private calendar feed (`/calendar/<secret>.ics`, read by
calendar apps that cannot sign in: the secret is the credential) and the Reminders section of
the settings page (settings/_calendar.html: the feed address, shown once, replaced or revoked;
the email address for reminders)."""

from __future__ import annotations

import ipaddress

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_currency, gettext as _

from logger.reminders.calendar_feed import active_feed, create_feed, render_calendar, revoke_feed, \
    user_for_secret
from logger.reminders.notifications import (InvalidEmail, list_notifications, mark_read, reminder_email,
                                  set_reminder_email)
from logger.reminders.mail_settings import mail_server
from logger.reminders.reminders import ReminderSettings
from logger.reminders.text import MISSED, RECORDED_LATE, UNMET, late_reason
from storage.models.promises import PromiseKind
from web.access import current_user, db
from web.promises import bp
from web.promises.forms import KIND_LABELS
from web.promises.times import due_when
from web.state import app_state

SECTION = "reminders"
MAX_SECRET_CHARS = 64


def active_calendar_feed():
    """The account's calendar feed (never its secret), for settings/_calendar.html."""
    return active_feed(db(), current_user())


def reminders_email() -> str | None:
    return reminder_email(db(), current_user())


def email_reminders_configured() -> bool:
    """Whether an email server is set, on the settings page or in the configuration."""
    return bool(mail_server(db(), app_state().config.reminders).host)


@bp.record_once
def template_globals(state) -> None:
    state.app.jinja_env.globals.update(
        active_calendar_feed=active_calendar_feed, reminders_email=reminders_email,
        email_reminders_configured=email_reminders_configured,
        notification_headline=notification_headline, late_words=late_words)


@bp.get("/notifications")
def notifications():
    return render_template("promises/notifications.html",
                           items=list_notifications(db(), current_user()))


@bp.post("/notifications/read")
def read_notifications():
    raw = request.form.get("notification_id")
    try:
        notification_id = int(raw) if raw else None
    except ValueError:
        abort(404)
    mark_read(db(), current_user(), notification_id)
    return redirect(url_for("promises.notifications"))


@bp.get("/calendar/<secret>.ics")
def calendar_feed(secret: str):
    """The account's promises as iCalendar, for the secret address alone (no sign-in)."""
    user = user_for_secret(db(), secret) if len(secret) <= MAX_SECRET_CHARS else None
    if user is None:
        abort(404)
    body = render_calendar(db(), user,
                           ReminderSettings.from_config(app_state().config.reminders))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="liuhen.ics"'})


@bp.post("/settings/calendar")
def create_calendar_feed():
    """A new address (the old one stops working), shown once on the page that answers."""
    _feed, secret = create_feed(db(), current_user())
    # The address the browser reached Liuhen by (request.host_url), which is what a phone
    # needs too, unless that is this computer's own loopback name.
    url = url_for("promises.calendar_feed", secret=secret, _external=True)
    return render_template("promises/calendar_created.html", url=url,
                           this_computer_only=is_loopback(request.host)), 201


def is_loopback(host: str) -> bool:
    """Whether a Host header names this computer only (localhost, 127.x, ::1): an address a
    phone cannot reach."""
    if host.startswith("["):  # [::1]:8000
        name = host[1:host.find("]")]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@bp.post("/settings/calendar/revoke")
def revoke_calendar_feed():
    if revoke_feed(db(), current_user()):
        flash(_("The calendar address was turned off: calendars that use it get nothing "
                "more."), "success")
    return redirect(url_for("settings.show", _anchor=SECTION))


@bp.post("/settings/reminder-email")
def save_reminder_email():
    try:
        email = set_reminder_email(db(), current_user(), request.form.get("email", ""))
    except InvalidEmail:
        flash(_("Write an email address such as wo@example.com."), "error")
        return redirect(url_for("settings.show", _anchor=SECTION))
    flash(_("Reminders will be emailed to %(email)s.", email=email) if email else
          _("Reminders will no longer be emailed."), "success")
    return redirect(url_for("settings.show", _anchor=SECTION))


def notification_headline(view) -> str:
    """One line for a notification: what is due or missed, to whom, by when (local)."""
    promise, negotiation = view.promise, view.negotiation
    what = (_("instalment %(number)d", number=promise.instalment) if promise.instalment
            else str(KIND_LABELS.get(promise.kind, promise.kind)))
    amount = _money(promise)
    when = due_when(promise) if promise.due_at else ""   # a date alone when no time was given
    offset = view.reminder.offset
    if offset == MISSED:
        return _("Missed: %(what)s of %(amount)s to %(creditor)s was due %(when)s",
                 what=what, amount=amount, creditor=negotiation.creditor, when=when)
    if offset == UNMET:
        return _("Not kept by %(creditor)s: %(what)s, due %(when)s",
                 what=what, creditor=negotiation.creditor, when=when)
    if promise.kind == PromiseKind.payment:
        return _("Reminder: pay %(amount)s to %(creditor)s by %(when)s",
                 amount=amount, creditor=negotiation.creditor, when=when)
    return _("Reminder: %(what)s (%(creditor)s) is due %(when)s",
             what=what, creditor=negotiation.creditor, when=when)


def late_words(view) -> str:
    """Why a notification came after its time: the promise was recorded late, or the
    reminders were not running (logger.reminders.text.late_reason)."""
    if late_reason(view.promise, view.reminder.send_at) == RECORDED_LATE:
        if view.reminder.offset in (MISSED, UNMET):
            return _("sent late: the promise was recorded after its due date")
        return _("sent late: the promise was recorded after the time of this reminder")
    return _("sent late: reminders were not running at the time")


def _money(promise) -> str:
    return format_currency(promise.amount, promise.currency) if promise.amount is not None \
        else _("an amount not set")
