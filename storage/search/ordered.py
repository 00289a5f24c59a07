"""Search on SQLite through the ordered index of migration 0018 (its docstring has the layout).

Each document's key is its rowid in the FTS5 tables and sorts as the results do, an item's
documents together with its preferred one (newest text, then note, then details) first. So the
first page is the first keys of `ORDER BY rowid DESC` over the matches, one per item, and the
query stops there instead of sorting every match; only the page's texts are then read.
Words of 3+ characters are trigram phrases in `search_text`; shorter ones are single tokens of
`search_short` (the word lower-cased like SQLite's lower(), its UTF-8 bytes in hex).
"""

from __future__ import annotations

import json

from sqlmodel import Session

from storage.models import Evidence, ExtractedText, Negotiation, NegotiationShare, TextSource
from storage.search.snippets import (METADATA_SOURCE, NOTE_SOURCE, SearchHit, locate_segment,
                                     metadata_body, readable, snippet_fragments)
from storage.search_pieces import ascii_lower

TEXT_TABLE = "search_text"
SHORT_TABLE = "search_short"
DOC_TABLE = "search_doc"
SLOT_BITS = 8
EVIDENCE_ID_BITS = 22
METADATA_SLOT, NOTE_SLOT = 0, 1
SHORT_WORD = 3  # a word shorter than a trigram goes through search_short



def find_hits(session: Session, terms: list[str], *, owner_id: int | None,
              negotiation_id: int | None, limit: int, offset: int) -> list[SearchHit]:
    """`storage.search.search` on SQLite (its contract)."""
    keys = first_keys(session, terms, owner_id=owner_id, negotiation_id=negotiation_id,
                      count=offset + limit)[offset:]
    return page_hits(session, keys, terms)


def first_keys(session: Session, terms: list[str], *, owner_id: int | None,
               negotiation_id: int | None, count: int) -> list[int]:
    """The keys of the first `count` matching items' preferred documents, in result order."""
    statement, params = candidates(terms, owner_id=owner_id, negotiation_id=negotiation_id)
    keys: list[int] = []
    last_item = None
    cursor = driver_cursor(session)
    try:
        cursor.execute(statement, params)
        for (key,) in cursor:
            item = key >> SLOT_BITS
            if item != last_item:
                last_item = item
                keys.append(key)
                if len(keys) == count:
                    break
    finally:
        cursor.close()
    return keys


def driver_connection(session: Session):
    """The session's own DB-API connection, in its transaction. A search runs a fixed
    statement or two on every keystroke's page: SQLAlchemy's compiling and result processing
    around them cost three times the query (issue 17), and these rows need neither (ints and
    strings)."""
    return session.connection().connection.driver_connection


def driver_cursor(session: Session):
    """A cursor of `driver_connection`."""
    return driver_connection(session).cursor()


def candidates(terms: list[str], *, owner_id: int | None, negotiation_id: int | None
               ) -> tuple[str, dict]:
    """The SQL (and its parameters) of every matching document's key, in result order."""
    long_terms = [t for t in terms if len(t) >= SHORT_WORD]
    short_terms = [t for t in terms if len(t) < SHORT_WORD]
    params: dict = {}
    where = []
    if long_terms:
        driver = TEXT_TABLE
        params["text_match"] = " ".join(_phrase(t) for t in long_terms)
        where.append(f"{TEXT_TABLE} MATCH :text_match")
        if short_terms:
            # The unary + keeps SQLite from handing the IN list to the FTS table as rowid
            # lookups, which would lose the rowid order.
            where.append(f"+{TEXT_TABLE}.rowid IN (SELECT rowid FROM {SHORT_TABLE} "
                         f"WHERE {SHORT_TABLE} MATCH :short_match)")
    else:
        driver = SHORT_TABLE
        where.append(f"{SHORT_TABLE} MATCH :short_match")
    if short_terms:
        params["short_match"] = " ".join(short_token(t) for t in short_terms)
    evidence = Evidence.__table__.name
    join = ""
    if owner_id is not None or negotiation_id is not None:
        # CROSS JOIN keeps the FTS table the outer loop, so its rowid order is the order.
        join = (f" CROSS JOIN {evidence} ON {evidence}.id = "
                f"(({driver}.rowid >> {SLOT_BITS}) & {(1 << EVIDENCE_ID_BITS) - 1})")
    if negotiation_id is not None:
        params["negotiation_id"] = negotiation_id
        where.append(f"{evidence}.negotiation_id = :negotiation_id")
    if owner_id is not None:
        params["owner_id"] = owner_id
        where.append(
            f"{evidence}.negotiation_id IN (SELECT id FROM {Negotiation.__table__.name} "
            f"WHERE owner_id = :owner_id UNION SELECT negotiation_id FROM "
            f"{NegotiationShare.__table__.name} WHERE user_id = :owner_id)")
    statement = (f"SELECT {driver}.rowid FROM {driver}{join} WHERE {' AND '.join(where)} "
                 f"ORDER BY {driver}.rowid DESC")
    return statement, params


