"""Sign-in, sign-out, the first-run page (creates the vault and the owner account) and the
unlock page (opens an existing vault)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from logger import accounts
from logger.accounts import AccountError
from storage.models import User
from storage.vault import VaultError
from web.access import db
from web.state import app_state

bp = Blueprint("auth", __name__)


def signed_in_user() -> User | None:
    """The account of this browser session, if it signed in and has not been idle too long."""
    user_id = session.get("user_id")
    if user_id is None:
        return None
    return db().get(User, user_id)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("negotiations.overview")


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    state = app_state()
    if state.services is not None and accounts.any_user(db()):
        return redirect(url_for("auth.login"))
    if request.method == "POST":
        name = request.form.get("name", "")
        password = request.form.get("password", "")
        try:
            if state.services is None:
                passphrase = request.form.get("passphrase", "")
                if len(passphrase) < 12:
                    raise AccountError(_("The vault passphrase needs at least 12 characters."))
                if passphrase != request.form.get("passphrase_again"):
                    raise AccountError(_("The two passphrases differ."))
                state.create(passphrase)
            user = accounts.add_user(db(), name, password)
        except (AccountError, VaultError) as e:
            flash(str(e), "error")
        else:
            session.clear()
            session["user_id"] = user.id
            session.permanent = True
            return redirect(url_for("negotiations.overview"))
    return render_template("auth/setup.html", needs_vault=state.services is None)


@bp.route("/unlock", methods=["GET", "POST"])
def unlock():
    state = app_state()
    if state.services is not None:
        return redirect(url_for("auth.login"))
    if not state.vault_exists:
        return redirect(url_for("auth.setup"))
    if request.method == "POST":
        try:
            state.unlock(request.form.get("passphrase", ""))
        except VaultError as e:
            flash(str(e), "error")
        else:
            return redirect(url_for("auth.login"))
    return render_template("auth/unlock.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not accounts.any_user(db()):
        return redirect(url_for("auth.setup"))
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            user = accounts.find_user(db(), name)
        except Exception:
            user = None
        if user is not None and accounts.check_password(user, request.form.get("password", "")):
            session.clear()
            session["user_id"] = user.id
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong name or password."), "error")
    return render_template("auth/login.html")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
