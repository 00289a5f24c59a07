"""Hardship applications (减免申请书): the borrower's circumstances and proposed plan, one per
negotiation (`hardship_application`), and each application marked as sent, linked to the
evidence item holding the file that was sent (`hardship_sending`). Evidence of the new kind
`hardship_proof` needs no change: kinds are stored as VARCHAR(32) by value.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (storage.models.types may change).
ENUM = sa.String(length=32)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
MONEY = sa.Numeric().with_variant(sa.Text(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str | None = None
        ) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "hardship_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=True),
        sa.Column("monthly_income", MONEY, nullable=True),
        sa.Column("income_source", sa.String(length=200), nullable=True),
        sa.Column("essential_expenses", MONEY, nullable=True),
        sa.Column("dependants", sa.Integer(), nullable=True),
        sa.Column("other_debts", sa.Text(), nullable=True),
        sa.Column("other_debt_payments", MONEY, nullable=True),
        sa.Column("cause", ENUM, nullable=True),
        sa.Column("hardship_since", sa.Date(), nullable=True),
        sa.Column("hardship_details", sa.Text(), nullable=True),
        sa.Column("requests", JSON, nullable=False),
        sa.Column("safety_margin_percent", MONEY, nullable=False),
        sa.Column("plan_kind", ENUM, nullable=True),
        sa.Column("instalment_amount", MONEY, nullable=True),
        sa.Column("amount_source", ENUM, nullable=True),
        sa.Column("instalment_count", sa.Integer(), nullable=True),
        sa.Column("count_source", ENUM, nullable=True),
        sa.Column("settlement_percent", MONEY, nullable=True),
        sa.Column("pause_months", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("hardship_application", "negotiation_id", "negotiation", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_hardship_application"),
        sa.UniqueConstraint("negotiation_id", name="uq_hardship_application_negotiation_id"),
    )
    op.create_table(
        "hardship_sending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("hardship_sending", "negotiation_id", "negotiation", "CASCADE"),
        _fk("hardship_sending", "evidence_id", "evidence", "CASCADE"),
        _fk("hardship_sending", "created_by", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_hardship_sending"),
        sa.UniqueConstraint("evidence_id", name="uq_hardship_sending_evidence_id"),
    )
    op.create_index("ix_hardship_sending_negotiation_id", "hardship_sending",
                    ["negotiation_id"])


def downgrade() -> None:
    op.drop_index("ix_hardship_sending_negotiation_id", table_name="hardship_sending")
    op.drop_table("hardship_sending")
    op.drop_table("hardship_application")
