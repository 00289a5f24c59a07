"""The email server for reminders set on the settings page (one row, id 1), over the
`[reminders]` section of the configuration; its password sealed under a vault subkey.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision.
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mail_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("smtp_host", sa.String(length=255), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=True),
        sa.Column("smtp_starttls", sa.Boolean(), nullable=True),
        sa.Column("smtp_user", sa.String(length=255), nullable=True),
        sa.Column("smtp_password_sealed", sa.Text(), nullable=True),
        sa.Column("smtp_from", sa.String(length=255), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_mail_settings_one_row"),
        sa.PrimaryKeyConstraint("id", name="pk_mail_settings"),
    )


def downgrade() -> None:
    op.drop_table("mail_settings")
