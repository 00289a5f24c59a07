"""The trash (logger.record.trash): an item leaves every list with its reason logged, comes back
when restored, and only emptying after the retention period deletes its original, leaving the
row, its SHA-256 and the custody chain; `liuhen verify` counts trashed and purged items."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from logger.accounts import add_user
from logger.errors import DuplicateEvidence
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import list_negotiations
from logger.record.custody import verify_chain
from logger.record.evidence import evidence_history, list_evidence
from logger.record.search import find_results
from logger.record.timeline import read_timeline
from logger.record.trash import TrashError, empty_trash, in_trash, restore, trash
from logger.record.verify import repair, verify
from storage.models import CustodyAction, Evidence, ExtractedText, TextSource
from tests.support.common import make_negotiation_in

T0 = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


def add(services, session, negotiation, owner, data: bytes, name: str, text: str | None = None):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), name), negotiation=negotiation,
                  actor=owner, max_bytes=10**8, tz=services.config.locale.zone)
    if text:
        session.add(ExtractedText(evidence_id=item.id, source=TextSource.text, text=text))
        session.commit()
    return item


def timeline_ids(session, negotiation, services):
    lines = read_timeline(session, negotiation, default_zone=services.config.locale.zone).lines
    return [line.id for line in lines]


def test_a_trashed_item_leaves_the_lists_and_its_reason_is_logged(services, session,
                                                                   negotiation, owner):
    kept = add(services, session, negotiation, owner, b"kept\n", "kept.txt", "还款计划 保留")
    gone = add(services, session, negotiation, owner, b"wrong\n", "wrong.txt", "还款计划 错误")
    found = find_results(session, "还款计划", owner=owner).results
    assert {r.hit.evidence_id for r in found} == {kept.id, gone.id}

    assert [e.id for e in trash(session, gone, actor=owner, reason=" uploaded  twice ",
                                now=T0)] == [gone.id]

    assert [e.id for e in list_evidence(session, negotiation.id)] == [kept.id]
    assert timeline_ids(session, negotiation, services) == [kept.id]
    assert [r.hit.evidence_id for r in find_results(session, "还款计划", owner=owner).results] \
        == [kept.id]
    assert dict((n.id, c) for n, c in list_negotiations(session, owner=owner)) == \
        {negotiation.id: 1}
    event = evidence_history(session, gone)[-1]
    assert (event.action, event.actor_id, event.at, event.details) == \
        (CustodyAction.trash, owner.id, T0, {"reason": "uploaded twice"})
    assert services.blobs.exists(gone.blob_id)   # the original is kept until emptied
    assert [e.id for e in in_trash(session, owner=owner)] == [gone.id]


def test_a_reason_is_needed(services, session, negotiation, owner):
    item = add(services, session, negotiation, owner, b"x\n", "x.txt")
    with pytest.raises(TrashError, match="Say why"):
        trash(session, item, actor=owner, reason="   ")
    assert item.trashed_at is None and len(evidence_history(session, item)) == 1


def test_restore_puts_it_back_logged(services, session, negotiation, owner):
    item = add(services, session, negotiation, owner, b"x\n", "x.txt")
    trash(session, item, actor=owner, reason="mistake", now=T0)
    assert [e.id for e in restore(session, item, actor=owner)] == [item.id]
    assert timeline_ids(session, negotiation, services) == [item.id]
    assert [e.action for e in evidence_history(session, item)] == \
        [CustodyAction.intake, CustodyAction.trash, CustodyAction.restore]
    with pytest.raises(TrashError, match="not in the trash"):
        restore(session, item, actor=owner)


def test_a_mailboxs_messages_go_to_the_trash_and_come_back_with_it(services, session,
                                                                   negotiation, owner):
    parent = add(services, session, negotiation, owner, b"parent\n", "box.txt")
    child = add(services, session, negotiation, owner, b"child\n", "message.txt")
    child.parent_id = parent.id
    session.add(child)
    session.commit()
    assert {e.id for e in trash(session, parent, actor=owner, reason="wrong case")} == \
        {parent.id, child.id}
    assert evidence_history(session, child)[-1].details == {"reason": "wrong case",
                                                            "with": parent.id}
    assert {e.id for e in restore(session, parent, actor=owner)} == {parent.id, child.id}


def test_emptying_purges_only_what_is_older_than_the_retention_period(services, session,
                                                                      negotiation, owner):
    old = add(services, session, negotiation, owner, b"old\n", "old.txt", "旧的文字")
    young = add(services, session, negotiation, owner, b"young\n", "young.txt")
    trash(session, old, actor=owner, reason="duplicate", now=T0)
    trash(session, young, actor=owner, reason="duplicate", now=T0 + timedelta(days=25))

    purged = empty_trash(session, services.blobs, actor=owner, retention_days=30,
                         now=T0 + timedelta(days=30))
    assert [e.id for e in purged] == [old.id]
    session.expire_all()
    assert session.get(Evidence, old.id).purged_at == T0 + timedelta(days=30)
    assert not services.blobs.exists(old.blob_id) and services.blobs.exists(young.blob_id)
    assert session.exec(select(ExtractedText).where(ExtractedText.evidence_id == old.id)).all() \
        == []
    event = evidence_history(session, old)[-1]
    assert event.action == CustodyAction.purge and event.details["sha256"] == old.sha256
    assert verify_chain(session)[1] == []
    with pytest.raises(TrashError, match="purged"):
        restore(session, old, actor=owner)
    assert [e.id for e in in_trash(session, owner=owner)] == [young.id]


def test_emptying_touches_only_the_actors_own_negotiations(services, session, negotiation,
                                                           owner):
    other = add_user(session, "other", "other-password")
    theirs = make_negotiation_in(session, other)
    item = add(services, session, theirs, other, b"theirs\n", "theirs.txt")
    trash(session, item, actor=other, reason="not needed", now=T0)
    assert empty_trash(session, services.blobs, actor=owner, retention_days=0,
                       now=T0 + timedelta(days=1)) == []
    assert services.blobs.exists(item.blob_id)


def test_verify_counts_trashed_and_purged_and_a_purged_blob_is_no_problem(services, session,
                                                                          negotiation, owner):
    add(services, session, negotiation, owner, b"kept\n", "kept.txt")
    trashed = add(services, session, negotiation, owner, b"trashed\n", "trashed.txt")
    purged = add(services, session, negotiation, owner, b"purged\n", "purged.txt")
    trash(session, trashed, actor=owner, reason="r", now=T0)
    trash(session, purged, actor=owner, reason="r", now=T0 - timedelta(days=40))
    empty_trash(session, services.blobs, actor=owner, retention_days=30, now=T0)

    report = verify(session, services.blobs)
    assert report.ok, report.problems
    assert (report.evidence_checked, report.trashed, report.purged) == (3, 1, 1)
    assert "3 item(s) (1 in the trash, 1 purged)" in report.summary()

    # A trashed item's original is still checked: its loss is a problem.
    services.blobs.path_for(trashed.blob_id).unlink()
    assert [p.kind for p in verify(session, services.blobs).problems] == ["blob_missing"]


def test_a_blob_left_behind_by_a_purge_is_an_orphan_that_repair_removes(services, session,
                                                                        negotiation, owner):
    item = add(services, session, negotiation, owner, b"x\n", "x.txt")
    trash(session, item, actor=owner, reason="r", now=T0)
    kept_copy = services.blobs.path_for(item.blob_id).read_bytes()
    empty_trash(session, services.blobs, actor=owner, retention_days=0, now=T0)
    services.blobs.path_for(item.blob_id).write_bytes(kept_copy)   # as if deletion had failed
    assert [p.kind for p in verify(session, services.blobs).problems] == ["orphan_blob"]
    assert repair(session, services.blobs) == [f"removed orphan blob {item.blob_id}"]
    assert verify(session, services.blobs).ok


def test_cli_trash_list_restore_empty_and_verify(cli, services, session, negotiation, owner):
    item = add(services, session, negotiation, owner, b"x\n", "x.txt")
    item_id = item.id
    services.close()
    assert cli("evidence", "trash", item_id, "--reason", "wrong file").stdout == \
        f"moved to the trash: #{item_id}\n"
    listed = json.loads(cli("trash", "list", "--json").stdout)
    assert [(d["id"], d["reason"]) for d in listed] == [(item_id, "wrong file")]
    assert "no evidence yet" in cli("evidence", "list", "--negotiation", negotiation.id).stdout
    assert cli("evidence", "restore", item_id).stdout == f"restored: #{item_id}\n"
    assert cli("trash", "list").stdout == "the trash is empty\n"

    cli("evidence", "trash", item_id, "--reason", "wrong file")
    out = cli("trash", "empty").stdout   # retention 30 days: nothing purged yet
    assert out.startswith("nothing to purge; 1 item(s) stay in the trash until they are 30")
    purged = cli("trash", "empty", env={"LIUHEN_TRASH_RETENTION_DAYS": "0"})
    assert purged.stdout == f"purged 1 item(s): #{item_id}\n"
    result = json.loads(cli("verify", "--json").stdout)
    assert result["ok"] and result["purged"] == 1 and result["trashed"] == 0


def test_cli_refuses_a_trash_without_a_reason_or_of_another_account(cli, services, session,
                                                                    negotiation, owner):
    other = add_user(session, "other", "other-password")
    theirs = make_negotiation_in(session, other)
    item = add(services, session, theirs, other, b"theirs\n", "theirs.txt")
    item_id = item.id
    services.close()
    result = cli("evidence", "trash", item_id, "--reason", "x")
    assert result.exit_code != 0 and f"no evidence #{item_id}" in result.output
    result = cli("evidence", "trash", item_id, "--reason", " ", "--user", "other")
    assert result.exit_code != 0 and "Say why" in result.output


def test_the_same_file_again_is_refused_with_where_it_is(services, session, negotiation, owner):
    item = add(services, session, negotiation, owner, b"same\n", "a.txt")
    trash(session, item, actor=owner, reason="r", now=T0)
    with pytest.raises(DuplicateEvidence, match="in the trash: restore it"):
        add(services, session, negotiation, owner, b"same\n", "again.txt")
    empty_trash(session, services.blobs, actor=owner, retention_days=0, now=T0)
    with pytest.raises(DuplicateEvidence, match="until the trash was emptied"):
        add(services, session, negotiation, owner, b"same\n", "again.txt")


def test_a_trashed_item_is_left_out_of_bundles_and_conduct_findings(services, session,
                                                                   negotiation, owner):
    from logger.bundles.items import select_items
    from logger.conduct.report import conduct_report
    from logger.errors import NotFound
    from storage.models import Channel, Direction, EvidenceKind
    zone = services.config.locale.zone
    kept = add(services, session, negotiation, owner, b"kept\n", "kept.txt")
    night = ingest(session=session, blobs=services.blobs,
                   source=IncomingFile(io.BytesIO(b"night call\n"), "night.txt"),
                   negotiation=negotiation, actor=owner, max_bytes=10**8, tz=zone,
                   details=EvidenceDetails(kind=EvidenceKind.call, channel=Channel.call,
                                           direction=Direction.from_them,
                                           occurred_at=datetime(2024, 12, 3, 15, 30, tzinfo=UTC)))
    assert {f.evidence_id for f in conduct_report(session, negotiation,
                                                  default_zone=zone).findings} == {night.id}
    trash(session, night, actor=owner, reason="wrong case")
    assert conduct_report(session, negotiation, default_zone=zone).findings == ()
    assert [e.id for e in select_items(session, negotiation, tz=zone)] == [kept.id]
    with pytest.raises(NotFound):
        select_items(session, negotiation, tz=zone, ids=[night.id])


def test_trash_search_move_and_purge_on_both_databases(any_db):
    from logger.record.moving import move
    services = any_db
    with services.session() as session:
        owner = add_user(session, "owner", "owner-password")
        negotiation = make_negotiation_in(session, owner)
        right = make_negotiation_in(session, owner, creditor="借呗")
        item = add(services, session, negotiation, owner, b"x\n", "x.txt", "还款计划 错误")
        trash(session, item, actor=owner, reason="wrong", now=T0)
        assert find_results(session, "还款计划", owner=owner).results == []
        restore(session, item, actor=owner)
        move(session, item, right, actor=owner)
        assert [r.hit.negotiation_id for r in find_results(session, "还款计划",
                                                            owner=owner).results] == [right.id]
        trash(session, item, actor=owner, reason="wrong", now=T0)
        assert [e.id for e in empty_trash(session, services.blobs, actor=owner,
                                          retention_days=0, now=T0)] == [item.id]
        report = verify(session, services.blobs)
        assert report.ok and report.purged == 1, report.problems
