"""The ordered search index (issue 17): short Chinese words and the details found through the
index, the order and pages over many items, an item that moves in time or goes to the trash,
and, on SQLite, the plan of the first page (no scan, no sort)."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from logger.record.trash import restore, trash
from storage.db import make_engine, migrate, session
from storage.models import Evidence, ExtractedText, TextSource
from storage.search import postgres
from storage.search.ordered import SHORT_TABLE, TEXT_TABLE, candidates, short_token
from tests.record.test_search import World, assert_index_intact, find, world  # noqa: F401

COMMON, RARE, ABSENT = "还款", "罚", "龘"


def ids(world: World, query: str, **kw) -> list[int]:
    return [h.evidence_id for h in find(world, query, **kw)]


@pytest.fixture
def sqlite_world(tmp_path) -> World:
    """A World on SQLCipher only: the FTS5 index is SQLite's."""
    engine = make_engine("", sqlite_path=tmp_path / "index.db", key=os.urandom(32))
    migrate(engine)
    yield World(engine)
    engine.dispose()


def plan(world: World, terms: list[str], **kw) -> list[str]:
    statement, params = candidates(terms, owner_id=kw.get("owner_id"),
                                   negotiation_id=kw.get("negotiation_id"))
    with world.engine.connect() as connection:
        return [row[3] for row in connection.execute(text("EXPLAIN QUERY PLAN " + statement),
                                                     params)]


def test_one_and_two_character_chinese_words_common_rare_and_absent(world):
    common = [world.evidence(texts=[(TextSource.transcript, f"第{n}次：下周{COMMON}")], day=n + 1)
              for n in range(6)]
    rare = world.evidence(note="免除罚息的申请", day=10)
    assert ids(world, COMMON) == common[::-1]
    assert ids(world, RARE) == [rare]
    assert ids(world, ABSENT) == [] and ids(world, "息罚") == []
    assert ids(world, "罚 周") == [] and ids(world, "次 还") == common[::-1]
    assert ids(world, f"{COMMON} 第3次") == [common[3]]  # a short word and a trigram together
    assert [h.snippet for h in find(world, RARE)] == ["免除[罚]息的申请"]


def test_short_words_are_token_lookups_in_the_bigram_table(sqlite_world):
    world = sqlite_world
    item = world.evidence(note="他说“还款”要等到 OK 了", counterpart_name="王")
    with world.engine.connect() as connection:
        for word in ("还款", "还", "”要", "OK", "ok", "k", "王"):
            found = connection.execute(
                text(f"SELECT rowid >> 8 & 4194303 FROM {SHORT_TABLE} "
                     f"WHERE {SHORT_TABLE} MATCH :token"), {"token": short_token(word)}).all()
            assert found == [(item,)], word
    assert short_token("Ok") == short_token("ok") != short_token("O")
    assert all(step.startswith(f"SCAN {SHORT_TABLE} VIRTUAL TABLE") for step in
               plan(world, [COMMON]))


def test_the_details_are_found_through_the_index(world):
    call = world.evidence(counterpart_number="13800138000", counterpart_name="李经理",
                          original_filename="录音.m4a", subject=None)
    world.evidence(note="无关", day=2)
    assert [(h.evidence_id, h.source) for h in find(world, "13800138000")] == [(call, "metadata")]
    assert [(h.evidence_id, h.source) for h in find(world, "经理")] == [(call, "metadata")]
    assert ids(world, "录音.M4A") == [call]
    with session(world.engine) as s:
        s.get(Evidence, call).counterpart_number = "13900000000"
        s.commit()
    assert ids(world, "13800138000") == [] and ids(world, "13900000000") == [call]
    if world.engine.dialect.name == "sqlite":
        assert all("SCAN evidence" not in step for step in plan(world, ["13800138000"]))


def expected_order(world: World, matching: set[int]) -> list[int]:
    with session(world.engine) as s:
        items = [s.get(Evidence, i) for i in matching]
        undated = sorted((e.id for e in items if e.occurred_at is None), reverse=True)
        dated = sorted((e for e in items if e.occurred_at is not None),
                       key=lambda e: (e.occurred_at, e.id), reverse=True)
    return undated + [e.id for e in dated]


# PostgreSQL: the first window holds every item; the walk goes on at the rate found (in a
# large table, as the estimate of its size says); the GIN indexes fetch the rest; or they find
# too many and the walk goes on to the end.
@pytest.mark.parametrize("window, probe, documents", [
    (postgres.WINDOW, postgres.PROBE, None), (2, postgres.PROBE, 10**9), (2, postgres.PROBE, 0),
    (1, 3, 0)])
