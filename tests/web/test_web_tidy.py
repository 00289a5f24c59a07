"""Keeping the record tidy on the web (web/tidy.py): the timeline's bulk form (works as a plain
form), an item's trash and move, the trash page and its emptying, archiving from the edit
page; in English and Chinese."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from sqlmodel import select

from logger.config.sections import TrashConfig
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import CustodyAction, CustodyEvent, Direction, Evidence
from tests.support.common import make_negotiation_in
from tests.support.web import page_text, post_form
from web.state import EXTENSION


@pytest.fixture
def client(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def items(session, services, negotiation, owner):
    """Three small items of the negotiation, oldest first."""
    return [ingest(session=session, blobs=services.blobs,
                   source=IncomingFile(io.BytesIO(f"item {i}\n".encode()), f"item{i}.txt"),
                   negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                   tz=services.config.locale.zone,
                   details=EvidenceDetails(note=f"note {i}")) for i in range(3)]


def timeline_ids(client, negotiation) -> list[int]:
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    return sorted(int(i) for i in re.findall(r'data-testid="timeline-item" data-id="(\d+)"',
                                             html))


def bulk(client, negotiation, ids, **fields):
    return post_form(client, f"/negotiations/{negotiation.id}/bulk",
                     {"ids": [str(i) for i in ids], **fields}, follow_redirects=True)


def test_the_timeline_offers_a_checkbox_per_item_in_one_plain_form(client, negotiation, items):
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert '<form id="bulk-form"' in html
    boxes = re.findall(r'<input type="checkbox" class="item-select" name="ids" value="(\d+)" '
                       r'form="bulk-form"', html)
    assert sorted(map(int, boxes)) == [e.id for e in items]


def test_bulk_trash_with_one_reason_then_restore_one(client, session, negotiation, items):
    page = bulk(client, negotiation, [items[0].id, items[1].id], action="trash",
                reason="uploaded twice")
    assert "2 items moved to the trash." in page_text(page)
    assert timeline_ids(client, negotiation) == [items[2].id]
    trash_page = client.get(f"/negotiations/{negotiation.id}/trash")
    assert page_text(trash_page).count("Reason: uploaded twice") == 2

    post_form(client, f"/evidence/{items[0].id}/restore")
    assert timeline_ids(client, negotiation) == [items[0].id, items[2].id]
    actions = [e.action for e in session.exec(select(CustodyEvent).where(
        CustodyEvent.evidence_id == items[0].id).order_by(CustodyEvent.seq))]
    assert actions == [CustodyAction.intake, CustodyAction.trash, CustodyAction.restore]


def test_a_bulk_trash_without_a_reason_changes_nothing(client, negotiation, items):
    page = bulk(client, negotiation, [items[0].id], action="trash", reason="  ")
    assert "Say why it goes to the trash" in page_text(page)
    assert timeline_ids(client, negotiation) == [e.id for e in items]


def test_bulk_move_and_a_duplicate_is_refused_with_a_message(client, session, services,
                                                             negotiation, owner, items):
    right = make_negotiation_in(session, owner, creditor="借呗")
    ingest(session=session, blobs=services.blobs, source=IncomingFile(
        io.BytesIO(b"item 2\n"), "copy.txt"), negotiation=right, actor=owner,
        max_bytes=1 << 20, tz=services.config.locale.zone)
    page = bulk(client, negotiation, [items[0].id, items[2].id], action="move",
                target=str(right.id))
    text = page_text(page)
    assert "1 item moved to 借呗." in text
    assert f"already holds the same file as item #{items[2].id}" in text
    assert timeline_ids(client, negotiation) == [items[1].id, items[2].id]
    session.expire_all()
    assert session.get(Evidence, items[0].id).negotiation_id == right.id


def test_bulk_direction_is_a_logged_edit_per_item(client, session, negotiation, items):
    bulk(client, negotiation, [items[0].id, items[1].id], action="direction",
         direction="from_them")
    session.expire_all()
    assert [session.get(Evidence, e.id).direction for e in items] == \
        [Direction.from_them, Direction.from_them, Direction.unknown]
    event = session.exec(select(CustodyEvent).where(CustodyEvent.evidence_id == items[1].id)
                         .order_by(CustodyEvent.seq.desc())).first()
    assert event.action == CustodyAction.metadata_edit
    assert event.details["changes"]["direction"] == {"old": "unknown", "new": "from_them"}


def test_an_id_of_another_negotiation_in_the_bulk_form_is_a_404(client, session, services,
                                                                negotiation, owner, items):
    other = make_negotiation_in(session, owner, creditor="借呗")
    stray = ingest(session=session, blobs=services.blobs, source=IncomingFile(
        io.BytesIO(b"elsewhere\n"), "e.txt"), negotiation=other, actor=owner,
        max_bytes=1 << 20, tz=services.config.locale.zone)
    reply = post_form(client, f"/negotiations/{negotiation.id}/bulk",
                      {"ids": [str(items[0].id), str(stray.id)], "action": "trash",
                       "reason": "x"})
    assert reply.status_code == 404
    assert timeline_ids(client, negotiation) == [e.id for e in items]


def test_one_item_to_the_trash_from_its_page_and_the_trash_emptied(app, client, session,
                                                                   services, negotiation,
                                                                   items):
    page = client.get(f"/evidence/{items[0].id}")
    assert 'data-testid="tidy-card"' in page.get_data(as_text=True)
    post_form(client, f"/evidence/{items[0].id}/trash", {"reason": "wrong file"})
    emptied = post_form(client, f"/negotiations/{negotiation.id}/trash/empty",
                        follow_redirects=True)
    assert "Nothing is old enough to purge yet" in page_text(emptied)
    assert services.blobs.exists(items[0].blob_id)

    state = app.extensions[EXTENSION]
    state.config = dataclasses.replace(state.config, trash=TrashConfig(retention_days=0))
    emptied = post_form(client, f"/negotiations/{negotiation.id}/trash/empty",
                        follow_redirects=True)
    assert "Purged 1 item: its original is deleted" in page_text(emptied)
    assert not services.blobs.exists(items[0].blob_id)
    assert 'data-testid="trash-empty"' in emptied.get_data(as_text=True)


def test_archive_hides_it_from_the_active_list_and_reopen_brings_it_back(client, negotiation):
    assert 'data-testid="archive-card"' in client.get(
        f"/negotiations/{negotiation.id}/edit").get_data(as_text=True)
    post_form(client, f"/negotiations/{negotiation.id}/archive", {"reason": "settled"})
    overview = client.get("/").get_data(as_text=True)
    assert f'data-negotiation-id="{negotiation.id}"' not in overview
    assert "Archived (1)" in overview
    archived = client.get("/?archived=1").get_data(as_text=True)
    assert f'data-negotiation-id="{negotiation.id}"' in archived
    assert "Archived: no reminders, no conduct checks." in page_text(
        client.get(f"/negotiations/{negotiation.id}"))
    post_form(client, f"/negotiations/{negotiation.id}/reopen")
    assert f'data-negotiation-id="{negotiation.id}"' in client.get("/").get_data(as_text=True)


def test_the_trash_page_in_chinese(client, negotiation, items):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    bulk(client, negotiation, [items[0].id], action="trash", reason="重复上传")
    text = page_text(client.get(f"/negotiations/{negotiation.id}/trash"))
    assert "回收站" in text and "原因：重复上传" in text and "恢复" in text


def test_an_editor_may_set_direction_in_bulk_but_not_move_or_trash(session, negotiation, owner,
                                                                  other_user, other_client,
                                                                  items):
    from logger.sharing import share
    share(session, negotiation, by=owner, user=other_user, role="editor")
    other_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = other_client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert 'data-testid="item-select"' in html
    assert 'value="trash"' not in html and 'value="move"' not in html
    assert bulk(other_client, negotiation, [items[0].id], action="direction",
                direction="from_me").status_code == 200
    session.expire_all()
    assert session.get(Evidence, items[0].id).direction == Direction.from_me
    refused = post_form(other_client, f"/negotiations/{negotiation.id}/bulk",
                        {"ids": [str(items[0].id)], "action": "trash", "reason": "x"})
    assert refused.status_code == 403
    assert post_form(other_client, f"/negotiations/{negotiation.id}/trash/empty").status_code \
        == 403
    assert timeline_ids(other_client, negotiation) == [e.id for e in items]
