"""The app factory: one blueprint per noun (auth, negotiations, evidence, timeline, search,
settings, and the JSON API), the gate every request passes, and the security headers.

The gate: until the data dir exists only the first-run page answers; while it is locked only the
unlock page; after that every page needs a signed-in account except the sign-in page itself. The
API blueprint authenticates with bearer tokens instead and answers JSON. The health endpoints
(web.health: /healthz, /readyz) answer anyone at any time, and never touch the session.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from logger.config import Config
from logger.services import Services
from web import (api, auth, bundles, evidence, findings, hardship, health, negotiations, promises,
                 search, settings, sharing, tidy, timeline)
from web.access import close_db
from web.errors import register_error_pages
from web.i18n import init_i18n
from web.sessions import SessionInterface
from web.state import EXTENSION, AppState, app_state

csrf = CSRFProtect()

# Endpoints that answer before the data dir is unlocked, and before anyone signs in.
BEFORE_UNLOCK = {"static", "auth.setup", "auth.unlock", "settings.language"}
# The calendar feed is read by calendar apps, which cannot sign in: its secret address is the
# credential (web.promises.notifications).
BEFORE_SIGN_IN = BEFORE_UNLOCK | {"auth.login", "promises.calendar_feed"}
# All a member whose password was reset may do before choosing a new one.
NEW_PASSWORD_FIRST = BEFORE_SIGN_IN | {"settings.password", "settings.language", "auth.logout"}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "frame-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])


def create_app(services: Services | None = None, *, config: Config | None = None) -> Flask:
    """Build the web app over a data dir: `services` when it is already unlocked, else `config`
    (the app then offers the first-run or unlock page)."""
    if config is None:
        if services is None:
            raise ValueError("create_app needs the unlocked services or the config")
        config = services.config
    app = Flask(__name__)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="liuhen_session",
        # A browser-session cookie; web.auth signs out after server.idle_timeout_minutes
        # without a request. This only bounds how old a signed cookie may be at all.
        PERMANENT_SESSION_LIFETIME=timedelta(days=7),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,
        # Uploads are streamed by the views themselves; Flask must not cap or buffer them.
        MAX_CONTENT_LENGTH=None,
    )
    app.session_interface = SessionInterface()
    if config.server.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.extensions[EXTENSION] = AppState(app, config, services)
    init_i18n(app)
    csrf.init_app(app)
    for module in (health, auth, negotiations, evidence, timeline, search, settings, findings,
                   bundles, promises, hardship, sharing, tidy, api):
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # bearer tokens, not cookies: nothing for a forged request to ride on
    csrf.exempt(health.bp)  # GET only, and no state to change
    app.before_request(gate)
    app.after_request(security_headers)
    app.teardown_appcontext(close_db)
    app.register_error_handler(CSRFError, csrf_failed)
    register_error_pages(app)
    return app


def gate():
    endpoint = request.endpoint
    if endpoint in (None, "static") or request.blueprint in (api.bp.name, health.bp.name):
        # 404 follows, a public file, the API checks its own token, or a probe: before the
        # session is read, so a probe neither needs one nor gets a cookie.
        return None
    state = app_state()
    if state.services is None:
        if endpoint in BEFORE_UNLOCK:
            return None
        if not state.vault_exists:
            return redirect(url_for("auth.setup"))
        return redirect(url_for("auth.unlock", next=auth.page_asked_for()))
    g.user = auth.signed_in_user()
    if g.user is None and endpoint not in BEFORE_SIGN_IN:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if g.user is not None and g.user.must_change_password and endpoint not in NEW_PASSWORD_FIRST:
        return redirect(url_for("settings.password"))  # the owner or an admin reset it
    return None


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def csrf_failed(_error: CSRFError):
    message = _("The form was refused: it has expired or did not come from this site. Reload "
                "the page and try again.")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), 400
    return message, 400
