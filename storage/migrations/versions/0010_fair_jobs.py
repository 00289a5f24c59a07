"""A fair job queue: each job carries the group it came from (the import at the root of its
evidence) and its place in line among the groups, so one mailbox of thousands of messages no
longer holds back a file uploaded after it (`logger.jobs.fair`).

Jobs already stored keep group NULL and place 0: those still queued are first in line, as they
were. The claim reads the queue in line order through ix_job_claim; a new job's group's last
place is found through ix_job_group.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("group_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("fair_seq", sa.BigInteger(), nullable=False,
                                   server_default=sa.text("0")))
    op.create_index("ix_job_claim", "job", ["status", "fair_seq", "id"])
    op.create_index("ix_job_group", "job", ["group_key", "fair_seq"])


def downgrade() -> None:
    op.drop_index("ix_job_group", table_name="job")
    op.drop_index("ix_job_claim", table_name="job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("fair_seq")
        batch.drop_column("group_key")
