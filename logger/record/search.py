"""Search across the evidence, for the search page, the JSON API and `liuhen search` alike: the
hits of `storage.search` (which holds the SQL) with the item each is in and the moment in it to
open, grouped by negotiation, and only in one account's negotiations when an owner is given.

A moment is where in the item the match is: its note, its details (counterpart name and number,
file name, subject), or one of its extracted texts, at the segment holding the match (a line of
a transcript, with the second it starts; a chat message; a block of an image's text) when it can
be found. Whether that text is the newest of its source matters to a reader: an item's page
shows the newest version of each text in full, older ones below it. Turning a moment into a
link is the caller's business (web.search).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session, select

from logger.sharing import negotiation_for
from storage.models import Evidence, Negotiation, User
from storage.search import METADATA_SOURCE, NOTE_SOURCE, SearchHit
from storage.search import search as search_index

PAGE_SIZE = 20
MAX_QUERY_CHARS = 200


class Place(StrEnum):
    note = "note"
    details = "details"
    text = "text"


@dataclass(frozen=True)
class Moment:
    """Where in its item a hit is. For a text: which (`text_id`), whether it is the newest of
    its source, and the segment holding the match (None: not found in one), with the second
    it starts at for a transcript."""

    place: Place
    text_id: int | None = None
    newest: bool = True
    segment: int | None = None
    start: float | None = None

    @property
    def clock(self) -> str | None:
        """The start as a clock reading (1:05, 1:02:03), for people."""
        if self.start is None:
            return None
        minutes, seconds = divmod(int(self.start), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@dataclass(frozen=True)
class Found:
    """One hit and the moment in its item (what a link to it needs)."""

    hit: SearchHit
    moment: Moment


@dataclass(frozen=True)
class Result(Found):
    """One hit, with the item it is in (what a page that shows the item needs)."""

    evidence: Evidence


@dataclass
class Group:
    negotiation: Negotiation
    results: list[Result] = field(default_factory=list)


@dataclass(frozen=True)
class FoundPage:
    found: list[Found]
    has_more: bool


@dataclass(frozen=True)
class ResultPage:
    results: list[Result]
    negotiations: dict[int, Negotiation]
    has_more: bool


def find_moments(session: Session, query: str, *, owner: User | None,
                 negotiation_id: int | None = None, limit: int = PAGE_SIZE,
                 offset: int = 0) -> FoundPage:
    """One page of hits for every word of `query` (cut to MAX_QUERY_CHARS), newest first, each
    with its moment. With an `owner`, only the negotiations that account owns or was shared
    are searched; None searches all (the CLI, run by whoever holds the data dir).
    `negotiation_id` keeps to one negotiation: NotFound when `owner` may not see it.
    ValueError for a `limit` below 1 or a negative `offset`."""
    if negotiation_id is not None and owner is not None:
        negotiation_for(session, negotiation_id, owner)
    query = query[:MAX_QUERY_CHARS]
    hits = search_index(session, query, owner_id=owner.id if owner is not None else None,
                        negotiation_id=negotiation_id, limit=limit + 1, offset=offset)
    has_more = len(hits) > limit
    hits = hits[:limit]
    return FoundPage([Found(hit, _moment(hit)) for hit in hits], has_more)


def find_results(session: Session, query: str, *, owner: User | None,
                 negotiation_id: int | None = None, limit: int = PAGE_SIZE,
                 offset: int = 0) -> ResultPage:
    """`find_moments`, each hit with its item, and the negotiations they are in."""
    page = find_moments(session, query, owner=owner, negotiation_id=negotiation_id,
                        limit=limit, offset=offset)
    evidence = _by_id(session, Evidence, {f.hit.evidence_id for f in page.found})
    negotiations = _by_id(session, Negotiation, {f.hit.negotiation_id for f in page.found})
    results = [Result(f.hit, f.moment, evidence[f.hit.evidence_id]) for f in page.found]
    return ResultPage(results, negotiations, page.has_more)


def group_by_negotiation(page: ResultPage) -> list[Group]:
    """The page's results under their negotiations, in the order each first appears (the
    results stay newest first within a group)."""
    groups: dict[int, Group] = {}
    for result in page.results:
        negotiation_id = result.hit.negotiation_id
        group = groups.setdefault(negotiation_id, Group(page.negotiations[negotiation_id]))
        group.results.append(result)
    return list(groups.values())


def _moment(hit: SearchHit) -> Moment:
    if hit.source == NOTE_SOURCE:
        return Moment(Place.note)
    if hit.source == METADATA_SOURCE or hit.text_id is None:
        return Moment(Place.details)
    return Moment(Place.text, hit.text_id, hit.newest, hit.segment, hit.start)


def _by_id(session: Session, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in session.exec(select(model).where(model.id.in_(ids))).all()}
