"""The evidence bundle page: choosing items, groups and purposes, the letter, the download (a
bundle that checks out, whose temporary file is gone), the fingerprint, and 404 for another
account."""

from __future__ import annotations

import csv
import io
import json
import zipfile

from sqlmodel import select

from logger.bundles.signing import signing_key
from logger.bundles.verify import verify_bundle
from storage.models import CustodyAction, CustodyEvent
from tests.support.bundles import DAY_CALL_LINES, world  # noqa: F401  (world is a fixture)
from tests.support.web import csrf, page_text, post_form


def url(world) -> str:
    return f"/negotiations/{world.negotiation.id}/bundle"


def test_the_page_offers_every_item_in_prefilled_groups(world, client):
    reply = client.get(url(world), headers={"Accept-Language": "zh"})
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    for item in world.items.values():
        assert f'data-testid="tick-{item.id}"' in html
    assert "证明催收方在22:00后致电" in html  # group 2's prefilled purpose
    assert "证明双方聊天沟通的内容" in html
    key = signing_key(world.services.vault, world.services.config.storage.data_dir)
    assert key.fingerprint in html
    assert "投诉信" in html and "被投诉机构：信用飞" in html  # the draft letter


def test_the_page_is_in_english_for_an_english_reader(world, client):
    text = page_text(client.get(url(world), headers={"Accept-Language": "en"}))
    assert "Evidence bundle" in text and "What the bundle is for" in text
    # The bundle follows the page language unless the negotiation has its own.
    assert "Shows the collector called after 22:00" in text
    assert "Complaint against: 信用飞" in text


def test_date_and_channel_filters_decide_what_is_ticked(world, client):
    html = client.get(url(world) + "?channel=call&since=2024-12-04").get_data(as_text=True)
    assert f'value="{world.items["day_call"].id}" checked' in html
    for name in ("night_call", "email", "white_chat"):
        assert f'value="{world.items[name].id}" checked' not in html, name


def export_form(world, **extra) -> dict:
    items = world.items
    form = {"purpose": "court", "lang": "zh", "party": "李四",
            "item": [items["night_call"].id, items["day_call"].id, items["letter"].id],
            f"group-{items['night_call'].id}": "1", f"group-{items['letter'].id}": "1",
            f"group-{items['day_call'].id}": "2",
            "purpose-1": "证明催收方深夜来电并发函", "purpose-2": ""}
    form.update(extra)
    return form


def test_export_downloads_a_bundle_that_checks_out(world, client, tmp_path):
    reply = post_form(client, url(world), export_form(world))
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    assert reply.mimetype == "application/zip"
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    path = tmp_path / "download.zip"
    path.write_bytes(reply.get_data())
    reply.close()
    report = verify_bundle(path)
    assert report.exit_code == 0, report.text()
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("证据目录.csv").decode("utf-8-sig"))))
        manifest = json.loads(archive.read("manifest.json"))
    assert [(r[0], r[3]) for r in rows[1:]] == [
        ("1-1", "证明催收方深夜来电并发函"), ("1-2", "证明催收方深夜来电并发函"),
        ("2-1", "证明双方协商还款的通话内容")]  # a blank purpose takes the prefilled one
    assert manifest["purpose"] == "court" and "证据材料_打印版.pdf" in archive.namelist()
    event = world.session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export)).one()
    assert event.actor_id == world.owner.id
    data_dir = world.services.config.storage.data_dir
    assert not list(data_dir.glob("bundle-*"))  # the temporary file is gone


def test_a_complaint_bundle_carries_the_letter_as_edited_on_the_page(world, client, tmp_path):
    letter = "尊敬的监管部门：\n这是我改过的投诉信。\n"
    reply = post_form(client, url(world), export_form(world, purpose="complaint",
                                                      letter=letter))
    assert reply.status_code == 200
    with zipfile.ZipFile(io.BytesIO(reply.get_data())) as archive:
        assert archive.read("投诉信.txt").decode() == letter
    reply.close()


def test_export_with_nothing_ticked_says_so(world, client):
    form = export_form(world)
    form.pop("item")
    reply = post_form(client, url(world), form)
    assert reply.status_code == 400
    assert "证据包里没有任何材料" in reply.get_data(as_text=True)   # the page speaks Chinese
    assert world.session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export)).first() is None


def test_export_without_the_csrf_token_is_refused(world, client):
    reply = client.post(url(world), data=export_form(world))
    assert reply.status_code == 400
    assert world.session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.export)).first() is None


def test_another_account_gets_404(world, other_client):
    assert other_client.get(url(world)).status_code == 404
    form = {**export_form(world), "csrf_token": csrf(other_client)}
    assert other_client.post(url(world), data=form).status_code == 404


def test_items_of_another_negotiation_cannot_be_slipped_in(world, client, session, owner):
    from tests.support.common import make_negotiation_in
    other = make_negotiation_in(session, owner, creditor="借呗")
    form = export_form(world)
    reply = post_form(client, f"/negotiations/{other.id}/bundle", form)
    assert reply.status_code == 400
    assert DAY_CALL_LINES[0] not in reply.get_data(as_text=True)
