"""Job queue: options, attempt limit, retry back-off, start and finish times; `cancelled` status.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Only the `job` table changes (the search triggers live on `evidence` and `extracted_text`, so
nothing here recreates them). Existing rows get `options = {}` and `max_attempts = 3` through
server defaults, which stay: they are what an old row would have been given by the models.
Downgrading turns cancelled jobs into failed ones (revision 0001 has no `cancelled` status).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (storage.models.types may change).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("options", JSON, nullable=False,
                                   server_default=sa.text("'{}'")))
        batch.add_column(sa.Column("max_attempts", sa.Integer(), nullable=False,
                                   server_default=sa.text("3")))
        batch.add_column(sa.Column("not_before", WHEN, nullable=True))
        batch.add_column(sa.Column("started_at", WHEN, nullable=True))
        batch.add_column(sa.Column("finished_at", WHEN, nullable=True))


def downgrade() -> None:
    op.execute("UPDATE job SET status = 'failed', "
               "error = COALESCE(error, 'cancelled by a person') WHERE status = 'cancelled'")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("finished_at")
        batch.drop_column("started_at")
        batch.drop_column("not_before")
        batch.drop_column("max_attempts")
        batch.drop_column("options")
