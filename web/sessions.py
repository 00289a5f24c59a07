"""The cookies: the browser session, the known-device cookie and the remembered language.

The session cookie is Flask's signed cookie (HttpOnly and SameSite=Lax as set in web.app, with
the Secure flag decided per request). It holds the CSRF token, pending messages, and `sid`: the
random id of a server-side session (logger.browser_sessions), which alone says who is signed
in. The database row decides; so signing out, the idle timeout, the absolute lifetime and a
password change end a session in every process at once, and a copy of an old cookie is worth
nothing afterwards.

The time comes from `now()`: `app.extensions[CLOCK]` when a test sets it, else the real clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, Response, current_app, has_request_context, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from logger import browser_sessions
from logger.browser_sessions import Resumed
from storage.models import User
from storage.models.types import utcnow
from web.access import db
from web.i18n import LANGUAGE_COOKIE

ONE_YEAR_S = 365 * 24 * 3600
# app.extensions[CLOCK]: a callable returning the time (aware UTC); tests move it.
CLOCK = "liuhen.clock"
SESSION_ID = "sid"
DEVICE_COOKIE = "liuhen_device"


class SessionInterface(SecureCookieSessionInterface):
    """Secure whenever the browser reached us over HTTPS (`request.is_secure`; behind a proxy
    only with `server.trust_proxy`), so one app serves both http://127.0.0.1 on the owner's
    own computer and an HTTPS deployment without a setting to forget."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if has_request_context() and request.is_secure:
            return True
        return super().get_cookie_secure(app)


def now() -> datetime:
    return current_app.extensions.get(CLOCK, utcnow)()


def begin(user: User) -> None:
    """Sign this browser in as `user` with a new session id: whatever id the browser held
    before is ended and never reused (no session fixation)."""
    end()
    session[SESSION_ID] = browser_sessions.start_session(
        db(), user, now=now(), user_agent=request.user_agent.string or None,
        address=request.remote_addr)


def resume(idle: timedelta) -> Resumed:
    """Who this browser is signed in as; an ended session's id is dropped from the cookie."""
    token = session.get(SESSION_ID)
    if not isinstance(token, str):
        return Resumed()
    resumed = browser_sessions.resume_session(db(), token, now=now(), idle=idle)
    if resumed.user is None:
        session.clear()
    return resumed


def end() -> None:
    """Sign this browser out: its session ends in the database, and the cookie is emptied."""
    token = session.get(SESSION_ID)
    if isinstance(token, str):
        browser_sessions.end_session(db(), token)
    session.clear()


def device_token() -> str | None:
    """The known-device cookie this browser sent (logger.signin_throttle), if any."""
    return request.cookies.get(DEVICE_COOKIE)


def remember_device(response: Response, token: str) -> None:
    """Mark this browser as a device of the account that just signed in. Sent only to the
    sign-in page, never readable by scripts; kept a year."""
    response.set_cookie(DEVICE_COOKIE, token, max_age=ONE_YEAR_S, path=url_for("auth.login"),
                        samesite="Strict", httponly=True, secure=request.is_secure)


def remember_language(response: Response, language: str) -> None:
    """Keep the chosen language in a cookie, so pages before sign-in speak it too."""
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR_S, samesite="Lax",
                        httponly=True, secure=request.is_secure)
