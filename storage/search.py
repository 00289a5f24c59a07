"""Full-text search over extracted text (transcripts, OCR, email bodies, ...), evidence notes and
evidence metadata (counterpart name and number, original file name, subject).

The text index is built by the migrations and kept in step by the database (FTS5 + triggers on
SQLite, pg_trgm GIN indexes on PostgreSQL); this module only queries it. Metadata is a handful of
short columns per item and is scanned with LIKE within the account's negotiations.

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

from storage.models import Evidence, ExtractedText, Negotiation, NegotiationShare

# Names owned by revision 0001 (migrations/versions/0001_initial.py).
SQLITE_FTS_TABLES = ("extracted_text_fts", "evidence_note_fts")
POSTGRES_TRGM_INDEXES = ("ix_extracted_text_text_trgm", "ix_evidence_note_trgm")

NOTE_SOURCE = "note"
METADATA_SOURCE = "metadata"
# Between the metadata fields in the searched string: a query word never holds whitespace, so it
# cannot match across two fields. Shown as METADATA_JOINER.
METADATA_SEPARATOR = "\n"
METADATA_JOINER = " · "
SNIPPET_CHARS = 80
_TRIGRAM = 3
_LIKE_ESCAPE = "\\"


# A piece of a snippet and whether it is a match: a caller marks matches its own way (the CLI
# with [brackets], the web app with <mark> after escaping the text).
Fragment = tuple[str, bool]


@dataclass(frozen=True)
class SearchHit:
    evidence_id: int
    negotiation_id: int
    source: str  # "note", "metadata" or a TextSource value
    fragments: tuple[Fragment, ...]  # the text around the match
    text_id: int | None = None  # the ExtractedText row, for a hit in extracted text

    @property
    def snippet(self) -> str:
        """The snippet as one string, each match marked [like this]."""
        return "".join(f"[{text}]" if match else text for text, match in self.fragments)


def query_terms(query: str) -> list[str]:
    """The words of a query, each once, in order: every one of them must occur in a hit."""
    return list(dict.fromkeys(query.split()))


def search(session: Session, query: str, *, owner_id: int | None = None,
           negotiation_id: int | None = None, limit: int = 50, offset: int = 0
           ) -> list[SearchHit]:
    """Find evidence whose extracted text, note or metadata contains every word of `query`.

    One hit per matching item (the newest of its matching texts, else its note, else its
    metadata), newest evidence first by when it happened; the items whose time is unknown come
    first, as on the timeline (newest intake first), never placed by their upload time among
    the dated ones. `offset` skips that many hits (for
    pages). `owner_id` keeps to the negotiations that account owns or was shared;
    `negotiation_id` to one negotiation. A blank query returns [].
    Raises ValueError if `limit` < 1 or `offset` < 0.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must not be negative, got {offset}")
    terms = query_terms(query)
    if not terms:
        return []
    fts = session.get_bind().dialect.name == "sqlite"
    branches = [_text_branch(terms, fts), _note_branch(terms, fts), _metadata_branch(terms, fts)]
    found = sa.union_all(*[_restrict(b, owner_id, negotiation_id) for b in branches]).subquery()
    # One hit per item (a file whose name and text both match is one result, not two): its
    # newest matching text, which can open the moment, else its note, else its details.
    preference = sa.case((found.c.source == METADATA_SOURCE, 2),
                         (found.c.source == NOTE_SOURCE, 1), else_=0)
    ranked = sa.select(found, sa.func.row_number().over(
        partition_by=found.c.evidence_id,
        order_by=(preference, found.c.text_id.desc())).label("rank")).subquery()
    rows = session.execute(
        sa.select(ranked.c.evidence_id, ranked.c.negotiation_id, ranked.c.source, ranked.c.body,
                  ranked.c.text_id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.undated.desc(), ranked.c.at.desc(), ranked.c.evidence_id.desc())
        .limit(limit).offset(offset)
    ).all()
    return [
        SearchHit(evidence_id=row.evidence_id, negotiation_id=row.negotiation_id,
                  source=row.source, text_id=row.text_id,
                  fragments=snippet_fragments(_readable(row.source, row.body), terms))
        for row in rows
    ]


def locate_segment(text: str, segments: list[dict], terms: list[str]) -> int | None:
    """The index of the segment (of an ExtractedText) that holds the first match in `text`, so
    a result can link to that moment of a recording or that message of a chat; None if no
    segment does.

    The text is the segments' texts joined; where it no longer lines up with them (a person
    edited it), the first segment that itself contains a word is taken.
    """
    pattern = _pattern(terms)
    first = pattern.search(text)
    if first is not None:
        cursor = 0
        for index, segment in enumerate(segments):
            piece = segment.get("text") or ""
            found = text.find(piece, cursor) if piece else -1
            if found < 0:
                break
            cursor = found + len(piece)
            if first.start() < cursor:
                return index
    for index, segment in enumerate(segments):
        if pattern.search(segment.get("text") or ""):
            return index
    return None


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
    return SearchHit(0, 0, "", snippet_fragments(body, terms, width)).snippet


