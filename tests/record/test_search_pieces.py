"""The SQL function `search_pieces` gives what revision 0018's recursive query gave, so the
index built before revision 0021 and after it agree; 0021 moves the triggers to it and back."""

from __future__ import annotations

import importlib
import random

import sqlcipher3
from sqlalchemy import text

from storage.db import session
from storage.search import search
from storage.search_pieces import register, search_pieces
from tests.support.migrations import downgrade, insert_old_rows, old_engine, upgrade

RECURSIVE = importlib.import_module("storage.migrations.versions.0018_search_index").SHORT_PIECES


def test_the_function_gives_what_the_recursive_query_gave():
    connection = sqlcipher3.connect(":memory:")
    register(connection)
    recursive = "SELECT " + RECURSIVE.format(text="?")
    chance = random.Random(21)
    alphabet = "aZq 还款逾期\n\t\r😀éÉß-，1"
    cases = ["", " ", "\n \n", "A", "还", "Ab 还款\n😀", None]
    cases += ["".join(chance.choices(alphabet, k=chance.randint(1, 30))) for _ in range(2000)]
    for case in cases:
        assert search_pieces(case) == connection.execute(recursive, (case,)).fetchone()[0], case
        assert connection.execute("SELECT search_pieces(?)", (case,)).fetchone()[0] == (
            search_pieces(case))


def triggers(engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE "
            "'search%'")).all())


def test_revision_0021_moves_the_triggers_to_the_function_and_back(request, tmp_path):
    engine = old_engine(request, tmp_path, "sqlite")
    upgrade(engine, "0020")
    before = triggers(engine)
    upgrade(engine, "0021")
    after = triggers(engine)
    assert after.keys() == before.keys()
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {"search_evidence_ai", "search_evidence_au", "search_text_ai",
                       "search_text_au"}
    assert all("search_pieces(body)" in after[n] and "RECURSIVE" not in after[n]
               for n in changed)
    with engine.begin() as connection:
        insert_old_rows(connection, (
            "INSERT INTO evidence (id, negotiation_id, kind, direction, original_filename, "
            "media_type, size, sha256, blob_id, extracted_metadata, created_at, note) VALUES "
            "(2, 1, 'note', 'unknown', 'n.txt', 'text/plain', 1, 'c2', 'b2', '{}', :t, "
            "'他说下周还款')"))
        connection.execute(text("UPDATE evidence SET note = '下周罚息' WHERE id = 1"))
    with session(engine) as s:
        assert [h.evidence_id for h in search(s, "还款")] == [2]
        assert [h.evidence_id for h in search(s, "罚")] == [1]
    downgrade(engine, "0020")
    assert triggers(engine) == before
    with engine.begin() as connection:
        connection.execute(text("UPDATE evidence SET note = '分期' WHERE id = 2"))
    with session(engine) as s:
        assert [h.evidence_id for h in search(s, "分")] == [2]
        assert search(s, "还款") == []
    engine.dispose()