def test_the_order_over_many_items_and_pages(world, monkeypatch, window, probe, documents):
    monkeypatch.setattr(postgres, "WINDOW", window)
    monkeypatch.setattr(postgres, "PROBE", probe)
    if documents is not None:
        monkeypatch.setattr(postgres, "_documents", lambda session: documents)
    chance = random.Random(17)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    matching = set()
    for n in range(70):
        item = world.evidence(note=f"催收电话 {n}" if n % 3 else f"别的 {n}",
                              texts=[(TextSource.ocr, "截图：催收电话")] if n % 5 == 0 else ())
        moment = None if n % 7 == 0 else start + timedelta(seconds=chance.randrange(10**7))
        if n % 11 == 0 and moment is not None:
            moment = start  # several items in the same second
        with session(world.engine) as s:
            s.get(Evidence, item).occurred_at = moment
            s.commit()
        if n % 3 or n % 5 == 0:
            matching.add(item)
    theirs = [world.evidence(world.bob_case, note=f"催收电话 bob {n}", day=n % 28 + 1)
              for n in range(30)]  # newer than most of alice's: an account's walk passes them
    order = expected_order(world, matching)
    for query in ("催收电话", "催收", "收"):
        pages = [ids(world, query, limit=20, offset=offset, owner_id=world.alice.id)
                 for offset in range(0, 80, 20)]
        assert sum(pages, []) == order, query
        assert [len(p) for p in pages] == [20, 20, len(order) - 40, 0]
        assert ids(world, query, limit=100) == expected_order(world, matching | set(theirs))
        assert ids(world, query, limit=100, negotiation_id=world.bob_case.id) == (
            expected_order(world, set(theirs)))


# PostgreSQL: every match read by the walk's own tests, or every match through the GIN indexes.
@pytest.mark.parametrize("window, probe", [(512, 1), (1, 10**6)])
def test_the_walk_finds_what_the_indexes_find(world, monkeypatch, window, probe):
    monkeypatch.setattr(postgres, "WINDOW", window)
    monkeypatch.setattr(postgres, "PROBE", probe)
    upper = world.evidence(note="他说 OK 了，Payment DUE", day=1)
    lower = world.evidence(note="ok, payment due 100%", day=2)
    literal = world.evidence(note="a_b 与 还款 和 ÉTÉ", day=3)
    apart = world.evidence(note="axb 100 还 款", day=4)
    for query, expected in [("ok", [lower, upper]), ("Ok", [lower, upper]),
                            ("PAYMENT due", [lower, upper]), ("100%", [lower]),
                            ("%", [lower]), ("a_b", [literal]), ("还款", [literal]),
                            ("款", [apart, literal]), ("ÉTÉ", [literal]), ("说 ok", [upper])]:
        assert ids(world, query) == expected, query


def test_a_new_time_moves_the_item(world):
    first = world.evidence(note="协商记录 A", day=1)
    second = world.evidence(note="协商记录 B", day=2)
    assert ids(world, "协商记录") == [second, first]
    with session(world.engine) as s:
        s.get(Evidence, first).occurred_at = datetime(2024, 6, 1, 8, tzinfo=UTC)
        s.commit()
    assert ids(world, "协商记录") == [first, second]
    assert ids(world, "协商", limit=1, offset=1) == [second]
    with session(world.engine) as s:
        s.get(Evidence, second).occurred_at = None
        s.commit()
    assert ids(world, "协商记录") == [second, first]
    assert_index_intact(world.engine)


def test_a_trashed_item_is_not_found_until_it_is_restored(world):
    item = world.evidence(note="对方承认了 记录", texts=[(TextSource.transcript, "承认欠款")])
    other = world.evidence(note="承认 一次", day=2)
    with session(world.engine) as s:
        trash(s, s.get(Evidence, item), actor=None, reason="重复上传")
    assert ids(world, "承认") == [other] and ids(world, "承认欠款") == []
    with session(world.engine) as s:  # a text added while it is in the trash stays hidden
        s.add(ExtractedText(evidence_id=item, source=TextSource.ocr, text="承认欠款二"))
        s.commit()
    assert ids(world, "承认欠款") == [] and ids(world, "欠") == []
    with session(world.engine) as s:
        restore(s, s.get(Evidence, item), actor=None)
    assert ids(world, "承认") == [other, item]
    assert [h.source for h in find(world, "承认欠款")] == ["ocr"]  # its newest text
    assert_index_intact(world.engine)


def test_the_newest_text_is_the_hit_after_older_ones_go(world):
    item = world.evidence(texts=[(TextSource.transcript, f"版本{n} 分期方案") for n in range(3)])
    with session(world.engine) as s:
        texts = s.exec(select(ExtractedText).order_by(ExtractedText.id)).all()
        s.delete(texts[2])
        s.commit()
        s.add(ExtractedText(evidence_id=item, source=TextSource.transcript, text="版本3 分期方案"))
        s.commit()
    [hit] = find(world, "分期方案")
    assert "版本3" in hit.snippet
    assert "版本1" in find(world, "版本1 分期")[0].snippet
    assert_index_intact(world.engine)