def snippet_fragments(body: str, terms: list[str], width: int = SNIPPET_CHARS
                      ) -> tuple[Fragment, ...]:
    """About `width` characters of `body` around the first match, as fragments; "…" where
    text was cut off."""
    flat = re.sub(r"\s", " ", body)  # one-for-one, so match offsets stay valid
    spans = _merge(sorted(
        (m.start(), m.end())
        for term in terms
        for m in re.finditer(re.escape(term), flat, re.IGNORECASE)
    ))
    start = max(0, spans[0][0] - width // 3) if spans else 0
    end = min(len(flat), start + width)
    pieces: list[Fragment] = []
    cursor = start
    for s, e in spans:
        if s >= end:
            break
        pieces += [(flat[cursor:s], False), (flat[s:e], True)]
        cursor = e
    end = max(end, cursor)
    pieces.append((flat[cursor:end], False))
    # Matches never hold a space (query words are split on whitespace), so only the plain text
    # at either end is stripped.
    pieces[0] = (pieces[0][0].lstrip(), pieces[0][1])
    pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    if start > 0:
        pieces.insert(0, ("…", False))
    if end < len(flat):
        pieces.append(("…", False))
    return tuple(piece for piece in pieces if piece[0])


def _pattern(terms: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE)


def _readable(source: str, body: str) -> str:
    if source != METADATA_SOURCE:
        return body
    return METADATA_JOINER.join(part for part in body.split(METADATA_SEPARATOR) if part)


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
    select = _select(evidence, sa.type_coerce(text.c.source, sa.String), text.c.text,
                     text.c.id)
    return _match(select, joined, text.c.id, text.c.text, "extracted_text_fts", terms, fts)


def _note_branch(terms: list[str], fts: bool) -> sa.Select:
    evidence = Evidence.__table__
    select = _select(evidence, sa.literal(NOTE_SOURCE, sa.String), evidence.c.note)
    return _match(select, evidence, evidence.c.id, evidence.c.note, "evidence_note_fts", terms,
                  fts)


def _metadata_branch(terms: list[str], fts: bool) -> sa.Select:
    evidence = Evidence.__table__
    fields = [evidence.c.counterpart_name, evidence.c.counterpart_number,
              evidence.c.original_filename, evidence.c.subject]
    body = sa.func.coalesce(fields[0], "")
    for field in fields[1:]:
        body = body + METADATA_SEPARATOR + sa.func.coalesce(field, "")
    select = _select(evidence, sa.literal(METADATA_SOURCE, sa.String), body)
    return _like_all(select, body, terms, fts).select_from(evidence)


def _select(evidence: sa.Table, source: sa.ColumnElement, body: sa.ColumnElement,
            text_id: sa.ColumnElement | None = None) -> sa.Select:
    return sa.select(
        evidence.c.id.label("evidence_id"),
        evidence.c.negotiation_id.label("negotiation_id"),
        source.label("source"),
        body.label("body"),
        evidence.c.occurred_at.label("at"),
        sa.case((evidence.c.occurred_at.is_(None), 1), else_=0).label("undated"),
        (text_id if text_id is not None else sa.cast(sa.null(), sa.Integer)).label("text_id"),
    )


def _match(select: sa.Select, joined: sa.FromClause, rowid: sa.Column, body: sa.Column,
           fts_table: str, terms: list[str], fts: bool) -> sa.Select:
    long_terms = [t for t in terms if len(t) >= _TRIGRAM] if fts else []
    like_terms = [t for t in terms if t not in long_terms]
    if long_terms:
        index = sa.table(fts_table, sa.column("rowid"))
        joined = joined.join(index, index.c.rowid == rowid)
        select = select.where(sa.literal_column(fts_table).op("MATCH")(_fts_phrases(long_terms)))
    return _like_all(select, body, like_terms, fts).select_from(joined)


def _like_all(select: sa.Select, body: sa.ColumnElement, terms: list[str], sqlite: bool
              ) -> sa.Select:
    # SQLite's LIKE already ignores ASCII case; PostgreSQL needs ILIKE for that.
    for term in terms:
        pattern = f"%{_escape_like(term)}%"
        select = select.where(
            body.like(pattern, escape=_LIKE_ESCAPE) if sqlite
            else body.ilike(pattern, escape=_LIKE_ESCAPE)
        )
    return select


def _restrict(select: sa.Select, owner_id: int | None, negotiation_id: int | None) -> sa.Select:
    evidence = Evidence.__table__
    # An item in the trash is out of the record (logger.record.trash).
    select = select.where(evidence.c.trashed_at.is_(None))
    if negotiation_id is not None:
        select = select.where(evidence.c.negotiation_id == negotiation_id)
    if owner_id is not None:
        negotiation, shared = Negotiation.__table__, NegotiationShare.__table__
        select = select.where(
            evidence.c.negotiation_id.in_(
                sa.select(negotiation.c.id).where(negotiation.c.owner_id == owner_id)
                .union(sa.select(shared.c.negotiation_id).where(shared.c.user_id == owner_id))
            )
        )
    return select


def _fts_phrases(terms: list[str]) -> str:
    # Each word a quoted FTS5 string ("" escapes a quote); juxtaposed strings mean AND.
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _escape_like(term: str) -> str:
    return (term.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
            .replace("%", _LIKE_ESCAPE + "%").replace("_", _LIKE_ESCAPE + "_"))
