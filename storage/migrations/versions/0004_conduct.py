"""Collection conduct: imported call logs, contacts the user records, dismissed findings, and the
per-negotiation rule choices. Findings themselves are computed on demand and not stored.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (storage.models.types may change).
ENUM = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "call_log_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("call_type", ENUM, nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiation.id"],
                                name="fk_call_log_entry_negotiation_id_negotiation"),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"], ondelete="CASCADE",
                                name="fk_call_log_entry_evidence_id_evidence"),
        sa.PrimaryKeyConstraint("id", name="pk_call_log_entry"),
        sa.UniqueConstraint("negotiation_id", "number", "started_at",
                            name="uq_call_log_entry_negotiation_id_number_started_at"),
    )
    op.create_index("ix_call_log_entry_negotiation_id", "call_log_entry", ["negotiation_id"])
    op.create_index("ix_call_log_entry_evidence_id", "call_log_entry", ["evidence_id"])
    op.create_table(
        "contact_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("direction", ENUM, nullable=False),
        sa.Column("counterpart_name", sa.String(), nullable=True),
        sa.Column("counterpart_number", sa.String(length=32), nullable=True),
        sa.Column("third_party", ENUM, nullable=True),
        sa.Column("third_party_name", sa.String(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiation.id"],
                                name="fk_contact_entry_negotiation_id_negotiation"),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"], ondelete="SET NULL",
                                name="fk_contact_entry_evidence_id_evidence"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], ondelete="SET NULL",
                                name="fk_contact_entry_created_by_user"),
        sa.PrimaryKeyConstraint("id", name="pk_contact_entry"),
    )
    op.create_index("ix_contact_entry_negotiation_id", "contact_entry", ["negotiation_id"])
    op.create_table(
        "finding_dismissal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dismissed_at", WHEN, nullable=False),
        sa.Column("dismissed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiation.id"], ondelete="CASCADE",
                                name="fk_finding_dismissal_negotiation_id_negotiation"),
        sa.ForeignKeyConstraint(["dismissed_by"], ["user.id"], ondelete="SET NULL",
                                name="fk_finding_dismissal_dismissed_by_user"),
        sa.PrimaryKeyConstraint("id", name="pk_finding_dismissal"),
        sa.UniqueConstraint("negotiation_id", "finding_id",
                            name="uq_finding_dismissal_negotiation_id_finding_id"),
    )
    op.create_index("ix_finding_dismissal_negotiation_id", "finding_dismissal",
                    ["negotiation_id"])
    op.create_table(
        "conduct_setting",
        sa.Column("negotiation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rule_set", sa.String(length=16), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("disabled_rules", JSON, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["negotiation_id"], ["negotiation.id"], ondelete="CASCADE",
                                name="fk_conduct_setting_negotiation_id_negotiation"),
        sa.PrimaryKeyConstraint("negotiation_id", name="pk_conduct_setting"),
    )


def downgrade() -> None:
    op.drop_table("conduct_setting")
    op.drop_index("ix_finding_dismissal_negotiation_id", table_name="finding_dismissal")
    op.drop_table("finding_dismissal")
    op.drop_index("ix_contact_entry_negotiation_id", table_name="contact_entry")
    op.drop_table("contact_entry")
    op.drop_index("ix_call_log_entry_evidence_id", table_name="call_log_entry")
    op.drop_index("ix_call_log_entry_negotiation_id", table_name="call_log_entry")
    op.drop_table("call_log_entry")
