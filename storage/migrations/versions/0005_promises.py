"""Promises, payments and reminders: promises and the suggestions they come from, payments,
reminder deliveries and in-app notifications, private calendar feeds, where each account's
reminders go, and the lease that keeps one scheduler active.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
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
    _create_promise()
    _create_promise_suggestion()
    _create_payment()
    _create_reminder()
    _create_delivery_settings()


def _create_promise() -> None:
    op.create_table(
        "promise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("party", ENUM, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_at", WHEN, nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("instalment", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("source_evidence_id", sa.Integer(), nullable=True),
        sa.Column("source_text_id", sa.Integer(), nullable=True),
        sa.Column("source_segment", sa.Integer(), nullable=True),
        sa.Column("source_start", sa.Float(), nullable=True),
        sa.Column("source_quote", sa.Text(), nullable=True),
        sa.Column("settled_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("promise", "negotiation_id", "negotiation"),
        _fk("promise", "plan_id", "promise", "CASCADE"),
        _fk("promise", "supersedes_id", "promise", "SET NULL"),
        _fk("promise", "source_evidence_id", "evidence", "SET NULL"),
        _fk("promise", "source_text_id", "extracted_text", "SET NULL"),
        _fk("promise", "created_by", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_promise"),
    )
    for column in ("negotiation_id", "due_at", "status", "plan_id", "source_evidence_id"):
        op.create_index(f"ix_promise_{column}", "promise", [column])


def _create_promise_suggestion() -> None:
    op.create_table(
        "promise_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("text_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("due_at", WHEN, nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("total", MONEY, nullable=True),
        sa.Column("instalments", JSON, nullable=False),
        sa.Column("segment_index", sa.Integer(), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", WHEN, nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("promise_suggestion", "evidence_id", "evidence", "CASCADE"),
        sa.ForeignKeyConstraint(["text_id"], ["extracted_text.id"], ondelete="CASCADE",
                                name="fk_promise_suggestion_text_id_extracted_text"),
        _fk("promise_suggestion", "promise_id", "promise", "SET NULL"),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"], ondelete="SET NULL",
                                name="fk_promise_suggestion_decided_by_user"),
        sa.PrimaryKeyConstraint("id", name="pk_promise_suggestion"),
        sa.UniqueConstraint("text_id", "position",
                            name="uq_promise_suggestion_text_id_position"),
    )
    op.create_index("ix_promise_suggestion_evidence_id", "promise_suggestion", ["evidence_id"])


def _create_payment() -> None:
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("negotiation_id", sa.Integer(), nullable=False),
        sa.Column("paid_at", WHEN, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", ENUM, nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("receipt_evidence_id", sa.Integer(), nullable=True),
        sa.Column("promise_id", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _fk("payment", "negotiation_id", "negotiation"),
        _fk("payment", "receipt_evidence_id", "evidence", "SET NULL"),
        _fk("payment", "promise_id", "promise", "SET NULL"),
        _fk("payment", "created_by", "user", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_payment"),
    )
    op.create_index("ix_payment_negotiation_id", "payment", ["negotiation_id"])
    op.create_index("ix_payment_promise_id", "payment", ["promise_id"])


def _create_reminder() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promise_id", sa.Integer(), nullable=False),
        sa.Column("offset", sa.String(length=16), nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("send_at", WHEN, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", WHEN, nullable=True),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("reminder", "promise_id", "promise", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_reminder"),
        sa.UniqueConstraint("promise_id", "offset", "channel",
                            name="uq_reminder_promise_id_offset_channel"),
    )
    op.create_index("ix_reminder_status_send_at", "reminder", ["status", "send_at"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("read_at", WHEN, nullable=True),
        _fk("notification", "user_id", "user", "CASCADE"),
        _fk("notification", "reminder_id", "reminder", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_notification"),
        sa.UniqueConstraint("reminder_id", name="uq_notification_reminder_id"),
    )
    op.create_index("ix_notification_user_id", "notification", ["user_id"])


def _create_delivery_settings() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_fetched_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        _fk("calendar_feed", "user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_calendar_feed"),
        sa.UniqueConstraint("secret_hash", name="uq_calendar_feed_secret_hash"),
    )
    op.create_index("ix_calendar_feed_user_id", "calendar_feed", ["user_id"])
    op.create_table(
        "reminder_preference",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
        _fk("reminder_preference", "user_id", "user", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_reminder_preference"),
    )
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("acquired_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_scheduler_lease"),
    )


def downgrade() -> None:
    op.drop_table("scheduler_lease")
    op.drop_table("reminder_preference")
    op.drop_index("ix_calendar_feed_user_id", table_name="calendar_feed")
    op.drop_table("calendar_feed")
    op.drop_index("ix_notification_user_id", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ix_reminder_status_send_at", table_name="reminder")
    op.drop_table("reminder")
    op.drop_index("ix_payment_promise_id", table_name="payment")
    op.drop_index("ix_payment_negotiation_id", table_name="payment")
    op.drop_table("payment")
    op.drop_index("ix_promise_suggestion_evidence_id", table_name="promise_suggestion")
    op.drop_table("promise_suggestion")
    for column in ("source_evidence_id", "plan_id", "status", "due_at", "negotiation_id"):
        op.drop_index(f"ix_promise_{column}", table_name="promise")
    op.drop_table("promise")
