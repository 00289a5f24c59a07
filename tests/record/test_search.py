"""Search over notes, extracted text and metadata, on SQLCipher (FTS5 trigram + LIKE for short
words) and PostgreSQL (pg_trgm + ILIKE): what is found, what is marked, and what stays hidden."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import select

from storage.db import session
from storage.models import (
    Evidence,
    EvidenceKind,
    ExtractedText,
    Negotiation,
    TextSource,
    User,
)
from storage.search import (SQLITE_FTS_TABLES, SearchHit, locate_segment, make_snippet, search,
                            snippet_fragments)


class World:
    """Two accounts, each with a negotiation; evidence is added by the tests."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0
        with session(engine) as s:
            self.alice, self.bob = User(name="alice"), User(name="bob")
            s.add_all([self.alice, self.bob])
            s.flush()
            self.alice_case = Negotiation(owner_id=self.alice.id, creditor="招商银行")
            self.bob_case = Negotiation(owner_id=self.bob.id, creditor="Acme Collections")
            s.add_all([self.alice_case, self.bob_case])
            s.commit()

    def evidence(self, negotiation=None, *, note=None, texts=(), day=1, **metadata) -> int:
        self.count += 1
        metadata.setdefault("original_filename", "x.txt")
        with session(self.engine) as s:
            item = Evidence(
                negotiation_id=(negotiation or self.alice_case).id, kind=EvidenceKind.note,
                media_type="text/plain", size=1, note=note,
                sha256=f"{self.count:064x}", blob_id=f"{self.count:032x}",
                occurred_at=datetime(2024, 5, day, tzinfo=UTC), **metadata)
            s.add(item)
            s.flush()
            for source, body in texts:
                s.add(ExtractedText(evidence_id=item.id, source=source, text=body))
            s.commit()
            return item.id


@pytest.fixture
def world(engine) -> World:
    return World(engine)


def find(world: World, query: str, **kw) -> list[SearchHit]:
    with session(world.engine) as s:
        return search(s, query, **kw)


def test_a_two_character_chinese_word_is_found(world):
    item = world.evidence(note="对方说：我会还款的，下个月")
    assert find(world, "还款") == [SearchHit(
        item, world.alice_case.id, "note",
        (("对方说：我会", False), ("还款", True), ("的，下个月", False)))]
    assert find(world, "还款")[0].snippet == "对方说：我会[还款]的，下个月"


def test_a_single_chinese_character_is_found(world):
    item = world.evidence(note="他说明天打款")
    world.evidence(note="没有关系的内容", day=2)
    assert [(h.evidence_id, h.snippet) for h in find(world, "款")] == [(item, "他说明天打[款]")]


def test_longer_chinese_and_english_words_go_through_the_index(world):
    call = world.evidence(texts=[(TextSource.transcript,
                                  "我们可以减免罚息，前提是你本月还清。 The waiver-of-penalty-7731 applies.")])
    letter = world.evidence(texts=[(TextSource.ocr, "催收函：请于三日内还清全部欠款")], day=2)
    assert [h.evidence_id for h in find(world, "减免罚息")] == [call]
    assert [h.evidence_id for h in find(world, "还清")] == [letter, call]  # newest first
    hits = find(world, "WAIVER")
    assert [(h.evidence_id, h.source) for h in hits] == [(call, "transcript")]
    assert "[waiver]-of-penalty-7731" in hits[0].snippet
    assert [h.evidence_id for h in find(world, "本月 罚息")] == [call]  # every word must occur
    assert find(world, "本月 欠款") == []


def test_fts_and_like_syntax_in_a_query_is_taken_literally(world):
    item = world.evidence(note='he said "pay 50%_now*" OR else')
    other = world.evidence(note="pay 500 now OR later, 50 percent", day=2)

    def ids(query: str) -> list[int]:
        return [h.evidence_id for h in find(world, query)]

    assert ids('"pay 50%_now*"') == [item]
    assert ids('"') == [item] and ids("*") == [item] and ids('now*"') == [item]
    assert ids("%") == [item] and ids("_") == [item] and ids("%_") == [item]  # not wildcards
    assert ids("OR") == [other, item]
    assert ids("now OR later") == [other]  # OR is a word to find, not an operator
    assert ids("pay NOT later") == []  # and so is NOT
    assert ids("NEAR(pay now)") == [] and ids("pay -else") == [] and ids("pay^") == []
    assert ids("\\") == [] and ids("a\\%") == []
    assert find(world, "%")[0].snippet == 'he said "pay 50[%]_now*" OR else'


