"""At most one transcription waiting or running per recording (issue 14): a unique index over
the item of every transcribe job that is queued or running. `request_transcription` checks
first and gives a clear message; the index is what holds when two "Transcribe again" posts pass
that check at the same moment, where both used to queue a job and the recording was read twice.

A database that already holds two such jobs for one item keeps the oldest; each later one is
cancelled, with the reason in its `error`, so the index can be made. Nothing else changes.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = sa.text("kind = 'transcribe' AND status IN ('queued', 'running')")
REASON = ("cancelled when revision 0022 allowed one waiting or running transcription per "
          "recording: an older one of this recording was already waiting or running")


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE job SET status = 'cancelled', error = :reason "
        f"WHERE {ACTIVE} AND id > (SELECT min(other.id) FROM job other "
        "WHERE other.evidence_id = job.evidence_id AND other.kind = 'transcribe' "
        "AND other.status IN ('queued', 'running'))").bindparams(reason=REASON))
    op.create_index("ix_job_one_active_transcription", "job", ["evidence_id"], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade() -> None:
    op.drop_index("ix_job_one_active_transcription", table_name="job")
