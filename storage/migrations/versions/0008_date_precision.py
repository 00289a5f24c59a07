"""Date-only precision for promises, suggestions, payments and hand-recorded contacts, and what a
suggestion's relative day was counted from.

A date typed without a clock time stays a date: `*_precision` says "day" (only the date is
known) or "minute" (a clock time was given). Rows already stored keep "minute": what they say
is what they were given, and guessing which ones were once dates would be a guess.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision.
ENUM = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
PRECISION_COLUMNS = (("promise", "due_precision"), ("promise_suggestion", "due_precision"),
                     ("payment", "paid_precision"), ("contact_entry", "occurred_precision"))


def upgrade() -> None:
    for table, column in PRECISION_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, ENUM, nullable=False,
                                       server_default="minute"))
    with op.batch_alter_table("promise_suggestion") as batch:
        batch.add_column(sa.Column("due_basis", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("promise_suggestion") as batch:
        batch.drop_column("due_basis")
    for table, column in reversed(PRECISION_COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
