"""Job priority and turns per negotiation and kind (issue 17, `logger.jobs.fair`): each job gets
a class (`priority`: 0 interactive, 1 bulk) and a flow (`flow_key`: its negotiation and kind).
The claim walks ix_job_claim in (priority, fair_seq, id) order; a new job's flow's last place is
found through ix_job_flow (replacing ix_job_group); ix_job_backoff holds only the jobs waiting
for a retry, so an idle worker finds its next timer in one seek.

Jobs already stored keep their place; those on an item taken from another (a mailbox's message,
an attachment) become bulk, the others interactive.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = sa.text("not_before IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("flow_key", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("priority", sa.SmallInteger(), nullable=False,
                                   server_default=sa.text("1")))
    op.execute("UPDATE job SET "
               "flow_key = (SELECT 'negotiation:' || e.negotiation_id || '/' || job.kind "
               "FROM evidence e WHERE e.id = job.evidence_id), "
               "priority = CASE WHEN (SELECT e.parent_id FROM evidence e "
               "WHERE e.id = job.evidence_id) IS NULL THEN 0 ELSE 1 END")
    op.drop_index("ix_job_group", table_name="job")
    op.drop_index("ix_job_claim", table_name="job")
    op.create_index("ix_job_claim", "job", ["status", "priority", "fair_seq", "id"])
    op.create_index("ix_job_flow", "job", ["flow_key", "priority", "fair_seq"])
    op.create_index("ix_job_backoff", "job", ["status", "not_before"],
                    sqlite_where=_WAITING, postgresql_where=_WAITING)


def downgrade() -> None:
    op.drop_index("ix_job_backoff", table_name="job")
    op.drop_index("ix_job_flow", table_name="job")
    op.drop_index("ix_job_claim", table_name="job")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("priority")
        batch.drop_column("flow_key")
    op.create_index("ix_job_claim", "job", ["status", "fair_seq", "id"])
    op.create_index("ix_job_group", "job", ["group_key", "fair_seq"])
