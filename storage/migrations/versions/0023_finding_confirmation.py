"""Confirmed suggestions (issue 21): a finding the resemblance model read where no pattern of its
rule matched is a suggestion, and counts once a person confirms it. The confirmation is kept like
a dismissal, by the finding's stable id, and recorded in the custody log.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "finding_confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", WHEN, nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiation.id"], ondelete="CASCADE",
                                name="fk_finding_confirmation_negotiation_id_negotiation"),
        sa.ForeignKeyConstraint(["confirmed_by"], ["user.id"], ondelete="SET NULL",
                                name="fk_finding_confirmation_confirmed_by_user"),
        sa.PrimaryKeyConstraint("id", name="pk_finding_confirmation"),
        sa.UniqueConstraint("negotiation_id", "finding_id",
                            name="uq_finding_confirmation_negotiation_id_finding_id"),
    )
    op.create_index("ix_finding_confirmation_negotiation_id", "finding_confirmation",
                    ["negotiation_id"])


def downgrade() -> None:
    op.drop_index("ix_finding_confirmation_negotiation_id", table_name="finding_confirmation")
    op.drop_table("finding_confirmation")
