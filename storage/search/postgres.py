"""Search on PostgreSQL through `search_doc` of migration 0018: the same keys as on SQLite (the
layout is in that migration's docstring), each document's text under a pg_trgm GIN index and
its characters and character pairs under a GIN array index.

The first page is found by walking the key index backwards a window of documents at a time
(`WINDOW`, then as many as the rate of matches says the page needs) and testing each window's
texts: a common word fills the page within the first window, whatever the planner would have
guessed. When it does not, the rate says whether fetching every match through the GIN indexes
reads fewer documents than walking on: then they are fetched and sorted here, unless there
are `PROBE` or more (a word common only in older items), and the walk goes on. An account's or a
negotiation's limit is applied to the matches found, by their evidence ids, never by joining
in the walk, so no plan can turn into a scan of every item of the account.

A word of 3+ characters matches as `body ILIKE '%word%'` (pg_trgm's index answers it); a 1-2
character word as the characters or pair in `pieces` (the GIN array index) or, in the walk,
the same test on the text itself: the word in the text with ASCII letters lower-cased, which
is what `search_pieces()` holds.
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from storage.models import Evidence, Negotiation, NegotiationShare
from storage.search.ordered import (ASCII_LOWER, ASCII_UPPER, DOC_TABLE, SHORT_WORD,
                                    SLOT_BITS, ascii_lower, page_hits)
from storage.search.snippets import SearchHit

WINDOW = 512  # documents read in the walk's first step
MAX_WINDOW = 65536
PROBE = 5000  # fewer matching documents than this: fetched through the GIN indexes
_LIKE_ESCAPE = "\\"
_ABOVE_EVERY_KEY = 2**63 - 1  # bigint's largest; a key has 63 bits (undated, time, id, slot)
_DOC = sa.table(DOC_TABLE, sa.column("key", sa.BigInteger),
                sa.column("evidence_id", sa.Integer), sa.column("live", sa.Boolean),
                sa.column("body", sa.Text), sa.column("pieces", postgresql.ARRAY(sa.Text)))


def find_hits(session: Session, terms: list[str], *, owner_id: int | None,
              negotiation_id: int | None, limit: int, offset: int) -> list[SearchHit]:
    """`storage.search.search` on PostgreSQL (its contract)."""
    count = offset + limit
    places = _negotiations(session, owner_id, negotiation_id)
    if places is not None and not places:
        return []
    walk = _Walk(session, terms, places)
    walk.run(count, WINDOW)
    found = walk.items()
    if found < count and not walk.ended:
        # At the first window's rate of matches, fetching every match through the GIN indexes
        # may read fewer documents than walking on to the end of the page.
        if walk.matches_in(_documents(session)) < walk.needed(count, cautious=True):
            rare = _gathered(session, terms, PROBE)
            if rare is not None:
                walk.keys += _allowed(session, [(key, evidence_id) for key, evidence_id in rare
                                                if key < walk.below], places, count - found + 1)
                return page_hits(session, _one_per_item(walk.keys)[offset:count], terms)
        walk.run(count, None)
    return page_hits(session, _one_per_item(walk.keys)[offset:count], terms)


class _Walk:
    """The key index walked backwards, a window at a time, keeping each window's matches."""

    def __init__(self, session: Session, terms: list[str], places: set[int] | None) -> None:
        self.session, self.places = session, places
        self.keys: list[int] = []  # the matches read so far, in key order, newest first
        self.below = _ABOVE_EVERY_KEY  # the lowest key read so far
        self.ended = False  # no document left below
        self.read = 0  # documents read
        self.matched = 0  # documents that matched, in any negotiation
        self.window = WINDOW
        # The last row gives the window's lowest key and its size, the others its matches.
        test, self.words = _text_test(terms, "w.body")
        self.statement = sa.text(
            f"WITH w AS (SELECT key, evidence_id, body FROM {DOC_TABLE} "
            "WHERE live AND key < :below "
            "ORDER BY key DESC LIMIT :window) "
            f"SELECT key, evidence_id, false FROM w WHERE {test} "
            "UNION ALL SELECT min(key), count(*), true FROM w")

    def items(self) -> int:
        return len(_one_per_item(self.keys))

    def matches_in(self, documents: float) -> float:
        """How many of that many documents match, at the rate found so far."""
        return self.matched * documents / self.read

    def needed(self, count: int, *, cautious: bool = False) -> float:
        """How many more documents `count` items need at the rate found so far; `cautious`,
        at a rate one standard deviation lower (a few matches say little of the rate)."""
        found = self.items()
        rate = found - math.sqrt(found) if cautious else found
        return (count - found) * self.read / rate if rate > 0 else math.inf

    def run(self, count: int, budget: int | None) -> None:
        """Walk on until `count` items match, the documents end, or `budget` more documents
        were read (None: no limit). Each next window is what the rate so far says the page
        needs, with a margin, or twice the last while nothing matched."""
        read = 0
        while self.items() < count and not self.ended and (budget is None or read < budget):
            rows = self._window()
            lowest, size = next((key, size) for key, size, last in rows if last)
            self.matched += len(rows) - 1
            self.keys += _allowed(self.session, sorted(
                ((key, evidence_id) for key, evidence_id, last in rows if not last),
                reverse=True), self.places)
            read += size
            self.read += size
            self.ended = size < self.window
            self.below = lowest if lowest is not None else self.below
            self.window = int(min(MAX_WINDOW, max(
                WINDOW, 1.25 * self.needed(count) if self.items() else 2 * self.window)))

    def _window(self) -> list[sa.Row]:
        # A small or new table's statistics can make a scan and a sort of every key below
        # look cheaper than reading the key index backwards; the walk is there to stop early.
        self.session.execute(sa.text(
            "SELECT set_config('enable_seqscan', 'off', true), "
            "set_config('enable_bitmapscan', 'off', true)"))
        try:
            return self.session.execute(self.statement, {
                "below": self.below, "window": self.window, **self.words}).all()
        finally:
            self.session.execute(sa.text("RESET enable_seqscan"))
            self.session.execute(sa.text("RESET enable_bitmapscan"))


