"""Keeping the record tidy: an item in the trash (when, by whom, why; purged once its original
is deleted) and an archived negotiation (when, why).

Every new column is nullable and empty on existing rows: nothing stored before was in the
trash or archived.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision.
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("trashed_at", WHEN, nullable=True))
        batch.add_column(sa.Column("trashed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("trash_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("purged_at", WHEN, nullable=True))
    with op.batch_alter_table("negotiation") as batch:
        batch.add_column(sa.Column("archived_at", WHEN, nullable=True))
        batch.add_column(sa.Column("archive_reason", sa.String(), nullable=True))


DROPPED = {"negotiation": ("archive_reason", "archived_at"),
           "evidence": ("purged_at", "trash_reason", "trashed_by", "trashed_at")}


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in DROPPED.items():
        if sqlite:
            # Native DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the table, which
            # the foreign keys of the rows that point at it refuse (see 0003_web).
            for column in columns:
                op.execute(f'ALTER TABLE "{table}" DROP COLUMN {column}')
            continue
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
