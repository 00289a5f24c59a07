"""Settings: language (also before sign-in), time zone, members (owner and admins only) and the
API tokens section (its routes live in web.settings.tokens, on this blueprint)."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime, get_timezone, gettext as _, refresh

from logger import accounts
from logger.accounts import AccountError
from storage.models import Role
from web.access import current_user, db
from web.auth import account_message, safe_next
from web.i18n import LANGUAGES
from web.sessions import remember_language

from web.settings import bp


@bp.get("")
def show():
    return _render_settings()


def _render_settings(errors: dict[str, str] | None = None, status: int = 200):
    user = current_user()
    return render_template(
        "settings/index.html", user=user, languages=LANGUAGES,
        timezones=sorted(accounts.known_timezones()),
        timezone_value=user.timezone or "", zone_in_force=str(get_timezone()),
        now=format_datetime(datetime.now(get_timezone()), "medium"),
        can_manage_members=accounts.can_manage_members(user),
        errors=errors or {}), status


@bp.post("/language")
def language():
    """Switch the language: remembered on the account when signed in, and in a cookie."""
    chosen = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")))
    if chosen in LANGUAGES:
        remember_language(response, chosen)
        if g.get("user") is not None:
            accounts.set_language(db(), g.user, chosen)
    return response


@bp.post("/timezone")
def timezone():
    try:
        accounts.set_timezone(db(), current_user(), request.form.get("timezone", ""))
    except AccountError as e:
        return _render_settings({"timezone": account_message(e)}, 400)
    refresh()  # the message below is shown in the new zone's terms
    flash(_("Times are now shown in %(zone)s.", zone=str(get_timezone())), "success")
    return redirect(url_for("settings.show"))


@bp.route("/members", methods=["GET", "POST"])
def members():
    """The accounts of this Liuhen: only the owner and admins see this page (others: 404)."""
    user = current_user()
    if not accounts.can_manage_members(user):
        abort(404)
    error = None
    if request.method == "POST":
        try:
            added = accounts.add_member(
                db(), by=user, name=request.form.get("name", ""),
                password=request.form.get("password", ""),
                admin=request.form.get("role") == Role.admin)
        except AccountError as e:
            error = account_message(e)
        else:
            flash(_("Account “%(name)s” added. Give them the password in person; they can "
                    "sign in now.", name=added.name), "success")
            return redirect(url_for("settings.members"))
    return render_template("settings/members.html", users=accounts.list_users(db()),
                           can_make_admin=user.role == Role.owner, error=error,
                           form=request.form,
                           min_password=accounts.MIN_PASSWORD_CHARS), 200 if error is None else 400
