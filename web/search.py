"""Search: one box across all of the signed-in account's evidence (transcripts, text in images,
emails, notes, and the details: counterpart name and number, file name, subject).

Each result links to the place of the match on the item's page (web.evidence): a transcript hit
to the segment holding it, where the recording starts (`?t=<seconds>#seg-<index>`), a hit in an
image's or a document's text to that segment (`#seg-<index>`, or `#text-<id>-seg-<index>` in an
older version of the text) or text block (`#text-<id>`), a note to `#note`, a detail to
`#details`. The JSON API shares `find_results`, so both give the same hits and links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, render_template, request, url_for
from sqlmodel import Session, func, select

from storage.models import Evidence, ExtractedText, Negotiation, TextSource, User
from storage.search import METADATA_SOURCE, NOTE_SOURCE, SearchHit, locate_segment, query_terms
from storage.search import search as search_index
from web.access import current_user, db, owned_negotiation

bp = Blueprint("search", __name__)

PAGE_SIZE = 20
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class Result:
    """One hit, with the item it is in and where to open that item."""

    hit: SearchHit
    evidence: Evidence
    url: str
    segment: int | None = None  # the segment of the text holding the match
    start: float | None = None  # seconds into the recording, for a transcript hit

    @property
    def moment(self) -> str | None:
        """The start as a clock reading (1:05, 1:02:03), for people."""
        if self.start is None:
            return None
        minutes, seconds = divmod(int(self.start), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@dataclass
class Group:
    negotiation: Negotiation
    results: list[Result] = field(default_factory=list)


@dataclass(frozen=True)
class ResultPage:
    results: list[Result]
    negotiations: dict[int, Negotiation]
    has_more: bool


def find_results(session: Session, user: User, query: str, *, negotiation_id: int | None = None,
                 limit: int = PAGE_SIZE, offset: int = 0) -> ResultPage:
    """One page of the account's hits for `query`, each with its item and link; only `user`'s
    negotiations are searched. The caller has checked that `negotiation_id` is theirs."""
    query = query[:MAX_QUERY_CHARS]
    hits = search_index(session, query, owner_id=user.id, negotiation_id=negotiation_id,
                        limit=limit + 1, offset=offset)
    has_more = len(hits) > limit
    hits = hits[:limit]
    evidence = _by_id(session, Evidence, {h.evidence_id for h in hits})
    negotiations = _by_id(session, Negotiation, {h.negotiation_id for h in hits})
    texts = _by_id(session, ExtractedText, {h.text_id for h in hits if h.text_id is not None})
    newest = _newest_texts(session, {t.evidence_id for t in texts.values()})
    terms = query_terms(query)
    results = [_result(hit, evidence[hit.evidence_id], texts.get(hit.text_id), newest, terms)
               for hit in hits]
    return ResultPage(results, negotiations, has_more)


def group_by_negotiation(page: ResultPage) -> list[Group]:
    """The page's results under their negotiations, in the order each first appears (the
    results stay newest first within a group)."""
    groups: dict[int, Group] = {}
    for result in page.results:
        negotiation_id = result.hit.negotiation_id
        group = groups.setdefault(negotiation_id, Group(page.negotiations[negotiation_id]))
        group.results.append(result)
    return list(groups.values())


@bp.get("/search")
def results():
    query = " ".join(request.args.get("q", "").split())[:MAX_QUERY_CHARS]
    page_number = max(request.args.get("page", 1, type=int), 1)
    negotiation_id = request.args.get("negotiation", type=int)
    within = owned_negotiation(negotiation_id) if negotiation_id is not None else None
    page = None
    if query:
        page = find_results(db(), current_user(), query, negotiation_id=negotiation_id,
                            offset=(page_number - 1) * PAGE_SIZE)
    return render_template(
        "search/results.html", query=query, page=page, page_number=page_number, within=within,
        groups=group_by_negotiation(page) if page else [])


def _result(hit: SearchHit, evidence: Evidence, text: ExtractedText | None, newest: set[int],
            terms: list[str]) -> Result:
    if hit.source == NOTE_SOURCE:
        return Result(hit, evidence, _item_url(evidence, anchor="note"))
    if hit.source == METADATA_SOURCE or text is None:
        return Result(hit, evidence, _item_url(evidence, anchor="details"))
    segment = locate_segment(text.text, text.segments, terms)
    if segment is None:
        return Result(hit, evidence, _item_url(evidence, anchor=f"text-{text.id}"))
    # The item's page shows the newest version of a text in full; older ones below it.
    anchor = f"seg-{segment}" if text.id in newest else f"text-{text.id}-seg-{segment}"
    start = text.segments[segment].get("start")
    if text.source == TextSource.transcript and isinstance(start, int | float):
        return Result(hit, evidence, _item_url(evidence, anchor=anchor, t=start),
                      segment=segment, start=float(start))
    return Result(hit, evidence, _item_url(evidence, anchor=anchor), segment=segment)


def _item_url(evidence: Evidence, *, anchor: str, t: float | None = None) -> str:
    params = {} if t is None else {"t": f"{t:.1f}".removesuffix(".0")}
    return url_for("evidence.show", evidence_id=evidence.id, _anchor=anchor, **params)


def _newest_texts(session: Session, evidence_ids: set[int]) -> set[int]:
    """The ids of the newest text of each source of these items (a correction or a new
    transcription is newer than what it replaces)."""
    if not evidence_ids:
        return set()
    newest = (select(func.max(ExtractedText.id))
              .where(ExtractedText.evidence_id.in_(evidence_ids))
              .group_by(ExtractedText.evidence_id, ExtractedText.source))
    return set(session.exec(newest).all())


def _by_id(session: Session, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(model.id.in_(ids))).all()}
