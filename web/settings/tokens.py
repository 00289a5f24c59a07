"""The API tokens section of Settings: list, create (the token is shown once, on the page that
answers the form, and never again), revoke. Routes on the settings blueprint; the section's
template (settings/_tokens.html) is included by the settings page and reads the list itself
through `api_tokens()`, so the settings view need not know about tokens."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from logger.errors import NotFound
from logger.tokens import MAX_NAME_CHARS, TokenError, create_token, list_tokens, revoke_token
from storage.models import ApiToken
from web.access import current_user, db
from web.settings import bp

SECTION = "api-tokens"


@bp.context_processor
def token_helpers() -> dict:
    def api_tokens() -> list[ApiToken]:
        return list_tokens(db(), current_user())
    return {"api_tokens": api_tokens, "api_token_name_chars": MAX_NAME_CHARS}


@bp.post("/tokens")
def create_api_token():
    try:
        token, plaintext = create_token(db(), current_user(), request.form.get("name", ""))
    except TokenError:
        flash(_("A token needs a name of 1–%(max)d characters, for example “phone”.",
                max=MAX_NAME_CHARS), "error")
        return redirect(url_for("settings.show", _anchor=SECTION))
    return render_template("settings/token_created.html", token=token, plaintext=plaintext), 201


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_api_token(token_id: int):
    try:
        token = revoke_token(db(), token_id, owner=current_user())
    except NotFound:
        abort(404)
    flash(_("The token “%(name)s” was revoked: requests that use it are refused from now on.",
            name=token.name), "success")
    return redirect(url_for("settings.show", _anchor=SECTION))
