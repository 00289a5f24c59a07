"""Sign-in, sign-out, the first-run page (creates the vault and the owner account) and the
unlock page (opens an existing vault). Also who is signed in: the server-side session the
cookie names (web.sessions), ended after `server.idle_timeout_minutes` without a request or
`logger.browser_sessions.MAX_AGE` after signing in, with a message for the sign-in page."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_time, gettext as _, lazy_gettext, ngettext

from logger import accounts, signin_throttle
from logger.accounts import AccountError, LoginThrottled
from logger.browser_sessions import MAX_AGE
from storage.db import DatabaseKeyError
from storage.models import User
from storage.vault import VaultCorrupt, VaultError, VaultExists, WrongPassphrase
from web import sessions
from web.access import db
from web.redirects import local_path
from web.sessions import remember_language
from web.state import app_state

bp = Blueprint("auth", __name__)

MIN_PASSPHRASE_CHARS = 12

ACCOUNT_MESSAGES = {
    "bad_name": lazy_gettext("A name needs 1 to %(limit)d printable characters.",
                             limit=accounts.MAX_NAME_CHARS),
    "short_password": lazy_gettext("The password needs at least %(limit)d characters.",
                                   limit=accounts.MIN_PASSWORD_CHARS),
    "name_taken": lazy_gettext("That name is taken: choose another one."),
    "exists": lazy_gettext("An account exists already: sign in with it."),
    "not_allowed": lazy_gettext("Only the owner or an admin can add accounts, and only the "
                                "owner can make an admin."),
    "bad_timezone": lazy_gettext("That is not a time zone name. Choose one from the list, for "
                                 "example Asia/Shanghai."),
    "bad_login": lazy_gettext("Wrong name or password."),
    "wrong_password": lazy_gettext("The current password is wrong."),
    "disabled": lazy_gettext("This account is disabled. Ask the owner of this Liuhen to enable "
                             "it under Settings → Members."),
    "removed": lazy_gettext("This account was removed. Add it again instead."),
}


def account_message(error: AccountError) -> str:
    """The error in the reader's language."""
    if isinstance(error, LoginThrottled):
        return throttled_message(error.until)
    return str(ACCOUNT_MESSAGES.get(error.code, error))


