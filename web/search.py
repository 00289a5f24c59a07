"""Search: one box across all of the signed-in account's evidence (transcripts, text in images,
emails, notes, and the details: counterpart name and number, file name, subject).

The hits, their items and the moment in each come from `logger.record.search` (shared with the
JSON API and `liuhen search`); this module turns a moment into a link to that place on the item's
page (web.evidence): a transcript hit to the segment holding it, where the recording starts
(`?t=<seconds>#seg-<index>`), a hit in an image's or a document's text to that segment
(`#seg-<index>`, or `#text-<id>-seg-<index>` in an older version of the text) or text block
(`#text-<id>`), a note to `#note`, a detail to `#details`.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from logger.record.search import (MAX_QUERY_CHARS, PAGE_SIZE, Found, Place, find_results,
                                  group_by_negotiation)
from web.access import current_user, db, negotiation_for

bp = Blueprint("search", __name__)


@bp.get("/search")
def results():
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY_CHARS]
    page_number = max(request.args.get("page", 1, type=int), 1)
    negotiation_id = request.args.get("negotiation", type=int)
    within = negotiation_for(negotiation_id, "view") if negotiation_id is not None else None
    page = None
    if query:
        page = find_results(db(), query, owner=current_user(), negotiation_id=negotiation_id,
                            offset=(page_number - 1) * PAGE_SIZE)
    return render_template(
        "search/results.html", query=query, page=page, page_number=page_number, within=within,
        groups=group_by_negotiation(page) if page else [])


@bp.app_template_global()
def result_url(result: Found) -> str:
    """The link to the moment of a hit on its item's page."""
    moment = result.moment
    if moment.place == Place.note:
        anchor = "note"
    elif moment.place == Place.details:
        anchor = "details"
    elif moment.segment is None:
        anchor = f"text-{moment.text_id}"
    elif moment.newest:   # the item's page shows the newest version in full, older ones below
        anchor = f"seg-{moment.segment}"
    else:
        anchor = f"text-{moment.text_id}-seg-{moment.segment}"
    params = {} if moment.start is None else {"t": f"{moment.start:.1f}".removesuffix(".0")}
    return url_for("evidence.show", evidence_id=result.hit.evidence_id, _anchor=anchor, **params)