def test_another_account_never_sees_the_hits(world):
    mine = world.evidence(note="还款计划 A")
    theirs = world.evidence(world.bob_case, note="还款计划 B")
    assert {h.evidence_id for h in find(world, "还款计划")} == {mine, theirs}
    assert [h.evidence_id for h in find(world, "还款计划", owner_id=world.alice.id)] == [mine]
    assert [h.evidence_id for h in find(world, "还款", owner_id=world.bob.id)] == [theirs]
    assert [h.evidence_id for h in find(world, "计划 B", owner_id=world.alice.id)] == []
    assert [h.evidence_id for h in
            find(world, "还款", negotiation_id=world.bob_case.id)] == [theirs]


def test_the_index_follows_edits_and_deletions(world):
    item = world.evidence(note="old remark", texts=[(TextSource.transcript, "分期付款方案")])
    with session(world.engine) as s:
        s.get(Evidence, item).note = "new remark 新备注"
        s.commit()
    assert find(world, "old") == []
    assert [h.source for h in find(world, "remark")] == ["note"]
    assert [h.source for h in find(world, "备注")] == ["note"]
    with session(world.engine) as s:
        s.get(Evidence, item).note = None
        s.commit()
    assert find(world, "remark") == []
    with session(world.engine) as s:
        row = s.exec(select(ExtractedText)).one()
        row.text = "一次性结清"
        s.commit()
    assert find(world, "分期付款") == []
    assert [h.evidence_id for h in find(world, "一次性结清")] == [item]
    with session(world.engine) as s:
        s.delete(s.exec(select(ExtractedText)).one())
        s.commit()
    assert find(world, "一次性结清") == []
    other = world.evidence(note="整条证据删除", texts=[(TextSource.ocr, "截图文字内容")])
    with session(world.engine) as s:
        s.delete(s.get(Evidence, other))  # cascades to its text
        s.commit()
    assert find(world, "截图文字") == [] and find(world, "证据删除") == []
    assert_index_intact(world.engine)


def test_blank_query_and_limit(world):
    for day in range(1, 6):
        world.evidence(note=f"第{day}次通话", day=day)
    assert find(world, "") == [] and find(world, " \u3000 ") == []
    assert [h.snippet for h in find(world, "通话", limit=2)] == ["第5次[通话]", "第4次[通话]"]
    assert [h.snippet for h in find(world, "通话", limit=2, offset=2)] == ["第3次[通话]",
                                                                         "第2次[通话]"]
    assert [h.snippet for h in find(world, "通话", limit=2, offset=4)] == ["第1次[通话]"]
    assert find(world, "通话", offset=5) == []
    with pytest.raises(ValueError, match="limit"):
        find(world, "通话", limit=0)
    with pytest.raises(ValueError, match="offset"):
        find(world, "通话", offset=-1)


def test_metadata_is_searched_number_name_file_name_and_subject(world):
    call = world.evidence(counterpart_number="13800138000", counterpart_name="张经理",
                          original_filename="通话录音 13800138000 20241203_153012.m4a")
    mail = world.evidence(subject="关于您逾期账单的最后通知", original_filename="notice.eml",
                          counterpart_name="Acme Recovery", day=2)
    world.evidence(world.bob_case, counterpart_number="13800138000", day=3)

    def hits(query: str) -> list[tuple[int, str]]:
        return [(h.evidence_id, h.source) for h in find(world, query, owner_id=world.alice.id)]

    assert hits("13800138000") == [(call, "metadata")]
    assert hits("张经理") == [(call, "metadata")]
    assert hits("经理") == [(call, "metadata")]  # two characters: the LIKE path
    assert hits("m4a") == [(call, "metadata")]
    assert hits("逾期账单") == [(mail, "metadata")]
    assert hits("acme") == [(mail, "metadata")]  # ASCII case does not matter
    assert hits("张经理 13800138000") == [(call, "metadata")]  # two fields, one item
    assert hits("张经理 notice") == []  # every word in the same item
    assert hits("13800138000通话录音") == []  # a word never spans two fields
    [hit] = find(world, "13800138000", owner_id=world.alice.id)
    assert hit.snippet == ("张经理 · [13800138000] · 通话录音 [13800138000] 20241203_153012.m4a")
    assert hit.text_id is None


