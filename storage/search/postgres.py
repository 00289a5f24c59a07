"""Search on PostgreSQL through `search_doc` of migration 0018: the same keys as on SQLite (the
layout is in that migration's docstring), each document's text under a pg_trgm GIN index and
its characters and character pairs under a GIN array index.

Words of 3+ characters are `body ILIKE '%word%'`, 1-2 character words `pieces @> ARRAY[...]`
(ASCII case-insensitive, as on SQLite). The matches are first counted up to PROBE: fewer, and
they are all fetched through the GIN indexes and sorted here; more, and the key index is walked
backwards (`ORDER BY key DESC LIMIT n`, in batches until enough items are found), which stops
early. The planner, guessing how common a word is, would otherwise walk the whole key index for
a rare word or fetch and sort every match of a common one.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from storage.models import Evidence, Negotiation, NegotiationShare
from storage.search.ordered import DOC_TABLE, SHORT_WORD, SLOT_BITS, page_hits
from storage.search.snippets import SearchHit

_LIKE_ESCAPE = "\\"
PROBE = 2000  # fewer matching documents than this: fetch them all and sort them here
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DOC = sa.table(DOC_TABLE, sa.column("key", sa.BigInteger),
                sa.column("evidence_id", sa.Integer), sa.column("live", sa.Boolean),
                sa.column("body", sa.Text), sa.column("pieces", postgresql.ARRAY(sa.Text)))


def find_hits(session: Session, terms: list[str], *, owner_id: int | None,
              negotiation_id: int | None, limit: int, offset: int) -> list[SearchHit]:
    """`storage.search.search` on PostgreSQL (its contract)."""
    count = offset + limit
    statement = _candidates(terms, owner_id, negotiation_id)
    unordered = statement.order_by(None)
    if session.execute(sa.select(sa.func.count()).select_from(
            unordered.limit(PROBE).subquery())).scalar_one() < PROBE:
        # Few matches: all of them through the GIN indexes, sorted here. The planner, guessing
        # how common a word is, would otherwise walk the whole key index for a rare one.
        found = sorted(session.execute(unordered).scalars().all(), reverse=True)
        return page_hits(session, _one_per_item(found)[offset:count], terms)
    # Many matches: walk the key index backwards, which a bitmap scan of the GIN indexes
    # (every match, then a sort) would not let stop early.
    session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    try:
        keys = _walk(session, statement, count)
    finally:
        session.execute(sa.text("RESET enable_bitmapscan"))
    return page_hits(session, keys[offset:count], terms)


def _walk(session: Session, statement: sa.Select, count: int) -> list[int]:
    """The first `count` items' preferred keys, fetched in batches in key order."""
    keys: list[int] = []
    last_key = last_item = None
    batch = 2 * count + 8  # an item may match in several of its documents
    while len(keys) < count:
        page = statement if last_key is None else statement.where(_DOC.c.key < last_key)
        found = session.execute(page.limit(batch)).scalars().all()
        for key in found:
            if key >> SLOT_BITS != last_item:
                last_item = key >> SLOT_BITS
                keys.append(key)
        if len(found) < batch:
            break
        last_key = found[-1]
        batch *= 2
    return keys


def _one_per_item(keys: list[int]) -> list[int]:
    return [key for n, key in enumerate(keys)
            if n == 0 or key >> SLOT_BITS != keys[n - 1] >> SLOT_BITS]


def _candidates(terms: list[str], owner_id: int | None, negotiation_id: int | None
                ) -> sa.Select:
    statement = sa.select(_DOC.c.key).where(_DOC.c.live).order_by(_DOC.c.key.desc())
    # The words go into the SQL as literals (literal_execute), so that the planner weighs each
    # plan for this word: a prepared statement's generic plan would guess one for every word.
    for term in terms:
        if len(term) >= SHORT_WORD:
            pattern = sa.literal(f"%{_escape_like(term)}%", sa.Text, literal_execute=True)
            statement = statement.where(_DOC.c.body.ilike(pattern, escape=_LIKE_ESCAPE))
    short = [t for t in terms if len(t) < SHORT_WORD]
    if short:
        statement = statement.where(_DOC.c.pieces.op("@>")(postgresql.array(
            [sa.literal(short_piece(t), sa.Text, literal_execute=True) for t in short])))
    if owner_id is None and negotiation_id is None:
        return statement
    evidence = Evidence.__table__
    statement = statement.join_from(_DOC, evidence, evidence.c.id == _DOC.c.evidence_id)
    if negotiation_id is not None:
        statement = statement.where(evidence.c.negotiation_id == negotiation_id)
    if owner_id is not None:
        negotiation, shared = Negotiation.__table__, NegotiationShare.__table__
        statement = statement.where(evidence.c.negotiation_id.in_(
            sa.select(negotiation.c.id).where(negotiation.c.owner_id == owner_id)
            .union(sa.select(shared.c.negotiation_id).where(shared.c.user_id == owner_id))))
    return statement


def short_piece(term: str) -> str:
    """A 1-2 character word as search_pieces() holds it (ASCII letters in lower case)."""
    return term.translate(_ASCII_LOWER)


def _escape_like(term: str) -> str:
    return (term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
            .replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_"))
