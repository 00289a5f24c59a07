"""Keys in the database, for a shared deployment (`storage.vault_in = "database"`): the vault
(one row: the same JSON document as vault.json) and the sealed secrets beside it (the bundle
signing key), so every process opens them from the database instead of its own data dir.

Created on SQLite too (the same schema everywhere), where they stay empty: the SQLCipher key
comes from the vault, so that vault cannot live inside it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision.
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "vault",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_vault_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_vault"),
    )
    op.create_table(
        "sealed_secret",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_sealed_secret"),
    )


def downgrade() -> None:
    op.drop_table("sealed_secret")
    op.drop_table("vault")
