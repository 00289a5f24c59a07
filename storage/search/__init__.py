"""Full-text search over extracted text (transcripts, OCR, email bodies, ...), evidence notes and
evidence metadata (counterpart name and number, original file name, subject).

The index is built by the migrations and kept in step by the database, so no application code
has to index anything: one document per item's details, note and text, keyed in result order
(migration 0018), in FTS5 tables on SQLite (`ordered`) and under GIN indexes on PostgreSQL
(`postgres`). This package only queries it; `snippets`
turns what was found into what a hit shows. It imports the models and nothing of logger/ or web/.

A query is split on whitespace; every word must occur (as a substring, case-insensitive for
ASCII) in one text, the note or the details of an item. Nothing the user types is read as FTS
or LIKE syntax.
"""

from __future__ import annotations

from sqlmodel import Session

from storage.search import ordered, postgres
from storage.search.snippets import (METADATA_JOINER, METADATA_SEPARATOR, METADATA_SOURCE,
                                     NOTE_SOURCE, SNIPPET_CHARS, Fragment, SearchHit,
                                     locate_segment, make_snippet, query_terms,
                                     snippet_fragments)

__all__ = ["METADATA_JOINER", "METADATA_SEPARATOR", "METADATA_SOURCE", "NOTE_SOURCE",
           "SNIPPET_CHARS", "Fragment", "SearchHit", "is_search_object", "locate_segment",
           "make_snippet", "query_terms", "search", "snippet_fragments"]

# Names owned by revision 0018 (migrations/versions/0018_search_index.py).
SQLITE_FTS_TABLES = (ordered.TEXT_TABLE, ordered.SHORT_TABLE)
SEARCH_TABLES = (ordered.DOC_TABLE,)
SEARCH_INDEXES = ("ix_search_doc_evidence_id", "ix_search_doc_text_id", "ix_search_doc_pieces")
SQLITE_SEARCH_TRIGGERS = tuple(f"search_{table}_{event}" for table in ("evidence", "text")
                               for event in ("ai", "au", "ad"))
POSTGRES_TRGM_INDEXES = ("ix_search_doc_body_trgm",)


def search(session: Session, query: str, *, owner_id: int | None = None,
           negotiation_id: int | None = None, limit: int = 50, offset: int = 0
           ) -> list[SearchHit]:
    """Find evidence whose extracted text, note or metadata contains every word of `query`.

    One hit per matching item (the newest of its matching texts, else its note, else its
    metadata), newest evidence first by when it happened; the items whose time is unknown come
    first, as on the timeline (newest intake first), never placed by their upload time among
    the dated ones. `offset` skips that many hits (for pages). `owner_id` keeps to the
    negotiations that account owns or was shared; `negotiation_id` to one negotiation. Items in
    the trash are left out. A blank query returns [].
    Raises ValueError if `limit` < 1 or `offset` < 0.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must not be negative, got {offset}")
    terms = query_terms(query)
    if not terms:
        return []
    engine = ordered if session.get_bind().dialect.name == "sqlite" else postgres
    return engine.find_hits(session, terms, owner_id=owner_id, negotiation_id=negotiation_id,
                            limit=limit, offset=offset)


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search tables/indexes the migrations create outside the models.

    Used by Alembic's include_object so autogenerate neither drops nor re-creates them.
    """
    if name is None:
        return False
    if type_ == "table":
        return name in SEARCH_TABLES or any(
            name == t or name.startswith(f"{t}_") for t in SQLITE_FTS_TABLES)
    return type_ == "index" and name in (*POSTGRES_TRGM_INDEXES, *SEARCH_INDEXES)
