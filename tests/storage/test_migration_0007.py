"""Migration 0007 (issue 13): the items stored before it get the source of their time only where
the record shows it (a custody event, or a time equal to one the file carried), never by
guessing; every other time keeps NULL, an unknown provenance."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from storage.db import make_engine
from tests.support.migrations import upgrade
from storage.models.types import UTCDateTime

T = datetime(2024, 12, 3, 7, 30, 12, tzinfo=UTC)  # 15:30:12 in Shanghai
NOW = datetime(2026, 11, 22, tzinfo=UTC)
USER = sa.table("user", sa.column("id"), sa.column("name"), sa.column("role"),
                sa.column("failed_logins"), sa.column("created_at", UTCDateTime()))
NEGOTIATION = sa.table("negotiation", sa.column("id"), sa.column("owner_id"),
                       sa.column("creditor"), sa.column("currency"), sa.column("status"),
                       sa.column("created_at", UTCDateTime()),
                       sa.column("updated_at", UTCDateTime()))
EVIDENCE = sa.table("evidence", sa.column("id"), sa.column("negotiation_id"), sa.column("kind"),
                    sa.column("direction"), sa.column("original_filename"),
                    sa.column("media_type"), sa.column("size"), sa.column("sha256"),
                    sa.column("blob_id"), sa.column("parent_id"),
                    sa.column("extracted_metadata", sa.JSON()),
                    sa.column("occurred_at", UTCDateTime()),
                    sa.column("created_at", UTCDateTime()))
EVENT = sa.table("custody_event", sa.column("seq"), sa.column("at", UTCDateTime()),
                 sa.column("actor_id"), sa.column("action"), sa.column("evidence_id"),
                 sa.column("details", sa.JSON()), sa.column("prev_hash"), sa.column("hash"))

# id -> (occurred_at, extracted_metadata, parent id, the source and precision expected)
ITEMS = {
    1: (T, {"recorder_filename": {"started_at": "2024-12-03T07:30:12+00:00"}}, None,
        ("file_name", "minute")),
    2: (T, {"mp4_creation_time": "2024-12-03T07:30:12+00:00"}, None, ("metadata", "minute")),
    3: (T, {"date_header": "Tue, 03 Dec 2024 15:30:12 +0800"}, None, ("metadata", "minute")),
    4: (T, {"exif_datetime_original": "2024:12:03 15:30:12"}, None, ("metadata", "minute")),
    5: (T, {"exif_datetime_original": "2024:12:03 15:30:12",
            "exif_offset_time_original": "+03:00"}, None, (None, None)),  # another instant
    6: (datetime(2024, 12, 2, 16, 0, tzinfo=UTC), {"pdf_creation_date": "D:20241203"}, None,
        ("metadata", "day")),
    7: (T, {"source": "extracted"}, 3, ("parent", "minute")),
    8: (T, {}, None, ("person", "minute")),            # a person's edit in the custody log
    9: (T, {"messages": 4}, None, ("content", "minute")),  # filled by the extract_text job
    10: (T, {}, None, (None, None)),                  # typed at upload: nothing says so
    11: (None, {}, None, (None, None)),
    12: (T, {"date_header": "Tue, 03 Dec 2024 15:30:12 +0800"}, None,
         ("person", "minute")),  # equal to its Date, but a person set it last
}
EDITS = [(8, {"changes": {"occurred_at": {"old": None, "new": "2024-12-03T07:30:12Z"}}}),
         (9, {"by": "extract_text job", "changes": {"occurred_at": [None, "x"]}}),
         (12, {"by": "parse_email job", "changes": {"occurred_at": {"old": None, "new": "y"}}}),
         (12, {"changes": {"occurred_at": {"old": "y", "new": "2024-12-03T07:30:12Z"}}}),
         (10, {"changes": {"note": {"old": None, "new": "n"}}})]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    url = request.getfixturevalue("postgres_db_url") if request.param == "postgres" else ""
    built = make_engine(url, sqlite_path=tmp_path / "liuhen.db", key=os.urandom(32))
    yield built
    built.dispose()


def test_existing_times_get_their_source_only_where_the_record_shows_it(engine):
    upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(USER.insert().values(id=1, name="o", role="owner", failed_logins=0,
                                                created_at=NOW))
        connection.execute(NEGOTIATION.insert().values(
            id=1, owner_id=1, creditor="信用飞", currency="CNY", status="open", created_at=NOW,
            updated_at=NOW))
        for item_id, (at, metadata, parent, _) in sorted(ITEMS.items()):
            connection.execute(EVIDENCE.insert().values(
                id=item_id, negotiation_id=1, kind="document", direction="unknown",
                original_filename=f"{item_id}.bin", media_type="application/octet-stream",
                size=1, sha256=f"{item_id:064d}", blob_id=f"b{item_id}", parent_id=parent,
                extracted_metadata=metadata, occurred_at=at, created_at=NOW))
        for seq, (item_id, details) in enumerate(EDITS, start=1):
            connection.execute(EVENT.insert().values(
                seq=seq, at=NOW, actor_id=None, action="metadata_edit", evidence_id=item_id,
                details=details, prev_hash=f"{seq - 1:064d}", hash=f"{seq:064d}"))
    upgrade(engine, "0007")
    with engine.connect() as connection:
        found = {row.id: (row.occurred_at_source, row.occurred_at_precision)
                 for row in connection.execute(sa.text(
                     "SELECT id, occurred_at_source, occurred_at_precision FROM evidence"))}
    assert found == {item_id: expected for item_id, (*_, expected) in ITEMS.items()}
