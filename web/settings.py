"""Settings: language (also before sign-in), time zone, members, API tokens."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request

from web.access import db
from web.i18n import LANGUAGE_COOKIE, LANGUAGES

bp = Blueprint("settings", __name__, url_prefix="/settings")

ONE_YEAR_S = 365 * 24 * 3600


@bp.post("/language")
def language():
    """Switch the language: remembered on the account when signed in, and in a cookie."""
    chosen = request.form.get("lang")
    back = request.form.get("next") or "/"
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    response = redirect(back)
    if chosen in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=ONE_YEAR_S, samesite="Lax",
                            httponly=True, secure=request.is_secure)
        user = g.get("user")
        if user is not None:
            user.locale = chosen
            db().add(user)
            db().commit()
    return response
