"""The conduct report kept per text, updated incrementally (issue 17): `conduct_text` holds what
each extracted text contributes (its messages, its passages with the lexicon's matches) and the
state it was read in, so a report reads again only the texts whose state changed. Rows go with
their text (ON DELETE CASCADE); the table holds nothing that cannot be read again, so the
downgrade drops it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type as it was at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "conduct_text",
        sa.Column("text_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("messages", JSON, nullable=False),
        sa.Column("passages", JSON, nullable=False),
        sa.ForeignKeyConstraint(["text_id"], ["extracted_text.id"], ondelete="CASCADE",
                                name="fk_conduct_text_text_id_extracted_text"),
        sa.PrimaryKeyConstraint("text_id", name="pk_conduct_text"),
    )


def downgrade() -> None:
    op.drop_table("conduct_text")