def throttled_message(until: datetime) -> str:
    seconds = max(1, math.ceil((until - sessions.now()).total_seconds()))
    if seconds < 60:
        return ngettext("Too many failed sign-ins. Try again in %(num)d second.",
                        "Too many failed sign-ins. Try again in %(num)d seconds.", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("Too many failed sign-ins. Try again after %(time)s (in %(num)d minute).",
                    "Too many failed sign-ins. Try again after %(time)s (in %(num)d minutes).",
                    minutes, time=format_time(until, "short"))


def signed_in_user() -> User | None:
    """The account of this browser's session, if it is live. A session that ended by itself
    (idle, or too old) says so on the sign-in page."""
    idle_minutes = app_state().config.server.idle_timeout_minutes
    resumed = sessions.resume(timedelta(minutes=idle_minutes))
    if resumed.ended == "idle":
        flash(ngettext("You were signed out after %(num)d minute without activity. Sign in "
                       "again to go on.",
                       "You were signed out after %(num)d minutes without activity. Sign in "
                       "again to go on.", idle_minutes), "info")
    elif resumed.ended == "expired":
        hours = round(MAX_AGE / timedelta(hours=1))
        flash(ngettext("You were signed out %(num)d hour after signing in. Sign in again to "
                       "go on.",
                       "You were signed out %(num)d hours after signing in. Sign in again to "
                       "go on.", hours), "info")
    return resumed.user


def _start_session(user: User) -> None:
    """A new server-side session for this browser (never one a visitor held before signing
    in: no fixation)."""
    sessions.begin(user)
    g.user = user


def safe_next(target: str | None) -> str:
    """Only a path on this site, however a browser reads it (`web.redirects.local_path`); else
    the overview: no open redirect."""
    return local_path(target) or url_for("negotiations.overview")


def page_asked_for() -> str | None:
    """The page this request asked for, to go on to once the vault is unlocked and the person
    signed in: a page fetched by GET other than the overview (the default anyway) and the
    pages before sign-in; else None."""
    if request.method != "GET" or request.path == "/" or request.endpoint in (
            "auth.login", "auth.setup", "auth.unlock"):
        return None
    return local_path(request.full_path.rstrip("?"))


def _after_sign_in(user: User):
    response = redirect(safe_next(request.args.get("next")))
    if user.locale:
        remember_language(response, user.locale)
    return response


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    state = app_state()
    if state.services is None and state.vault_exists:
        return redirect(url_for("auth.unlock"))
    if state.services is not None and accounts.any_user(db()):
        return redirect(url_for("auth.login"))
    errors: list[str] = []
    if request.method == "POST":
        errors = _setup_problems(needs_vault=state.services is None)
    if request.method == "POST" and not errors:
        try:
            user = _create_first_account(needs_vault=state.services is None)
        except AccountError as e:
            errors = [account_message(e)]
        except _SetupRefused as e:
            errors = [str(e)]
        else:
            _start_session(user)
            flash(_("Welcome, %(name)s. Start by adding the debt you are negotiating.",
                    name=user.name), "success")
            response = redirect(url_for("negotiations.create"))
            # The browser that created the account is the owner's first known device.
            sessions.remember_device(response, signin_throttle.remember_device(
                db(), user, now=sessions.now()))
            return response
    return render_template("auth/setup.html", needs_vault=state.services is None, errors=errors,
                           min_passphrase=MIN_PASSPHRASE_CHARS,
                           min_password=accounts.MIN_PASSWORD_CHARS), 400 if errors else 200


class _SetupRefused(Exception):
    """The first-run form cannot be used as sent; the message is already translated."""


def _setup_problems(*, needs_vault: bool) -> list[str]:
    """Everything wrong with the first-run form, all at once, so one correction is enough;
    [] when it can be used. The page keeps the name; passwords are typed again."""
    form = request.form
    password, problems = form.get("password", ""), []
    try:
        accounts.check_new_account(form.get("name", ""), password)
    except AccountError as e:
        problems.append(account_message(e))
    short = str(ACCOUNT_MESSAGES["short_password"])
    if len(password) < accounts.MIN_PASSWORD_CHARS and short not in problems:
        problems.append(short)  # the account check stops at a bad name
    if password != form.get("password_again"):
        problems.append(_("The two passwords differ."))
    if needs_vault:
        passphrase = form.get("passphrase", "")
        if len(passphrase) < MIN_PASSPHRASE_CHARS:
            problems.append(_("The vault passphrase needs at least %(limit)d characters.",
                              limit=MIN_PASSPHRASE_CHARS))
        if passphrase != form.get("passphrase_again"):
            problems.append(_("The two passphrases differ."))
    return problems


def _create_first_account(*, needs_vault: bool) -> User:
    """The vault (when there is none yet) and the owner's account, from a form
    `_setup_problems` found usable."""
    name, password = request.form.get("name", ""), request.form.get("password", "")
    if needs_vault:
        passphrase = request.form.get("passphrase", "")
        try:
            app_state().create(passphrase)
        except VaultExists:
            raise _SetupRefused(_("Someone has just created the vault: unlock it with its "
                                  "passphrase.")) from None
    return accounts.add_owner(db(), name, password)


@bp.route("/unlock", methods=["GET", "POST"])
def unlock():
    state = app_state()
    if state.services is not None:
        return redirect(url_for("auth.login"))
    if not state.vault_exists:
        return redirect(url_for("auth.setup"))
    error = None
    if request.method == "POST":
        try:
            state.unlock(request.form.get("passphrase", ""))
        except (VaultError, DatabaseKeyError) as e:
            error = _unlock_message(e)
        else:
            # On to the page that was asked for: the sign-in page goes there at once when this
            # browser's session is still live, else after signing in.
            return redirect(url_for("auth.login", next=local_path(request.args.get("next"))))
    return render_template("auth/unlock.html", error=error), 200 if error is None else 400


def _unlock_message(error: Exception) -> str:
    if isinstance(error, WrongPassphrase):
        return _("That passphrase does not open the vault. Check the spelling and try again.")
    if isinstance(error, VaultCorrupt):
        return _("The vault file is damaged, so no passphrase can open it. Restore %(path)s "
                 "from a backup.", path=error.path)
    return _("The data could not be opened: %(reason)s", reason=str(error))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not accounts.any_user(db()):
        return redirect(url_for("auth.setup"))
    if g.get("user") is not None:
        return redirect(safe_next(request.args.get("next")))
    error, status = None, 200
    if request.method == "POST":
        try:
            signed_in = accounts.authenticate(
                db(), request.form.get("name", ""), request.form.get("password", ""),
                address=request.remote_addr or "unknown", device=sessions.device_token(),
                now=sessions.now())
        except AccountError as e:
            error = account_message(e)
            status = 429 if isinstance(e, LoginThrottled) else 401
        else:
            _start_session(signed_in.user)
            response = _after_sign_in(signed_in.user)
            sessions.remember_device(response, signed_in.device)
            return response
    return render_template("auth/login.html", error=error,
                           name=request.form.get("name", "")), status


@bp.post("/logout")
def logout():
    sessions.end()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
