"""Rows for migration tests: what an old schema held, written with plain SQL (the models
describe only the newest schema)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from storage.models import utcnow

ONE_ITEM = (
    "INSERT INTO \"user\" (id, name, role, created_at) VALUES (1, 'o', 'owner', :t)",
    "INSERT INTO negotiation (id, owner_id, creditor, currency, status, created_at, "
    "updated_at) VALUES (1, 1, 'x', 'CNY', 'open', :t, :t)",
    "INSERT INTO evidence (id, negotiation_id, kind, direction, original_filename, "
    "media_type, size, sha256, blob_id, extracted_metadata, created_at) VALUES "
    "(1, 1, 'note', 'unknown', 'a.txt', 'text/plain', 1, 'ab', 'b1', '{}', :t)",
)


def insert_old_rows(connection: Connection, *statements: str) -> None:
    """An owner, a negotiation and evidence #1 (columns every schema since 0001 has), then
    `statements`; `:t` in any of them is now (naive UTC, as the old schemas stored it)."""
    now = {"t": utcnow().replace(tzinfo=None)}
    for statement in (*ONE_ITEM, *statements):
        connection.execute(text(statement), now)
