"""Full-text search over extracted text (transcripts, OCR, email bodies, ...) and evidence notes.

The index itself is built by the migrations and kept in step by the database (FTS5 + triggers on
SQLite, pg_trgm GIN indexes on PostgreSQL); this module only queries it.

A query is split on whitespace; every word must occur (as a substring, case-insensitive for
ASCII). On SQLite words of 3+ characters go through FTS5 MATCH, each quoted as a phrase so that
nothing the user types is read as FTS syntax; 1-2 character words (most Chinese words) use LIKE,
which the trigram index cannot answer. PostgreSQL uses ILIKE for every word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from storage.models import Evidence, ExtractedText, Negotiation

# Names owned by revision 0001 (migrations/versions/0001_initial.py).
SQLITE_FTS_TABLES = ("extracted_text_fts", "evidence_note_fts")
POSTGRES_TRGM_INDEXES = ("ix_extracted_text_text_trgm", "ix_evidence_note_trgm")

NOTE_SOURCE = "note"
SNIPPET_CHARS = 80
_TRIGRAM = 3
_LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class SearchHit:
    evidence_id: int
    negotiation_id: int
    source: str  # "note" or a TextSource value
    snippet: str  # the text around the match, with the match marked [like this]


def search(session: Session, query: str, *, owner_id: int | None = None,
           negotiation_id: int | None = None, limit: int = 50) -> list[SearchHit]:
    """Find evidence whose extracted text or note contains every word of `query`.

    One hit per matching text or note, newest evidence first (by when it happened, else when it
    was stored). `owner_id` keeps to that account's negotiations; `negotiation_id` to one
    negotiation. A blank query returns []. Raises ValueError if `limit` < 1.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    terms = list(dict.fromkeys(query.split()))
    if not terms:
        return []
    fts = session.get_bind().dialect.name == "sqlite"
    branches = [_text_branch(terms, fts), _note_branch(terms, fts)]
    found = sa.union_all(*[_restrict(b, owner_id, negotiation_id) for b in branches]).subquery()
    rows = session.execute(
        sa.select(found.c.evidence_id, found.c.negotiation_id, found.c.source, found.c.body)
        .order_by(found.c.at.desc(), found.c.evidence_id.desc(), found.c.source)
        .limit(limit)
    ).all()
    return [
        SearchHit(evidence_id=row.evidence_id, negotiation_id=row.negotiation_id,
                  source=row.source, snippet=make_snippet(row.body, terms))
        for row in rows
    ]


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search tables/indexes the migrations create outside the models.

    Used by Alembic's include_object so autogenerate neither drops nor re-creates them.
    """
    if name is None:
        return False
    if type_ == "table":
        return any(name == t or name.startswith(f"{t}_") for t in SQLITE_FTS_TABLES)
    return type_ == "index" and name in POSTGRES_TRGM_INDEXES


def make_snippet(body: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of `body` around the first match, each match marked [so]."""
    flat = re.sub(r"\s", " ", body)  # one-for-one, so match offsets stay valid
    spans = sorted(
        (m.start(), m.end())
        for term in terms
        for m in re.finditer(re.escape(term), flat, re.IGNORECASE)
    )
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(flat), start + width)
    parts, cursor = [], start
    for s, e in _merge(spans):
        if s >= end:
            break
        if s < cursor:
            continue
        parts += [flat[cursor:s], "[", flat[s:e], "]"]
        cursor = e
    end = max(end, cursor)
    parts.append(flat[cursor:end])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    return prefix + "".join(parts).strip() + suffix


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _text_branch(terms: list[str], fts: bool) -> sa.Select:
    text, evidence = ExtractedText.__table__, Evidence.__table__
    joined = text.join(evidence, evidence.c.id == text.c.evidence_id)
    # type_coerce: the union's column must read back as a plain string, not as the enum.
    select = _select(evidence, sa.type_coerce(text.c.source, sa.String), text.c.text)
    return _match(select, joined, text.c.id, text.c.text, "extracted_text_fts", terms, fts)


def _note_branch(terms: list[str], fts: bool) -> sa.Select:
    evidence = Evidence.__table__
    select = _select(evidence, sa.literal(NOTE_SOURCE, sa.String), evidence.c.note)
    return _match(select, evidence, evidence.c.id, evidence.c.note, "evidence_note_fts", terms,
                  fts)


def _select(evidence: sa.Table, source: sa.ColumnElement, body: sa.ColumnElement) -> sa.Select:
    return sa.select(
        evidence.c.id.label("evidence_id"),
        evidence.c.negotiation_id.label("negotiation_id"),
        source.label("source"),
        body.label("body"),
        sa.func.coalesce(evidence.c.occurred_at, evidence.c.created_at).label("at"),
    )


def _match(select: sa.Select, joined: sa.FromClause, rowid: sa.Column, body: sa.Column,
           fts_table: str, terms: list[str], fts: bool) -> sa.Select:
    long_terms = [t for t in terms if len(t) >= _TRIGRAM] if fts else []
    like_terms = [t for t in terms if t not in long_terms]
    if long_terms:
        index = sa.table(fts_table, sa.column("rowid"))
        joined = joined.join(index, index.c.rowid == rowid)
        select = select.where(sa.literal_column(fts_table).op("MATCH")(_fts_phrases(long_terms)))
    for term in like_terms:
        pattern = f"%{_escape_like(term)}%"
        select = select.where(
            body.like(pattern, escape=_LIKE_ESCAPE) if fts
            else body.ilike(pattern, escape=_LIKE_ESCAPE)
        )
    return select.select_from(joined)


def _restrict(select: sa.Select, owner_id: int | None, negotiation_id: int | None) -> sa.Select:
    evidence = Evidence.__table__
    if negotiation_id is not None:
        select = select.where(evidence.c.negotiation_id == negotiation_id)
    if owner_id is not None:
        negotiation = Negotiation.__table__
        select = select.where(
            evidence.c.negotiation_id.in_(
                sa.select(negotiation.c.id).where(negotiation.c.owner_id == owner_id)
            )
        )
    return select


def _fts_phrases(terms: list[str]) -> str:
    # Each word a quoted FTS5 string ("" escapes a quote); juxtaposed strings mean AND.
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _escape_like(term: str) -> str:
    return (term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
            .replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_"))
