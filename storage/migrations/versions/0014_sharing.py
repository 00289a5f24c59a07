"""Sharing a negotiation with a helper (`negotiation_share`: viewer or editor) and managing
members (`user.must_change_password` after a reset by the owner or an admin, `user.disabled_at`
for an account that may not sign in, `user.removed_at` for one removed). The new custody actions
(`sharing`, `transfer`) need no change: actions are stored as VARCHAR(32) by value.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision.
ENUM = sa.String(length=32)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "negotiation_share",
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", ENUM, nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=False),
        sa.Column("granted_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiation.id"], ondelete="CASCADE",
                                name="fk_negotiation_share_negotiation_id_negotiation"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE",
                                name="fk_negotiation_share_user_id_user"),
        sa.ForeignKeyConstraint(["granted_by"], ["user.id"],
                                name="fk_negotiation_share_granted_by_user"),
        sa.PrimaryKeyConstraint("negotiation_id", "user_id", name="pk_negotiation_share"),
    )
    op.create_index("ix_negotiation_share_user_id", "negotiation_share", ["user_id"])
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("disabled_at", WHEN, nullable=True))
        batch.add_column(sa.Column("removed_at", WHEN, nullable=True))


def downgrade() -> None:
    columns = ("removed_at", "disabled_at", "must_change_password")
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the table, which
        # the foreign keys of the rows that point at it refuse (see 0003_web).
        for column in columns:
            op.execute(f'ALTER TABLE "user" DROP COLUMN {column}')
    else:
        with op.batch_alter_table("user") as batch:
            for column in columns:
                batch.drop_column(column)
    op.drop_index("ix_negotiation_share_user_id", table_name="negotiation_share")
    op.drop_table("negotiation_share")
