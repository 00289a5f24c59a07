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

import contextlib
import math

from sqlmodel import Session

from storage.models import Evidence, Negotiation, NegotiationShare
from storage.search.ordered import (DOC_TABLE, SHORT_WORD, SLOT_BITS, driver_connection,
                                    driver_cursor, page_hits)
from storage.search.snippets import SearchHit
from storage.search_pieces import ASCII_LOWER, ASCII_UPPER, ascii_lower

WINDOW = 512  # documents read in the walk's first step
MAX_WINDOW = 65536
PROBE = 5000  # fewer matching documents than this: fetched through the GIN indexes
_LIKE_ESCAPE = "\\"
_ABOVE_EVERY_KEY = 2**63 - 1  # bigint's largest; a key has 63 bits (undated, time, id, slot)


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
        self.statement = (
            f"WITH w AS (SELECT key, evidence_id, body FROM {DOC_TABLE} "
            "WHERE live AND key < %(below)s "
            "ORDER BY key DESC LIMIT %(window)s) "
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

    def _window(self) -> list[tuple]:
        # A small or new table's statistics can make a scan and a sort of every key below
        # look cheaper than reading the key index backwards; the walk is there to stop early.
        # The settings are put back as they were in this transaction, kept meanwhile in
        # settings of our own, so the three statements go to the server in one round trip.
        import psycopg  # loaded already, by this connection; not by start-up on SQLite

        connection = driver_connection(self.session)
        batch = (connection.pipeline() if psycopg.Pipeline.is_supported()
                 else contextlib.nullcontext())
        with connection.cursor() as off, connection.cursor() as window, \
                connection.cursor() as back:
            with batch:
                off.execute(_PLANNER_OFF, prepare=False)
                window.execute(self.statement, {"below": self.below, "window": self.window,
                                                **self.words}, prepare=False)
                back.execute(_PLANNER_BACK, prepare=False)
            return window.fetchall()


_PLANNER = ("enable_seqscan", "enable_bitmapscan")
_PLANNER_OFF = "SELECT " + ", ".join(
    [f"set_config('liuhen.{name}', current_setting('{name}'), true)" for name in _PLANNER]
    + [f"set_config('{name}', 'off', true)" for name in _PLANNER])
_PLANNER_BACK = "SELECT " + ", ".join(
    f"set_config('{name}', current_setting('liuhen.{name}'), true)" for name in _PLANNER)


def _text_test(terms: list[str], body: str) -> tuple[str, dict[str, str]]:
    """SQL true when `body` holds every word, and its parameters: as ILIKE and search_pieces()
    would find it, by the cheapest test that finds the same. A word with no letter that has a
    case (Chinese, digits) is the same in either case, so it is looked for as it is
    (`strpos`, ten times faster than ILIKE over Chinese text)."""
    tests, words = [], {}
    for n, term in enumerate(terms):
        name = f"word_{n}"
        if _caseless(term):
            tests.append(f"strpos({body}, %({name})s) > 0")
            words[name] = term
        elif len(term) >= SHORT_WORD:
            tests.append(f"{body} ILIKE %({name})s ESCAPE '{_LIKE_ESCAPE}'")
            words[name] = f"%{_escape_like(term)}%"
        else:
            tests.append(f"strpos(translate({body}, '{ASCII_UPPER}', '{ASCII_LOWER}'), "
                         f"%({name})s) > 0")
            words[name] = ascii_lower(term)
    return " AND ".join(tests), words


def _caseless(term: str) -> bool:
    return term.lower() == term == term.upper()


def _documents(session: Session) -> float:
    """About how many documents there are (PostgreSQL's estimate; 0 if never estimated)."""
    with driver_cursor(session) as cursor:
        return max(0.0, _fetch(cursor, "SELECT reltuples FROM pg_class "
                               f"WHERE oid = '{DOC_TABLE}'::regclass")[0][0])


def _gathered(session: Session, terms: list[str], most: int) -> list[tuple] | None:
    """Every live matching document (key, evidence id), newest first, fetched through the GIN
    indexes; None when there are `most` or more."""
    statement, params = _candidates(terms)
    with driver_cursor(session) as cursor:
        found = _fetch(cursor, f"{statement} LIMIT %s", [*params, most])
    return sorted(found, reverse=True) if len(found) < most else None


def _allowed(session: Session, found: list, places: set[int] | None,
             enough: int | None = None) -> list[int]:
    """The keys of `found` (key, evidence id; in key order) whose item is in one of `places`
    (None: any); with `enough`, only as far as that many items are found."""
    if places is None or not found:
        return [key for key, _ in found]
    keys: list[int] = []
    step = len(found) if enough is None else 2 * enough + 8
    with driver_cursor(session) as cursor:
        for start in range(0, len(found), step):
            chunk = found[start:start + step]
            inside = {evidence_id for (evidence_id,) in _fetch(
                cursor, f"SELECT id FROM {Evidence.__table__.name} "
                "WHERE id = ANY(%s) AND negotiation_id = ANY(%s)",
                (sorted({evidence_id for _, evidence_id in chunk}), sorted(places)))}
            keys += [key for key, evidence_id in chunk if evidence_id in inside]
            if enough is not None and len(_one_per_item(keys)) >= enough:
                break
    return keys


def _negotiations(session: Session, owner_id: int | None, negotiation_id: int | None
                  ) -> set[int] | None:
    """The negotiations searched: None for every one."""
    if owner_id is None:
        return None if negotiation_id is None else {negotiation_id}
    with driver_cursor(session) as cursor:
        places = {place for (place,) in _fetch(
            cursor, f"SELECT id FROM {Negotiation.__table__.name} WHERE owner_id = %(owner)s "
            f"UNION SELECT negotiation_id FROM {NegotiationShare.__table__.name} "
            "WHERE user_id = %(owner)s", {"owner": owner_id})}
    return places if negotiation_id is None else places & {negotiation_id}


def _candidates(terms: list[str]) -> tuple[str, list]:
    """The SQL of every live matching document's key and evidence id, as the GIN indexes
    answer it, and its parameters."""
    tests, params = ["live"], []
    for term in terms:
        if len(term) >= SHORT_WORD:
            # pg_trgm answers both; LIKE's recheck of each candidate text is the cheaper one.
            tests.append(f"body {'LIKE' if _caseless(term) else 'ILIKE'} %s "
                         f"ESCAPE '{_LIKE_ESCAPE}'")
            params.append(f"%{_escape_like(term)}%")
    short = [ascii_lower(t) for t in terms if len(t) < SHORT_WORD]
    if short:
        tests.append("pieces @> %s::text[]")
        params.append(short)
    return f"SELECT key, evidence_id FROM {DOC_TABLE} WHERE {' AND '.join(tests)}", params


def _fetch(cursor, statement: str, params=None) -> list[tuple]:
    # Never a prepared statement: its generic plan, chosen once for every word, could read
    # a common word's matches through the GIN index, or a rare one's by walking.
    return cursor.execute(statement, params, prepare=False).fetchall()


def _one_per_item(keys: list[int]) -> list[int]:
    return [key for n, key in enumerate(keys)
            if n == 0 or key >> SLOT_BITS != keys[n - 1] >> SLOT_BITS]


def _escape_like(term: str) -> str:
    return (term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
            .replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_"))
