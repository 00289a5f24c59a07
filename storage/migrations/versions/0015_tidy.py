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


def downgrade() -> None:
    with op.batch_alter_table("negotiation") as batch:
        batch.drop_column("archive_reason")
        batch.drop_column("archived_at")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("purged_at")
        batch.drop_column("trash_reason")
        batch.drop_column("trashed_by")
        batch.drop_column("trashed_at")
