"""Server-side browser sessions, known devices and failed sign-ins in the database; the per-account
failure count on "user" goes (failures are rows in signin_failure now, counted by name, so an
unknown name counts like a known one).

Sessions signed into the old cookies (which carried the account's id) are not carried over: after
this revision everyone signs in once more.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision.
WHEN = sa.DateTime(timezone=True)
USER_COLUMNS = ("locked_until", "failed_logins")


def _secret_table(name: str, *columns: sa.Column) -> None:
    """A table of rows found by a secret's hash, each belonging to one account."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        *columns,
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE",
                                name=f"fk_{name}_user_id_user"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.UniqueConstraint("token_hash", name=f"uq_{name}_token_hash"),
    )
    op.create_index(f"ix_{name}_user_id", name, ["user_id"])


def upgrade() -> None:
    _secret_table("web_session",
                  sa.Column("last_seen_at", WHEN, nullable=False),
                  sa.Column("user_agent", sa.String(length=200), nullable=True),
                  sa.Column("address", sa.String(length=64), nullable=True))
    op.create_index("ix_web_session_last_seen_at", "web_session", ["last_seen_at"])
    _secret_table("known_device", sa.Column("last_used_at", WHEN, nullable=False))
    op.create_table(
        "signin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signin_failure"),
    )
    op.create_index("ix_signin_failure_scope_at", "signin_failure", ["scope", "at"])
    op.create_index("ix_signin_failure_at", "signin_failure", ["at"])
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+): batch mode would copy and drop "user", which the
        # foreign keys of the rows that point at it refuse (see 0003's downgrade).
        for column in USER_COLUMNS:
            op.execute(f'ALTER TABLE "user" DROP COLUMN {column}')
    else:
        with op.batch_alter_table("user") as batch:
            for column in USER_COLUMNS:
                batch.drop_column(column)


def downgrade() -> None:
    columns = [sa.Column("failed_logins", sa.Integer(), nullable=False,
                         server_default=sa.text("0")),
               sa.Column("locked_until", WHEN, nullable=True)]
    if op.get_bind().dialect.name == "sqlite":
        # Native ADD COLUMN, as the upgrade drops them: batch mode would copy and drop "user".
        for column in columns:
            op.add_column("user", column)
    else:
        with op.batch_alter_table("user") as batch:
            for column in columns:
                batch.add_column(column)
    op.drop_index("ix_signin_failure_at", table_name="signin_failure")
    op.drop_index("ix_signin_failure_scope_at", table_name="signin_failure")
    op.drop_table("signin_failure")
    op.drop_index("ix_known_device_user_id", table_name="known_device")
    op.drop_table("known_device")
    op.drop_index("ix_web_session_last_seen_at", table_name="web_session")
    op.drop_index("ix_web_session_user_id", table_name="web_session")
    op.drop_table("web_session")