def test_the_first_page_is_read_in_index_order_without_a_scan_or_a_sort(sqlite_world):
    world = sqlite_world
    for terms, kw in [(["还款计划"], {}), (["还款"], {}), (["还款计划", "款"], {"owner_id": 1}),
                      (["还"], {"negotiation_id": 1}), (["13800138000", "张"], {})]:
        steps = plan(world, terms, **kw)
        driver = TEXT_TABLE if any(len(t) >= 3 for t in terms) else SHORT_TABLE
        assert steps[0].startswith(f"SCAN {driver} VIRTUAL TABLE"), steps
        assert not [s for s in steps[1:] if s.startswith("SCAN") and "VIRTUAL TABLE" not in s]
        assert not [s for s in steps if "ORDER BY" in s], steps


def test_an_item_holds_at_most_254_texts(sqlite_world):
    world = sqlite_world
    item = world.evidence(note="很多版本")
    with session(world.engine) as s:
        s.add_all(ExtractedText(evidence_id=item, source=TextSource.transcript, text=f"第{n}版")
                  for n in range(254))
        s.commit()
        s.add(ExtractedText(evidence_id=item, source=TextSource.transcript, text="再一版"))
        with pytest.raises(DatabaseError, match="at most 254 texts"):
            s.commit()
    assert [h.snippet for h in find(world, "第253版")] == ["[第253版]"]


@pytest.mark.postgres
def test_postgres_reads_the_first_page_through_the_search_indexes(postgres_db_url):
    engine = make_engine(postgres_db_url, sqlite_path=None, key=os.urandom(32))
    migrate(engine)
    with engine.connect() as connection:
        for terms, index in ((["13800138000"], "ix_search_doc_body_trgm"),
                             (["还款"], "ix_search_doc_pieces"), (["款"], "ix_search_doc_pieces")):
            # A rare word's matches, through its GIN index.
            connection.exec_driver_sql("SET enable_seqscan = off")
            statement, params = postgres._candidates(terms)
            steps = connection.exec_driver_sql(
                f"EXPLAIN (COSTS OFF) {statement}", tuple(params)).scalars().all()
            assert any(index in step for step in steps), steps
            assert not any("Seq Scan" in step for step in steps), steps
            # The walk: a window of the key index read backwards, never sorted.
            connection.exec_driver_sql("SET enable_bitmapscan = off")
            walk = postgres._Walk(None, terms, None)
            for below in (postgres._ABOVE_EVERY_KEY, 10**9):
                steps = connection.exec_driver_sql(
                    "EXPLAIN (COSTS OFF) " + walk.statement,
                    {"below": below, "window": 512, **walk.words}).scalars().all()
                assert any("Index Scan Backward using search_doc_pkey" in step
                           for step in steps), steps
                assert not any("Sort" in step or "Seq Scan" in step for step in steps), steps
    engine.dispose()


@pytest.mark.postgres
def test_the_walk_puts_the_planner_settings_back_as_they_were(postgres_db_url):
    engine = make_engine(postgres_db_url, sqlite_path=None, key=os.urandom(32))
    migrate(engine)
    with session(engine) as s:
        for setting in ("on", "off"):
            s.execute(text(f"SET LOCAL enable_bitmapscan = {setting}"))
            walk = postgres._Walk(s, ["还款"], None)
            walk.run(20, None)
            assert walk.ended
            assert s.execute(text("SHOW enable_bitmapscan")).scalar_one() == setting
            assert s.execute(text("SHOW enable_seqscan")).scalar_one() == "on"
    engine.dispose()


def test_a_text_hit_knows_its_segment_start_and_whether_it_is_the_newest(world):
    item = world.evidence(texts=[(TextSource.transcript, "喂你好。我下周三还款。"),
                                 (TextSource.ocr, "截图：下周三还款")])
    with session(world.engine) as s:
        [transcript] = s.exec(select(ExtractedText).where(
            ExtractedText.evidence_id == item, ExtractedText.source == TextSource.transcript))
        transcript.segments = [{"start": 0, "end": 2.5, "text": "喂你好。"},
                               {"start": 2.5, "end": 6, "text": "我下周三还款。"}]
        s.add(ExtractedText(evidence_id=item, source=TextSource.ocr, text="截图：别的"))
        s.commit()
    [hit] = find(world, "我下周三")
    assert (hit.source, hit.segment, hit.start, hit.newest) == ("transcript", 1, 2.5, True)
    [older_ocr] = find(world, "截图：下周三")
    assert (older_ocr.source, older_ocr.newest, older_ocr.segment) == ("ocr", False, None)