def _text_test(terms: list[str], body: str) -> tuple[str, dict[str, str]]:
    """SQL true when `body` holds every word, and its parameters: as ILIKE and search_pieces()
    would find it, by the cheapest test that finds the same. A word with no letter that has a
    case (Chinese, digits) is the same in either case, so it is looked for as it is
    (`strpos`, ten times faster than ILIKE over Chinese text)."""
    tests, words = [], {}
    for n, term in enumerate(terms):
        name = f"word_{n}"
        if _caseless(term):
            tests.append(f"strpos({body}, :{name}) > 0")
            words[name] = term
        elif len(term) >= SHORT_WORD:
            tests.append(f"{body} ILIKE :{name} ESCAPE '{_LIKE_ESCAPE}'")
            words[name] = f"%{_escape_like(term)}%"
        else:
            tests.append(f"strpos(translate({body}, '{ASCII_UPPER}', '{ASCII_LOWER}'), "
                         f":{name}) > 0")
            words[name] = ascii_lower(term)
    return " AND ".join(tests), words


def _caseless(term: str) -> bool:
    return term.lower() == term == term.upper()


def _documents(session: Session) -> float:
    """About how many documents there are (PostgreSQL's estimate; 0 if never estimated)."""
    return max(0.0, session.execute(sa.text(
        f"SELECT reltuples FROM pg_class WHERE oid = '{DOC_TABLE}'::regclass")).scalar_one())


def _gathered(session: Session, terms: list[str], most: int) -> list[sa.Row] | None:
    """Every live matching document (key, evidence id), newest first, fetched through the GIN
    indexes; None when there are `most` or more."""
    found = session.execute(sa.select(_DOC.c.key, _DOC.c.evidence_id).where(
        _candidates(terms).whereclause).limit(most)).all()
    return sorted(found, reverse=True) if len(found) < most else None


def _allowed(session: Session, found: list, places: set[int] | None,
             enough: int | None = None) -> list[int]:
    """The keys of `found` (key, evidence id; in key order) whose item is in one of `places`
    (None: any); with `enough`, only as far as that many items are found."""
    if places is None or not found:
        return [key for key, _ in found]
    keys: list[int] = []
    step = len(found) if enough is None else 2 * enough + 8
    for start in range(0, len(found), step):
        chunk = found[start:start + step]
        inside = set(session.execute(sa.text(
            f"SELECT id FROM {Evidence.__table__.name} "
            "WHERE id = ANY(:ids) AND negotiation_id = ANY(:places)"),
            {"ids": sorted({evidence_id for _, evidence_id in chunk}),
             "places": sorted(places)}).scalars())
        keys += [key for key, evidence_id in chunk if evidence_id in inside]
        if enough is not None and len(_one_per_item(keys)) >= enough:
            break
    return keys


def _negotiations(session: Session, owner_id: int | None, negotiation_id: int | None
                  ) -> set[int] | None:
    """The negotiations searched: None for every one."""
    if owner_id is None:
        return None if negotiation_id is None else {negotiation_id}
    negotiation, shared = Negotiation.__table__, NegotiationShare.__table__
    places = set(session.execute(
        sa.select(negotiation.c.id).where(negotiation.c.owner_id == owner_id)
        .union(sa.select(shared.c.negotiation_id).where(shared.c.user_id == owner_id))
    ).scalars())
    return places if negotiation_id is None else places & {negotiation_id}


def _candidates(terms: list[str]) -> sa.Select:
    """Every live matching document's key, as the GIN indexes answer it."""
    statement = sa.select(_DOC.c.key).where(_DOC.c.live)
    # The words go into the SQL as literals (literal_execute), so that the planner weighs each
    # plan for this word: a prepared statement's generic plan would guess one for every word.
    for term in terms:
        if len(term) >= SHORT_WORD:
            pattern = sa.literal(f"%{_escape_like(term)}%", sa.Text, literal_execute=True)
            # pg_trgm answers both; LIKE's recheck of each candidate text is the cheaper one.
            test = _DOC.c.body.like if _caseless(term) else _DOC.c.body.ilike
            statement = statement.where(test(pattern, escape=_LIKE_ESCAPE))
    short = [t for t in terms if len(t) < SHORT_WORD]
    if short:
        statement = statement.where(_DOC.c.pieces.op("@>")(postgresql.array(
            [sa.literal(ascii_lower(t), sa.Text, literal_execute=True) for t in short])))
    return statement


def _one_per_item(keys: list[int]) -> list[int]:
    return [key for n, key in enumerate(keys)
            if n == 0 or key >> SLOT_BITS != keys[n - 1] >> SLOT_BITS]


def _escape_like(term: str) -> str:
    return (term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
            .replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_"))
