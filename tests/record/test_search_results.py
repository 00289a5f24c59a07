"""Search as the page, the API and the CLI share it (logger.record.search): the moment in an item
for each hit, only the owner's negotiations, grouping; and `liuhen search` printing the moment."""

from __future__ import annotations

import json

import pytest

from logger.errors import NotFound
from logger.record.search import Moment, Place, find_results, group_by_negotiation
from storage.models import ExtractedText, TextSource
from tests.support.common import make_negotiation_in, store_item

SEGMENTS = [{"start": 0.0, "end": 2.0, "text": "喂，你好。"},
            {"start": 3725.0, "end": 3730.0, "text": "我们同意减免罚息，下周五还款。"}]



@pytest.fixture
def call(services, session, negotiation, owner):
    return store_item(services, session, negotiation, owner, "call.txt",
                    texts=[(TextSource.transcript, SEGMENTS)], counterpart_number="13800138000",
                    note="他们答应减免")


def test_each_hit_has_its_moment(session, owner, call):
    [transcript] = find_results(session, "还款", owner=owner).results
    text_id = transcript.hit.text_id
    assert transcript.evidence.id == call.id
    assert transcript.moment == Moment(Place.text, text_id, True, 1, 3725.0)
    assert transcript.moment.clock == "1:02:05"
    [note] = find_results(session, "答应", owner=owner).results
    assert note.moment == Moment(Place.note)
    [both] = find_results(session, "减免", owner=owner).results  # in the note and the transcript
    assert both.moment == Moment(Place.text, text_id, True, 1, 3725.0)
    assert find_results(session, "13800138000", owner=owner).results[0].moment == Moment(
        Place.details)

    session.add(ExtractedText(evidence_id=call.id, source=TextSource.transcript,
                              text="更正：下周五付清", segments=[{"start": 1.0,
                                                             "text": "更正：下周五付清"}]))
    session.commit()
    older = next(r for r in find_results(session, "还款", owner=owner).results
                 if r.hit.text_id == text_id)
    assert older.moment == Moment(Place.text, text_id, False, 1, 3725.0)


def test_only_the_owners_negotiations_unless_no_owner_is_given(services, session, owner,
                                                               other_user, negotiation, call):
    theirs = make_negotiation_in(session, other_user, creditor="别人的银行")
    store_item(services, session, theirs, other_user, "theirs.txt", note="我也要还款")
    mine = find_results(session, "还款", owner=owner)
    assert [r.evidence.id for r in mine.results] == [call.id]
    with pytest.raises(NotFound):
        find_results(session, "还款", owner=owner, negotiation_id=theirs.id)
    everyone = find_results(session, "还款", owner=None)
    groups = group_by_negotiation(everyone)
    assert sorted(g.negotiation.id for g in groups) == sorted([negotiation.id, theirs.id])
    assert find_results(session, "还款", owner=None, negotiation_id=theirs.id).results[0] \
        .hit.negotiation_id == theirs.id


def test_pages_say_whether_more_follow(services, session, owner, negotiation):
    for n in range(3):
        store_item(services, session, negotiation, owner, f"n{n}.txt", note=f"第{n}次催收")
    first = find_results(session, "催收", owner=owner, limit=2)
    rest = find_results(session, "催收", owner=owner, limit=2, offset=2)
    assert (len(first.results), first.has_more) == (2, True)
    assert (len(rest.results), rest.has_more) == (1, False)


def test_the_cli_prints_the_moment_of_a_transcript_hit(cli, services_for, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("user", "add", "小王").exit_code == 0
    negotiation = json.loads(cli("negotiation", "add", "--creditor", "信用飞", "--json").stdout)
    recording = tmp_path / "call.txt"
    recording.write_text("a call", encoding="utf-8")
    assert cli("import", "--negotiation", negotiation["id"], recording).exit_code == 0
    with services_for() as services, services.session() as session:
        session.add(ExtractedText(evidence_id=1, source=TextSource.transcript,
                                  segments=SEGMENTS, text="".join(s["text"] for s in SEGMENTS)))
        session.commit()
    [hit] = json.loads(cli("search", "罚息", "--json").stdout)
    assert (hit["evidence_id"], hit["source"], hit["segment"], hit["start"]) == (
        1, "transcript", 1, 3725.0)
    assert cli("search", "罚息").stdout.rstrip().endswith("(at 1:02:05)")