def test_an_item_that_matches_in_its_texts_and_its_metadata_is_one_hit(world):
    """One result per item (issue 20: the same file was listed twice): its newest matching
    text, which can open the moment, rather than its metadata or an older version."""
    item = world.evidence(counterpart_number="13900001111", note="明天回电 13900001111",
                          texts=[(TextSource.transcript, "请回电 13900001111 谢谢"),
                                 (TextSource.transcript, "重新转写：请回电 13900001111")])
    other = world.evidence(counterpart_number="13900001111", day=2)
    hits = find(world, "13900001111")
    assert [(h.evidence_id, h.source) for h in hits] == [(other, "metadata"),
                                                         (item, "transcript")]
    assert "重新转写" in hits[1].snippet  # the newer transcript
    [note] = find(world, "明天 13900001111")  # in the note and the metadata, not the texts
    assert (note.evidence_id, note.source) == (item, "note")
    assert len(find(world, "13900001111", limit=1, offset=1)) == 1  # pages count items


def test_fragments_keep_what_was_typed_apart_from_the_marks():
    assert snippet_fragments("a [b] <c>", ["<c>"]) == (("a [b] ", False), ("<c>", True))
    assert snippet_fragments("  还款  ", ["还款"]) == (("还款", True),)
    assert snippet_fragments("abc", ["ab", "bc"]) == (("abc", True),)  # overlapping words


def test_locate_segment_finds_the_moment_of_the_first_match():
    segments = [{"start": 0.0, "text": "你好，"}, {"start": 2.5, "text": "我们谈谈还款计划。"},
                {"start": 6.0, "text": "下周五还款。"}]
    text = "".join(s["text"] for s in segments)
    assert locate_segment(text, segments, ["还款"]) == 1
    assert locate_segment(text, segments, ["下周五"]) == 2
    assert locate_segment(text, segments, ["周五", "你好"]) == 0  # the first match of any word
    assert locate_segment(text, segments, ["款计"]) == 1
    assert locate_segment(text, segments, ["，我们"]) == 0  # across two: where it starts
    assert locate_segment(" ".join(s["text"] for s in segments), segments, ["下周五"]) == 2
    edited = "一段被人改过的文字，下周五还款"
    assert locate_segment(edited, segments, ["下周五"]) == 2  # falls back to the segments' text
    assert locate_segment(text, [], ["还款"]) is None
    assert locate_segment(text, segments, ["没有"]) is None


def test_snippet_marks_matches_in_a_window_around_the_first():
    body = "开头" + "。" * 100 + "他承诺 pay on Friday，再次承诺" + "。" * 100
    snippet = make_snippet(body, ["承诺", "friday"])
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "[承诺] pay on [Friday]，再次[承诺]" in snippet
    assert len(snippet) < 100
    assert make_snippet("no match here", ["zzz"]) == "no match here"


def assert_index_intact(engine) -> None:
    with engine.begin() as connection:
        for table in SQLITE_FTS_TABLES if engine.dialect.name == "sqlite" else ():
            # Raises if the index is damaged.
            connection.execute(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))
        # A document for the details and the note of every item and for each of its texts.
        documents = connection.execute(text(
            "SELECT evidence_id, text_id FROM search_doc ORDER BY key")).all()
        items = connection.execute(text("SELECT id FROM evidence")).scalars().all()
        texts = connection.execute(text("SELECT evidence_id, id FROM extracted_text")).all()
    assert sorted(documents, key=repr) == sorted(
        [(item, None) for item in items for _ in range(2)] + [tuple(t) for t in texts], key=repr)
