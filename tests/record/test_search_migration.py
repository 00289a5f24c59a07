"""Migration 0018 on a data dir that already holds evidence, on SQLCipher and PostgreSQL: the
ordered index is filled from the rows (details, notes, texts; the trash left out), searches find
them in order, and the downgrade gives back revision 0001's search structures (filled)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import session
from storage.search import search
from tests.support.migrations import downgrade, insert_old_rows, old_engine, upgrade

ITEMS = (
    "INSERT INTO evidence (id, negotiation_id, kind, direction, original_filename, media_type, "
    "size, sha256, blob_id, extracted_metadata, created_at, occurred_at, note, "
    "counterpart_number, trashed_at) VALUES "
    "(2, 1, 'call', 'inbound', 'call.m4a', 'audio/mp4', 1, 'c2', 'b2', '{}', :t, "
    "'2024-05-02 10:00:00.000000', NULL, '13800138000', NULL), "
    "(3, 1, 'note', 'unknown', 'n.txt', 'text/plain', 1, 'c3', 'b3', '{}', :t, "
    "'2024-05-03 10:00:00.000000', '约定还款日 13800138000', NULL, NULL), "
    "(4, 1, 'note', 'unknown', 't.txt', 'text/plain', 1, 'c4', 'b4', '{}', :t, "
    "'2024-05-04 10:00:00.000000', '还款 已删除', NULL, :t)",
    "INSERT INTO extracted_text (id, evidence_id, source, text, segments, edited, created_at) "
    "VALUES (1, 2, 'transcript', '我们下周还款', '[]', false, :t), "
    "(2, 2, 'transcript', '更正：我们下周五还款', '[]', false, :t), "
    "(3, 1, 'ocr', '催收函 还款通知', '[]', false, :t)",
)


def old_search_structures(engine) -> set[str]:
    """The search structures left after the downgrade (revision 0001's), and any of 0018's."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE name LIKE 'search%' OR (type = 'table' "
                "AND sql LIKE 'CREATE VIRTUAL TABLE%')")).scalars())
        return set(connection.execute(text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE "
            "'%USING gin%' UNION "
            "SELECT tablename FROM pg_tables WHERE tablename LIKE 'search%'")).scalars())


def hits(engine, query: str) -> list[tuple[int, str, int | None]]:
    with session(engine) as s:
        return [(h.evidence_id, h.source, h.text_id) for h in search(s, query)]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                             marks=pytest.mark.postgres)])
def test_the_index_is_filled_from_an_existing_data_dir(request, tmp_path, backend):
    engine = old_engine(request, tmp_path, backend)
    upgrade(engine, "0017")
    with engine.begin() as connection:
        insert_old_rows(connection, *ITEMS)
    upgrade(engine, "0018")
    # Item 1 has no time, so it comes first; item 4 is in the trash.
    assert hits(engine, "还款") == [(1, "ocr", 3), (3, "note", None), (2, "transcript", 2)]
    assert hits(engine, "还") == hits(engine, "还款")
    assert hits(engine, "13800138000") == [(3, "note", None), (2, "metadata", None)]
    assert hits(engine, "已删除") == [] and hits(engine, "m4a") == [(2, "metadata", None)]
    with engine.begin() as connection:
        connection.execute(text("UPDATE evidence SET note = '新的还款计划' WHERE id = 2"))
    assert hits(engine, "还款计划") == [(2, "note", None)]  # the triggers run from here on

    downgrade(engine, "0017")
    assert old_search_structures(engine) == (
        {"extracted_text_fts", "evidence_note_fts"} if backend == "sqlite"
        else {"ix_extracted_text_text_trgm", "ix_evidence_note_trgm"})
    if backend == "sqlite":
        with engine.connect() as connection:
            found = connection.execute(text(
                "SELECT rowid FROM extracted_text_fts WHERE extracted_text_fts MATCH '下周五'"))
            assert found.all() == [(2,)]
    upgrade(engine, "0018")
    assert hits(engine, "还款计划") == [(2, "note", None)]
    engine.dispose()
