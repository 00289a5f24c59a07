"""Changing the signed-in account's password: the current one, then the new one twice. It ends
every session of the account, in every process (logger.accounts.change_password); this browser
goes on with a new session id."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from logger import accounts
from logger.accounts import AccountError, LoginThrottled
from web import sessions
from web.access import current_user, db
from web.auth import account_message
from web.settings import bp


@bp.route("/password", methods=["GET", "POST"])
def password():
    error, status = None, 200
    if request.method == "POST":
        user, new = current_user(), request.form.get("new_password", "")
        if new != request.form.get("new_password_again"):
            error, status = _("The two passwords differ."), 400
        else:
            try:
                accounts.change_password(db(), user, request.form.get("password", ""), new,
                                         now=sessions.now())
            except AccountError as e:
                error = account_message(e)
                status = 429 if isinstance(e, LoginThrottled) else 400
            else:
                sessions.begin(user)  # all the account's sessions ended, this one included
                flash(_("Your password was changed. Any other browser signed in to your "
                        "account was signed out."), "success")
                return redirect(url_for("settings.show"))
    return render_template("settings/password.html", error=error,
                           min_password=accounts.MIN_PASSWORD_CHARS), status
