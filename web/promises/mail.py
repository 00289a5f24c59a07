"""The email server for reminders on the settings page (Reminders): server, port, STARTTLS,
login, password and sender, saved in the database over the configuration's `[reminders]`
(logger.reminders.mail_settings), and a test message to see that they work. Only the owner or
an admin sets them: they are the deployment's, not one account's. The password is never shown
back; the page says only whether one is saved."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from logger.errors import LiuhenError
from logger.reminders.delivery import EmailSender, Outgoing
from logger.reminders.mail_settings import (SUBKEY, MailSettingsInvalid, effective_reminders,
                                            mail_server, save_mail_server)
from logger.reminders.notifications import reminder_email
from logger.reminders.text import ReminderText
from storage.models import Role
from web.access import current_user, db
from web.i18n import refusal_text
from web.promises import bp
from web.state import app_state

SECTION = "reminders"


def may_set_mail_server() -> bool:
    return current_user().role in (Role.owner, Role.admin)


def shown_mail_server():
    """The values in use, for the form (never the password)."""
    return mail_server(db(), app_state().config.reminders)


@bp.record_once
def template_globals(state) -> None:
    state.app.jinja_env.globals.update(may_set_mail_server=may_set_mail_server,
                                       shown_mail_server=shown_mail_server)


@bp.post("/settings/mail")
def save_mail():
    if not may_set_mail_server():
        abort(403)
    form = request.form
    try:
        save_mail_server(db(), _key(), host=form.get("smtp_host", ""),
                         port=form.get("smtp_port", ""), starttls="smtp_starttls" in form,
                         user=form.get("smtp_user", ""), sender=form.get("smtp_from", ""),
                         password=form.get("smtp_password") or None,
                         forget_password="forget_password" in form)
    except MailSettingsInvalid as e:
        flash(refusal_text(e), "error")
    else:
        flash(_("The email server was saved. Send a test message to check it."), "success")
    return redirect(url_for("settings.show", _anchor=SECTION))


@bp.post("/settings/mail/test")
def test_mail():
    """A test message to the account's reminder address, through the saved server."""
    services = app_state().services
    reminders, password = effective_reminders(db(), services.config.reminders, _key())
    to = reminder_email(db(), current_user())
    if not reminders.smtp_host or not to:
        flash(_("Set the email server and the address reminders go to first."), "error")
        return redirect(url_for("settings.show", _anchor=SECTION))
    text = ReminderText(_("Liuhen: a test message"),
                        _("This test message shows that Liuhen can send you reminders by "
                          "email."), {})
    try:
        EmailSender(reminders, password).send(Outgoing(uuid.uuid4().int % 10**12, text, to))
    except LiuhenError as e:
        flash(_("The test message was not sent: %(reason)s", reason=refusal_text(e)), "error")
    else:
        flash(_("A test message was sent to %(email)s.", email=to), "success")
    return redirect(url_for("settings.show", _anchor=SECTION))


def _key() -> bytes:
    return app_state().services.vault.subkey(SUBKEY)
