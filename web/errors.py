"""The pages a browser sees when a request fails: 400, 403, 404, 405 and 500 in the reader's
language, inside the app's header, with a way back. Werkzeug's bare English "Not Found" is what
a member met who followed a link to another account's item (web.access answers 404 for those).

The JSON API (/api/v1) keeps its JSON errors: its blueprint answers the errors of its own
routes (web.api), and an address under it that matches no route is answered here, as JSON too.
"""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

from web import api, auth
from web.state import app_state

log = logging.getLogger(__name__)

PAGES = (400, 403, 404, 405, 500)


def register_error_pages(app: Flask) -> None:
    for code in PAGES:
        app.register_error_handler(code, error_page)


def error_page(error: HTTPException):
    """The error as a page (or as the API's JSON), with the status it came with."""
    if error.response is not None:  # abort(Response(...)): the view wrote its own answer
        return error.response
    code = error.code or 500
    if request.path == api.bp.url_prefix or request.path.startswith(api.bp.url_prefix + "/"):
        return api.http_error(error)
    if isinstance(error, InternalServerError) and error.original_exception is not None:
        log.error("%s %s failed", request.method, request.path, exc_info=error.original_exception)
    _sign_in_for_header()
    title, explanation = _words(code)
    try:
        return render_template("errors/page.html", code=code, title=title,
                               explanation=explanation), code
    except Exception:  # the page itself failed (a broken database, say): a line is enough
        log.exception("the error page for %s could not be drawn", code)
        return f"{code} {title}\n{explanation}\n", code, {"Content-Type": "text/plain; charset=utf-8"}


def _sign_in_for_header() -> None:
    """Who is signed in, for the header's menu, where the gate did not run (an address that
    matches no route). A failure leaves the page without the menu, never without the page."""
    if "user" in g or app_state().services is None:
        return
    try:
        g.user = auth.signed_in_user()
    except Exception:
        log.exception("the signed-in account could not be read for an error page")
        g.user = None


def _words(code: int) -> tuple[str, str]:
    if code == 404:
        return (_("Page not found"),
                _("There is nothing at this address, or it belongs to another account. Check "
                  "the link, or go back to your negotiations."))
    if code == 403:
        return (_("Not allowed"),
                _("Your account may not open this page. Ask the owner of the negotiation to "
                  "share it with you, or go back to your negotiations."))
    if code == 405:
        return (_("This address does not take that method."),
                _("Go back to the page you came from and use its buttons."))
    if code == 400:
        return (_("The request could not be read"),
                _("Something in the address or the form was not as expected. Go back, reload "
                  "the page and try again."))
    return (_("Something went wrong"),
            _("The server could not finish this request; the details are in its log. Try "
              "again, or go back to your negotiations."))
