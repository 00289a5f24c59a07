"""The search index: one ordered full-text index per item and a bigram index for 1-2 character words (issue 17).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

SQLite. Every item has documents: its details (slot 0: counterpart name and number, original
file name, subject, one field a line), its note (slot 1) and each of its extracted texts (slots
2..255, in the order they were stored, so a newer text has a higher slot). `search_doc` gives
each document a key that is also its rowid in the two FTS5 tables, so that the index's rowid
order is the result order and `ORDER BY rowid DESC` can stop at the first page:

    bit 62        1 when the item's time is unknown (those come first, as on the timeline)
    bits 30..61   occurred_at in whole seconds since 1970, clamped to 0..2**32-1 (0 if unknown)
    bits 8..29    the evidence id (ties within one second: the newer item first)
    bits 0..7     the slot

An item's documents share bits 8..62 and so lie together, its newest text first. Limits, which
the triggers enforce with an error rather than a wrong order: evidence ids up to 4,194,303 and
254 texts stored per item (a slot freed by a deleted text is not reused). Items in the same
second are ordered by id, not by their fractions of a second.

- `search_text` (trigram, contentless) holds each document's text for words of 3+ characters.
- `search_short` (unicode61, contentless, no positions) holds each document's 1- and 2-character
  pieces for shorter words: the text in lower case (ASCII only, as LIKE compares), cut into every
  character and every pair of neighbouring characters, each written as its UTF-8 bytes in hex so
  that punctuation survives the tokenizer. A 1-2 character word is then one token lookup.
Triggers on evidence and extracted_text keep all three in step (an item in the trash has no
entries in the FTS tables; a new time re-keys its documents). The two FTS5 tables of 0001 go.

PostgreSQL gets the same documents and keys (see POSTGRES_CREATE).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_EVIDENCE_ID = (1 << 22) - 1
MAX_SLOT = (1 << 8) - 1
FIRST_TEXT_SLOT = 2

ITEM_KEY = ("((CASE WHEN {e}.occurred_at IS NULL THEN 4611686018427387904 "
            "ELSE (min(max(coalesce(unixepoch({e}.occurred_at), 0), 0), 4294967295) << 30) END)"
            " | ({e}.id << 8))")

# The byte length of the UTF-8 character that starts at byte {p} of blob b.
_CHAR_BYTES = ("(CASE WHEN substr(b, {p}, 1) < x'80' THEN 1 WHEN substr(b, {p}, 1) < x'E0' THEN 2 "
               "WHEN substr(b, {p}, 1) < x'F0' THEN 3 ELSE 4 END)")
# Every character and pair of neighbouring characters of {text}, lower-cased (ASCII) and in hex,
# space-separated. Walks a blob, whose substr is by byte and constant time (a text's is not).
SHORT_PIECES = (
    "(WITH RECURSIVE piece(p, w, b) AS ("
    f"SELECT 1, {_CHAR_BYTES.format(p=1)}, b FROM (SELECT CAST(lower({{text}}) AS BLOB) AS b) "
    "WHERE length(b) > 0 "
    f"UNION ALL SELECT p + w, {_CHAR_BYTES.format(p='p + w')}, b FROM piece "
    "WHERE p + w <= length(b)) "
    "SELECT group_concat(hex(substr(b, p, w)) || ' ' || "
    f"hex(substr(b, p, w + {_CHAR_BYTES.format(p='p + w')})), ' ') "
    "FROM piece WHERE substr(b, p, 1) NOT IN (x'20', x'0A'))"
)

METADATA_BODY = ("coalesce(e.counterpart_name, '') || char(10) || "
                 "coalesce(e.counterpart_number, '') || char(10) || "
                 "coalesce(e.original_filename, '') || char(10) || coalesce(e.subject, '')")

CREATE = [
    "CREATE TABLE search_doc (key INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL, "
    "text_id INTEGER)",
    "CREATE INDEX ix_search_doc_evidence_id ON search_doc (evidence_id)",
    "CREATE UNIQUE INDEX ix_search_doc_text_id ON search_doc (text_id)",
    # What each document says, for the items out of the trash.
    f"""CREATE VIEW search_body AS SELECT d.key, d.evidence_id, d.text_id,
        CASE d.key & {MAX_SLOT} WHEN 0 THEN {METADATA_BODY} WHEN 1 THEN coalesce(e.note, '')
        ELSE x.text END AS body
        FROM search_doc d JOIN evidence e ON e.id = d.evidence_id
        LEFT JOIN extracted_text x ON x.id = d.text_id
        WHERE e.trashed_at IS NULL""",
    "CREATE VIRTUAL TABLE search_text USING fts5(body, content='', contentless_delete=1, "
    "tokenize='trigram')",
    "CREATE VIRTUAL TABLE search_short USING fts5(body, content='', contentless_delete=1, "
    "tokenize='unicode61', detail=none)",
]


def _index(where: str) -> list[str]:
    """Put the documents of search_body that match `where` into both FTS tables."""
    return [f"INSERT INTO search_text(rowid, body) SELECT key, body FROM search_body WHERE {where}",
            "INSERT INTO search_short(rowid, body) SELECT key, "
            f"{SHORT_PIECES.format(text='body')} FROM search_body WHERE {where}"]


def _unindex(keys: str) -> list[str]:
    """Take the documents whose keys `keys` selects out of both FTS tables (a key that is not
    there is no error)."""
    return [f"DELETE FROM search_text WHERE rowid IN ({keys})",
            f"DELETE FROM search_short WHERE rowid IN ({keys})"]


_ITEM_KEYS = "SELECT key FROM search_doc WHERE evidence_id = {id}"
_TEXT_KEY = "SELECT key FROM search_doc WHERE text_id = {id}"
_TOO_MANY = (f"SELECT RAISE(ABORT, 'search index: an item holds at most "
             f"{MAX_SLOT - FIRST_TEXT_SLOT + 1} texts') "
             "WHERE (SELECT max(key & {slot}) FROM search_doc WHERE evidence_id = new.evidence_id) "
             ">= {slot} AND NOT EXISTS (SELECT 1 FROM search_doc WHERE text_id = new.id)"
             ).format(slot=MAX_SLOT)
_ADD_TEXT_DOC = (
    "INSERT INTO search_doc(key, evidence_id, text_id) "
    f"SELECT {ITEM_KEY.format(e='e')} | coalesce((SELECT max(key & {MAX_SLOT}) + 1 "
    f"FROM search_doc WHERE evidence_id = e.id AND text_id IS NOT NULL), {FIRST_TEXT_SLOT}), "
    "e.id, new.id FROM evidence e WHERE e.id = new.evidence_id "
    "AND NOT EXISTS (SELECT 1 FROM search_doc WHERE text_id = new.id)"
)

_EVIDENCE_FIELDS = ("occurred_at", "trashed_at", "note", "counterpart_name",
                    "counterpart_number", "original_filename", "subject")


def _trigger(name: str, event: str, body: list[str], when: str = "") -> str:
    statements = "".join(f"    {statement};\n" for statement in body)
    return f"CREATE TRIGGER {name} {event}{f' WHEN {when}' if when else ''} BEGIN\n{statements}END"


TRIGGERS = {
    "search_evidence_ai": _trigger("search_evidence_ai", "AFTER INSERT ON evidence", [
        f"SELECT RAISE(ABORT, 'search index: evidence ids go up to {MAX_EVIDENCE_ID}') "
        f"WHERE new.id > {MAX_EVIDENCE_ID}",
        "INSERT INTO search_doc(key, evidence_id) "
        f"SELECT {ITEM_KEY.format(e='new')} | slot, new.id FROM (SELECT 0 AS slot UNION ALL "
        "SELECT 1)",
        *_index("evidence_id = new.id"),
    ]),
    # A new time re-keys the item's documents; trash takes them out of the FTS tables (the
    # search_body view leaves them out) and a restore puts them back.
    "search_evidence_au": _trigger(
        "search_evidence_au", f"AFTER UPDATE OF {', '.join(_EVIDENCE_FIELDS)} ON evidence", [
            *_unindex(_ITEM_KEYS.format(id="old.id")),
            f"UPDATE search_doc SET key = {ITEM_KEY.format(e='new')} | (key & {MAX_SLOT}) "
            "WHERE evidence_id = new.id",
            *_index("evidence_id = new.id"),
        ], when=" OR ".join(f"old.{f} IS NOT new.{f}" for f in _EVIDENCE_FIELDS)),
    "search_evidence_ad": _trigger("search_evidence_ad", "AFTER DELETE ON evidence", [
        *_unindex(_ITEM_KEYS.format(id="old.id")),
        "DELETE FROM search_doc WHERE evidence_id = old.id",
    ]),
    "search_text_ai": _trigger("search_text_ai", "AFTER INSERT ON extracted_text", [
        _TOO_MANY, _ADD_TEXT_DOC, *_index("text_id = new.id"),
    ]),
    # A changed text keeps its key; a text moved to another item gets a slot there.
    "search_text_au": _trigger(
        "search_text_au", "AFTER UPDATE OF text, evidence_id ON extracted_text", [
            *_unindex(_TEXT_KEY.format(id="old.id")),
            "DELETE FROM search_doc WHERE text_id = old.id AND old.evidence_id IS NOT "
            "new.evidence_id",
            _TOO_MANY, _ADD_TEXT_DOC, *_index("text_id = new.id"),
        ], when="old.text IS NOT new.text OR old.evidence_id IS NOT new.evidence_id"),
    "search_text_ad": _trigger("search_text_ad", "AFTER DELETE ON extracted_text", [
        *_unindex(_TEXT_KEY.format(id="old.id")),
        "DELETE FROM search_doc WHERE text_id = old.id",
    ]),
}

BACKFILL = [
    "INSERT INTO search_doc(key, evidence_id) "
    f"SELECT {ITEM_KEY.format(e='e')} | slot, e.id FROM evidence e, "
    "(SELECT 0 AS slot UNION ALL SELECT 1)",
    "INSERT INTO search_doc(key, evidence_id, text_id) "
    f"SELECT {ITEM_KEY.format(e='e')} | ({FIRST_TEXT_SLOT - 1} + row_number() OVER "
    "(PARTITION BY x.evidence_id ORDER BY x.id)), e.id, x.id "
    "FROM extracted_text x JOIN evidence e ON e.id = x.evidence_id",
    *_index("1"),
]

DROP = [*(f"DROP TRIGGER {name}" for name in reversed(TRIGGERS)),
        "DROP TABLE search_short", "DROP TABLE search_text", "DROP VIEW search_body",
        "DROP TABLE search_doc"]

# Revision 0001's structures, as it made them.
OLD_FTS = [
    """CREATE VIRTUAL TABLE extracted_text_fts USING fts5(
        text, content='extracted_text', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER extracted_text_fts_ai AFTER INSERT ON extracted_text BEGIN
        INSERT INTO extracted_text_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER extracted_text_fts_ad AFTER DELETE ON extracted_text BEGIN
        INSERT INTO extracted_text_fts(extracted_text_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER extracted_text_fts_au AFTER UPDATE OF text ON extracted_text BEGIN
        INSERT INTO extracted_text_fts(extracted_text_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
        INSERT INTO extracted_text_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE VIRTUAL TABLE evidence_note_fts USING fts5(
        note, content='evidence', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER evidence_note_fts_ai AFTER INSERT ON evidence BEGIN
        INSERT INTO evidence_note_fts(rowid, note) VALUES (new.id, new.note);
    END""",
    """CREATE TRIGGER evidence_note_fts_ad AFTER DELETE ON evidence BEGIN
        INSERT INTO evidence_note_fts(evidence_note_fts, rowid, note)
        VALUES ('delete', old.id, old.note);
    END""",
    """CREATE TRIGGER evidence_note_fts_au AFTER UPDATE OF note ON evidence BEGIN
        INSERT INTO evidence_note_fts(evidence_note_fts, rowid, note)
        VALUES ('delete', old.id, old.note);
        INSERT INTO evidence_note_fts(rowid, note) VALUES (new.id, new.note);
    END""",
    "INSERT INTO extracted_text_fts(extracted_text_fts) VALUES ('rebuild')",
    "INSERT INTO evidence_note_fts(evidence_note_fts) VALUES ('rebuild')",
]
OLD_FTS_DROP = [f"DROP TRIGGER {table}_{event}" for table in ("evidence_note_fts",
                                                               "extracted_text_fts")
                for event in ("au", "ad", "ai")] + [
    "DROP TABLE evidence_note_fts", "DROP TABLE extracted_text_fts"]


# PostgreSQL: the same keys and slots in `search_doc`, which also holds each document's text
# (`body`, under a pg_trgm GIN index) and its pieces (`pieces`: every character and pair of
# characters, ASCII lower-cased, under a GIN array index), a `live` flag for the trash, and rows that go
# with their item or text (ON DELETE CASCADE). The indexes of 0001 over the texts and notes go.
POSTGRES_CREATE = [
    """CREATE TABLE search_doc (
        key bigint PRIMARY KEY,
        evidence_id integer NOT NULL REFERENCES evidence (id) ON DELETE CASCADE,
        text_id integer REFERENCES extracted_text (id) ON DELETE CASCADE,
        live boolean NOT NULL,
        body text NOT NULL,
        pieces text[] NOT NULL)""",
    "CREATE INDEX ix_search_doc_evidence_id ON search_doc (evidence_id)",
    "CREATE UNIQUE INDEX ix_search_doc_text_id ON search_doc (text_id)",
    """CREATE FUNCTION search_item_key(at timestamptz, id integer) RETURNS bigint
        LANGUAGE sql IMMUTABLE AS $$
        SELECT (CASE WHEN at IS NULL THEN 4611686018427387904
                ELSE (least(greatest(floor(extract(epoch FROM at)), 0), 4294967295)::bigint
                      << 30) END) | (id::bigint << 8) $$""",
    # Linear in the text: lead() over the characters (indexing a text[] walks it from the start).
    """CREATE FUNCTION search_pieces(body text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
        SELECT coalesce(array_agg(DISTINCT piece), '{}') FROM (
            SELECT ch, lead(ch) OVER (ORDER BY n) AS next
            FROM unnest(string_to_array(translate(body, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                 'abcdefghijklmnopqrstuvwxyz'), NULL)) WITH ORDINALITY AS chars (ch, n)
        ) AS pairs CROSS JOIN LATERAL unnest(ARRAY[ch, ch || coalesce(next, '')]) AS piece
        WHERE ch !~ '\\s' $$""",
    f"""CREATE FUNCTION search_evidence_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        details text := coalesce(NEW.counterpart_name, '') || E'\\n' ||
            coalesce(NEW.counterpart_number, '') || E'\\n' ||
            coalesce(NEW.original_filename, '') || E'\\n' || coalesce(NEW.subject, '');
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.id > {MAX_EVIDENCE_ID} THEN
                RAISE EXCEPTION 'search index: evidence ids go up to {MAX_EVIDENCE_ID}';
            END IF;
            INSERT INTO search_doc (key, evidence_id, live, body, pieces)
            SELECT search_item_key(NEW.occurred_at, NEW.id) | slot, NEW.id,
                   NEW.trashed_at IS NULL, body, search_pieces(body)
            FROM (VALUES (0, details), (1, coalesce(NEW.note, ''))) AS doc (slot, body);
            RETURN NULL;
        END IF;
        IF NEW.occurred_at IS DISTINCT FROM OLD.occurred_at
                OR NEW.trashed_at IS DISTINCT FROM OLD.trashed_at THEN
            UPDATE search_doc SET key = search_item_key(NEW.occurred_at, NEW.id) | (key & 255),
                live = NEW.trashed_at IS NULL WHERE evidence_id = NEW.id;
        END IF;
        IF (NEW.counterpart_name, NEW.counterpart_number, NEW.original_filename, NEW.subject)
                IS DISTINCT FROM (OLD.counterpart_name, OLD.counterpart_number,
                                  OLD.original_filename, OLD.subject) THEN
            UPDATE search_doc SET body = details, pieces = search_pieces(details)
            WHERE evidence_id = NEW.id AND key & 255 = 0;
        END IF;
        IF NEW.note IS DISTINCT FROM OLD.note THEN
            UPDATE search_doc SET body = coalesce(NEW.note, ''),
                pieces = search_pieces(NEW.note) WHERE evidence_id = NEW.id AND key & 255 = 1;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION search_text_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        slot integer;
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.evidence_id = OLD.evidence_id THEN
            UPDATE search_doc SET body = NEW.text, pieces = search_pieces(NEW.text)
            WHERE text_id = NEW.id;
            RETURN NULL;
        END IF;
        DELETE FROM search_doc WHERE text_id = NEW.id;
        SELECT coalesce(max(key & 255) + 1, {FIRST_TEXT_SLOT}) INTO slot FROM search_doc
        WHERE evidence_id = NEW.evidence_id AND text_id IS NOT NULL;
        IF slot > {MAX_SLOT} THEN
            RAISE EXCEPTION 'search index: an item holds at most {MAX_SLOT - FIRST_TEXT_SLOT + 1} texts';
        END IF;
        INSERT INTO search_doc (key, evidence_id, text_id, live, body, pieces)
        SELECT search_item_key(e.occurred_at, e.id) | slot, e.id, NEW.id, e.trashed_at IS NULL,
               NEW.text, search_pieces(NEW.text)
        FROM evidence e WHERE e.id = NEW.evidence_id;
        RETURN NULL;
    END $$""",
]
POSTGRES_BACKFILL = [
    "INSERT INTO search_doc (key, evidence_id, live, body, pieces) "
    "SELECT search_item_key(e.occurred_at, e.id) | doc.slot, e.id, e.trashed_at IS NULL, "
    "doc.body, search_pieces(doc.body) FROM evidence e CROSS JOIN LATERAL (VALUES "
    "(0, coalesce(e.counterpart_name, '') || E'\\n' || coalesce(e.counterpart_number, '') || "
    "E'\\n' || coalesce(e.original_filename, '') || E'\\n' || coalesce(e.subject, '')), "
    "(1, coalesce(e.note, ''))) AS doc (slot, body)",
    "INSERT INTO search_doc (key, evidence_id, text_id, live, body, pieces) "
    "SELECT search_item_key(e.occurred_at, e.id) | "
    f"({FIRST_TEXT_SLOT - 1} + row_number() OVER (PARTITION BY x.evidence_id ORDER BY x.id)), "
    "e.id, x.id, e.trashed_at IS NULL, x.text, search_pieces(x.text) "
    "FROM extracted_text x JOIN evidence e ON e.id = x.evidence_id",
    # Built after the rows are in: much faster than row by row.
    "CREATE INDEX ix_search_doc_body_trgm ON search_doc USING gin (body gin_trgm_ops)",
    "CREATE INDEX ix_search_doc_pieces ON search_doc USING gin (pieces)",
    "CREATE TRIGGER search_evidence AFTER INSERT OR UPDATE ON evidence "
    "FOR EACH ROW EXECUTE FUNCTION search_evidence_changed()",
    "CREATE TRIGGER search_text AFTER INSERT OR UPDATE OF text, evidence_id ON extracted_text "
    "FOR EACH ROW EXECUTE FUNCTION search_text_changed()",
    "DROP INDEX ix_evidence_note_trgm",
    "DROP INDEX ix_extracted_text_text_trgm",
]
POSTGRES_DROP = [
    "DROP TRIGGER search_text ON extracted_text", "DROP TRIGGER search_evidence ON evidence",
    "DROP TABLE search_doc", "DROP FUNCTION search_text_changed()",
    "DROP FUNCTION search_evidence_changed()", "DROP FUNCTION search_pieces(text)",
    "DROP FUNCTION search_item_key(timestamptz, integer)",
    "CREATE INDEX ix_extracted_text_text_trgm ON extracted_text USING gin (text gin_trgm_ops)",
    "CREATE INDEX ix_evidence_note_trgm ON evidence USING gin (note gin_trgm_ops)",
]


def upgrade() -> None:
    _refuse_what_the_keys_cannot_hold()
    if op.get_context().dialect.name == "postgresql":
        for statement in [*POSTGRES_CREATE, *POSTGRES_BACKFILL]:
            op.execute(statement)
        return
    for statement in [*OLD_FTS_DROP, *CREATE, *BACKFILL, *TRIGGERS.values()]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for statement in POSTGRES_DROP:
            op.execute(statement)
        return
    for statement in [*DROP, *OLD_FTS]:
        op.execute(statement)


def _refuse_what_the_keys_cannot_hold() -> None:
    bind = op.get_bind()
    top = bind.exec_driver_sql("SELECT max(id) FROM evidence").scalar()
    if top is not None and top > MAX_EVIDENCE_ID:
        raise RuntimeError(f"the search index holds evidence ids up to {MAX_EVIDENCE_ID}; this "
                           f"database has {top}")
    most = bind.exec_driver_sql("SELECT max(n) FROM (SELECT count(*) AS n FROM extracted_text "
                                "GROUP BY evidence_id) AS per_item").scalar()
    if most is not None and most > MAX_SLOT - FIRST_TEXT_SLOT + 1:
        raise RuntimeError(f"the search index holds {MAX_SLOT - FIRST_TEXT_SLOT + 1} texts per "
                           f"item; an item in this database has {most}")
