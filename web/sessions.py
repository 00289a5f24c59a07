"""The cookies: the browser session (Flask's signed cookie, HttpOnly and SameSite=Lax as set in
web.app, with the Secure flag decided per request) and the remembered language."""

from __future__ import annotations

from flask import Flask, Response, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from web.i18n import LANGUAGE_COOKIE

ONE_YEAR_S = 365 * 24 * 3600


class SessionInterface(SecureCookieSessionInterface):
    """Secure whenever the browser reached us over HTTPS (`request.is_secure`; behind a proxy
    only with `server.trust_proxy`), so one app serves both http://127.0.0.1 on the owner's
    own computer and an HTTPS deployment without a setting to forget."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if has_request_context() and request.is_secure:
            return True
        return super().get_cookie_secure(app)


def remember_language(response: Response, language: str) -> None:
    """Keep the chosen language in a cookie, so pages before sign-in speak it too."""
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR_S, samesite="Lax",
                        httponly=True, secure=request.is_secure)
