"""The timeline's indexes: a negotiation's evidence in time order, so that every page of a long
timeline (keyset pagination on occurred_at, id) is a short index range, not a sort of every item;
and evidence by parent, so an item's attachments are found without reading every item.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_evidence_timeline", "evidence", ["negotiation_id", "occurred_at"])
    op.create_index("ix_evidence_parent_id", "evidence", ["parent_id"])


def downgrade() -> None:
    op.drop_index("ix_evidence_parent_id", table_name="evidence")
    op.drop_index("ix_evidence_timeline", table_name="evidence")
