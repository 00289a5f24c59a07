"""Promises in writing, as a person sees them: the "not yet in writing" badge and the control
that links a written agreement or confirmation to a promise or plan (promises/_writing.html,
inside the promises page), the count in every negotiation's header, and the confirmation
request to send after a call (promises/confirmation.html), with a copy button
(static/js/copy.js: the CSP forbids inline scripts).

The promise and the item come in the form and must belong to the negotiation (404 otherwise).
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from logger.errors import NotFound
from logger.i18n import LANGUAGES
from logger.promises.confirmation import confirmation_request
from logger.promises.promises import get_promise
from logger.promises.writing import (WritingError, link_written, linkable_items, not_in_writing,
                                     unlink_written, written_item_id)
from storage.models import Evidence, Negotiation
from storage.models.promises import Promise
from web.access import current_user, db, negotiation_for
from web.i18n import reader_language, refusal_text
from web.sessions import now
from web.zone import zone_of

from web.promises import bp


def not_in_writing_count(negotiation: Negotiation) -> int:
    """How many open promises and plans of the negotiation are not yet in writing (header)."""
    return len(not_in_writing(db(), negotiation))


def writing_choices(negotiation: Negotiation) -> list[Evidence]:
    """The items a promise of the negotiation may be linked to, read once per request."""
    cache = g.setdefault("writing_choices", {})
    if negotiation.id not in cache:
        cache[negotiation.id] = linkable_items(db(), negotiation)
    return cache[negotiation.id]


def written_item(promise: Promise) -> int | None:
    """The id of the written item covering the promise (an instalment: its plan's), or None."""
    return written_item_id(db(), promise)


@bp.record_once
def writing_globals(state) -> None:
    state.app.jinja_env.globals.update(not_in_writing_count=not_in_writing_count,
                                       writing_choices=writing_choices,
                                       written_item=written_item)


@bp.post("/negotiations/<int:negotiation_id>/promises/writing")
def link(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    promise = _promise_in(negotiation)
    raw = request.form.get("evidence_id", "")
    if not raw.isdigit():
        flash(_("Choose the written agreement or confirmation to link."), "error")
        return _back(negotiation, promise)
    evidence = db().get(Evidence, int(raw))
    if evidence is None or evidence.negotiation_id != negotiation.id:
        abort(404)
    try:
        link_written(db(), promise, evidence, actor=current_user())
    except WritingError as e:
        flash(refusal_text(e), "error")
        return _back(negotiation, promise)
    flash(_("Linked: this promise is now in writing (evidence #%(id)s).", id=evidence.id),
          "success")
    return _back(negotiation, promise)


@bp.post("/negotiations/<int:negotiation_id>/promises/writing/remove")
def unlink(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    promise = _promise_in(negotiation)
    unlink_written(db(), promise, actor=current_user())
    flash(_("Unlinked: this promise is not in writing any more."), "success")
    return _back(negotiation, promise)


@bp.get("/negotiations/<int:negotiation_id>/promises/confirmation-request")
def confirmation(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "view")
    language = request.args.get("lang") or reader_language()
    if language not in LANGUAGES:
        abort(404)
    item = request.args.get("item", "")
    evidence_id = int(item) if item.isdigit() else None
    today = now().astimezone(zone_of(negotiation)).date()
    drafted = confirmation_request(db(), negotiation, language=language, today=today,
                                   evidence_id=evidence_id)
    return render_template("promises/confirmation.html", negotiation=negotiation,
                           request_text=drafted, language=language, item=evidence_id,
                           languages=LANGUAGES)


def _promise_in(negotiation: Negotiation) -> Promise:
    raw = request.form.get("promise_id", "")
    try:
        return get_promise(db(), int(raw) if raw.isdigit() else 0, negotiation=negotiation)
    except NotFound:
        abort(404)


def _back(negotiation: Negotiation, promise: Promise):
    return redirect(url_for("promises.show", negotiation_id=negotiation.id,
                            _anchor=f"promise-{promise.id}"))