def short_token(term: str) -> str:
    """The search_short token of a 1-2 character word."""
    return ascii_lower(term).encode().hex()


def _phrase(term: str) -> str:
    # Each word a quoted FTS5 string ("" escapes a quote); juxtaposed strings mean AND.
    return '"' + term.replace('"', '""') + '"'


_PAGE = (f"SELECT d.key, d.text_id, e.id, e.negotiation_id, e.note, e.counterpart_name, "
         "e.counterpart_number, e.original_filename, e.subject, t.source, t.text, t.segments, "
         f"t.id = (SELECT max(o.id) FROM {ExtractedText.__table__.name} o "
         "WHERE o.evidence_id = t.evidence_id AND o.source = t.source) "
         f"FROM {DOC_TABLE} d JOIN {Evidence.__table__.name} e ON e.id = d.evidence_id "
         f"LEFT JOIN {ExtractedText.__table__.name} t ON t.id = d.text_id WHERE ")


def page_hits(session: Session, keys: list[int], terms: list[str]) -> list[SearchHit]:
    """The hits of these document keys, in their order, each with its snippet and, in a text,
    the segment holding the match."""
    if not keys:
        return []
    cursor = driver_cursor(session)
    try:
        if session.get_bind().dialect.name == "sqlite":
            cursor.execute(_PAGE + f"d.key IN ({', '.join('?' * len(keys))})", keys)
            rows = [(*row[:11], json.loads(row[11] or "[]"), row[12])
                    for row in cursor.fetchall()]
        else:  # psycopg reads JSONB as Python objects
            cursor.execute(_PAGE + "d.key = ANY(%s)", (keys,))
            rows = cursor.fetchall()
    finally:
        cursor.close()
    by_key = {row[0]: row for row in rows}
    return [_hit(by_key[key], terms) for key in keys if key in by_key]


def _hit(row: tuple, terms: list[str]) -> SearchHit:
    (key, text_id, evidence_id, negotiation_id, note, counterpart_name, counterpart_number,
     original_filename, subject, source, text, segments, newest) = row
    slot = key & ((1 << SLOT_BITS) - 1)
    segment = start = None
    if slot == METADATA_SLOT:
        source, body = METADATA_SOURCE, metadata_body(
            counterpart_name, counterpart_number, original_filename, subject)
    elif slot == NOTE_SLOT:
        source, body = NOTE_SOURCE, note or ""
    else:
        body = text
        segment = locate_segment(text, segments, terms)
        if segment is not None and source == TextSource.transcript:
            start = segments[segment].get("start")
    return SearchHit(evidence_id=evidence_id, negotiation_id=negotiation_id, source=source,
                     text_id=text_id, fragments=snippet_fragments(readable(source, body), terms),
                     newest=newest is None or bool(newest), segment=segment,
                     start=float(start) if isinstance(start, int | float) else None)
