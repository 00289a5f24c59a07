"""Initial schema: accounts, negotiations, evidence, extracted text, jobs, custody log, search.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Search structures are dialect-specific and live only here, not in the models:
- SQLite: two external-content FTS5 tables with the trigram tokenizer (over extracted_text.text
  and evidence.note) kept in step by triggers, so no application code has to index anything.
- PostgreSQL: the pg_trgm extension (trusted since PostgreSQL 13, so a database owner may create
  it) and GIN trigram indexes that serve ILIKE '%...%'.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (storage.models.types may change).
ENUM = sa.String(length=32)
MONEY = sa.Numeric().with_variant(sa.Text(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)

SQLITE_SEARCH = [
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
    # Every evidence row is in the index, a NULL note as an empty document: FTS5 expects one
    # entry per content row ('rebuild' and 'integrity-check' assume it).
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
]

SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS evidence_note_fts_au",
    "DROP TRIGGER IF EXISTS evidence_note_fts_ad",
    "DROP TRIGGER IF EXISTS evidence_note_fts_ai",
    "DROP TABLE IF EXISTS evidence_note_fts",
    "DROP TRIGGER IF EXISTS extracted_text_fts_au",
    "DROP TRIGGER IF EXISTS extracted_text_fts_ad",
    "DROP TRIGGER IF EXISTS extracted_text_fts_ai",
    "DROP TABLE IF EXISTS extracted_text_fts",
]

POSTGRES_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_extracted_text_text_trgm ON extracted_text USING gin (text gin_trgm_ops)",
    "CREATE INDEX ix_evidence_note_trgm ON evidence USING gin (note gin_trgm_ops)",
]

# The extension stays: other schemas in the same database may use it.
POSTGRES_SEARCH_DROP = [
    "DROP INDEX IF EXISTS ix_evidence_note_trgm",
    "DROP INDEX IF EXISTS ix_extracted_text_text_trgm",
]


def _created_at() -> sa.Column:
    return sa.Column("created_at", WHEN, nullable=False)


def upgrade() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("role", ENUM, nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_user"),
        sa.UniqueConstraint("name", name="uq_user_name"),
    )
    op.create_table(
        "negotiation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("creditor", sa.String(), nullable=False),
        sa.Column("collection_agency", sa.String(), nullable=True),
        sa.Column("account_reference", sa.String(), nullable=True),
        sa.Column("principal", MONEY, nullable=True),
        sa.Column("outstanding", MONEY, nullable=True),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("overdue_since", sa.Date(), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("language", sa.String(), nullable=True),
        _created_at(),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name="fk_negotiation_owner_id_user"),
        sa.PrimaryKeyConstraint("id", name="pk_negotiation"),
    )
    op.create_index("ix_negotiation_owner_id", "negotiation", ["owner_id"])
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("channel", ENUM, nullable=True),
        sa.Column("direction", ENUM, nullable=False),
        sa.Column("counterpart_name", sa.String(), nullable=True),
        sa.Column("counterpart_number", sa.String(), nullable=True),
        sa.Column("occurred_at", WHEN, nullable=True),
        sa.Column("original_filename", sa.String(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob_id", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("extracted_metadata", JSON, nullable=False),
        _created_at(),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiation.id"],
                                name="fk_evidence_negotiation_id_negotiation"),
        sa.ForeignKeyConstraint(["parent_id"], ["evidence.id"], ondelete="SET NULL",
                                name="fk_evidence_parent_id_evidence"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], ondelete="SET NULL",
                                name="fk_evidence_created_by_user"),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.UniqueConstraint("blob_id", name="uq_evidence_blob_id"),
        sa.UniqueConstraint("negotiation_id", "sha256", name="uq_evidence_negotiation_id_sha256"),
    )
    op.create_index("ix_evidence_negotiation_id", "evidence", ["negotiation_id"])
    op.create_index("ix_evidence_sha256", "evidence", ["sha256"])
    op.create_table(
        "extracted_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("source", ENUM, nullable=False),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("segments", JSON, nullable=False),
        sa.Column("engine", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("edited", sa.Boolean(), nullable=False),
        _created_at(),
        sa.Column("edited_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"], ondelete="CASCADE",
                                name="fk_extracted_text_evidence_id_evidence"),
        sa.PrimaryKeyConstraint("id", name="pk_extracted_text"),
    )
    op.create_index("ix_extracted_text_evidence_id", "extracted_text", ["evidence_id"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_expires_at", WHEN, nullable=True),
        sa.Column("worker_id", sa.String(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _created_at(),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"], ondelete="CASCADE",
                                name="fk_job_evidence_id_evidence"),
        sa.PrimaryKeyConstraint("id", name="pk_job"),
    )
    op.create_index("ix_job_evidence_id", "job", ["evidence_id"])
    op.create_index("ix_job_status_kind", "job", ["status", "kind"])
    op.create_table(
        "custody_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", ENUM, nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name="fk_custody_event_actor_id_user"),
        sa.PrimaryKeyConstraint("seq", name="pk_custody_event"),
        sa.UniqueConstraint("prev_hash", name="uq_custody_event_prev_hash"),
    )
    for statement in _search_ddl(create=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _search_ddl(create=False):
        op.execute(statement)
    op.drop_table("custody_event")
    op.drop_index("ix_job_status_kind", table_name="job")
    op.drop_index("ix_job_evidence_id", table_name="job")
    op.drop_table("job")
    op.drop_index("ix_extracted_text_evidence_id", table_name="extracted_text")
    op.drop_table("extracted_text")
    op.drop_index("ix_evidence_sha256", table_name="evidence")
    op.drop_index("ix_evidence_negotiation_id", table_name="evidence")
    op.drop_table("evidence")
    op.drop_index("ix_negotiation_owner_id", table_name="negotiation")
    op.drop_table("negotiation")
    op.drop_table("user")


def _search_ddl(*, create: bool) -> list[str]:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        return SQLITE_SEARCH if create else SQLITE_SEARCH_DROP
    if dialect == "postgresql":
        return POSTGRES_SEARCH if create else POSTGRES_SEARCH_DROP
    raise RuntimeError(f"no search structures defined for the {dialect} database")
