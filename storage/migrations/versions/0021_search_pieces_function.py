"""The SQLite search index's triggers compute an item's characters and pairs with the SQL
function `search_pieces` (storage/search_pieces.py, registered on every connection) instead of
revision 0018's recursive query, which cost about 0.25 ms of every stored file (its details)
and 3 ms of every 800-character text. The function gives the same pieces, so nothing already
indexed changes. PostgreSQL has had its own search_pieces() since 0018: nothing to do there.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = importlib.import_module("storage.migrations.versions.0018_search_index")
_CHANGED = ("search_evidence_ai", "search_evidence_au", "search_text_ai", "search_text_au")
_RECURSIVE = _INDEX.SHORT_PIECES.format(text="body")


def _triggers(*, function: bool) -> list[str]:
    made = [_INDEX.TRIGGERS[name] for name in _CHANGED]
    if function:
        if not all(_RECURSIVE in sql for sql in made):
            raise RuntimeError("revision 0018's triggers no longer hold its recursive query")
        made = [sql.replace(_RECURSIVE, "search_pieces(body)") for sql in made]
    return [*(f"DROP TRIGGER {name}" for name in _CHANGED), *made]


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in _triggers(function=True):
            op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in _triggers(function=False):
            op.execute(statement)
