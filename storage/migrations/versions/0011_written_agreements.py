"""Promises in writing: `promise.written_evidence_id`, the written agreement or written
confirmation (an evidence item) a person linked to a promise or plan, or the agreement whose
text the promise was accepted from (`logger.promises.writing`). SET NULL when that item is
deleted: the promise stands, no longer in writing. Evidence kind `agreement` needs no schema
change (kinds are stored by value).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("promise") as batch:
        batch.add_column(sa.Column("written_evidence_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_promise_written_evidence_id_evidence", "evidence",
                                 ["written_evidence_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("promise") as batch:
        batch.drop_constraint("fk_promise_written_evidence_id_evidence", type_="foreignkey")
        batch.drop_column("written_evidence_id")
