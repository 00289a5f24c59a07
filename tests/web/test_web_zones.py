"""Times typed on the pages and sent to the API are read in the negotiation's zone, and its pages
show them back in that zone (issue 21): its own zone (its conduct setting), else its owner's, not
the zone of whoever is signed in. A page in a zone other than the reader's own says which."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger import sharing
from logger.conduct.report import conduct_report, configure_conduct
from storage.models import Evidence
from storage.models.promises import Payment, Promise
from tests.support.uploads import page_token, post_files
from tests.support.web import new_browser, post_form, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
SMS = b"Please call us back about your account.\n"
# The offset is today's (daylight saving or not).
NOTE = re.compile(r"Times on this page are in this negotiation's time zone: "
                  r"America/New_York, UTC-0[45]:00\. Type times as they were there\.$")


@pytest.fixture
def new_york(session, negotiation, owner):
    """A New York negotiation (its own conduct setting) of an owner who lives in Shanghai."""
    owner.timezone, owner.locale = "Asia/Shanghai", "en"
    session.add(owner)
    session.commit()
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI,
                      timezone="America/New_York")
    return negotiation


def upload(client, negotiation, name: str, data: bytes, **fields) -> int:
    reply = post_files(client, negotiation.id, [(name, data)], fields=fields)
    [result] = reply.get_json()["results"]
    assert result["status"] == "stored", result
    return result["evidence_id"]


def stored_time(session, evidence_id: int) -> datetime:
    session.expire_all()
    return session.get(Evidence, evidence_id).occurred_at


def day_section(page: str, day: str) -> str:
    """The part of the timeline page under one day's heading."""
    return page.split(f'data-day="{day}"')[1].split('data-day="')[0]


def zone_note(page: str) -> str | None:
    found = re.search(r'data-testid="header-zone"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else None


def test_an_sms_typed_at_11_on_the_upload_form_is_11_in_new_york(client, session, new_york):
    """11:00 in New York, not 11:00 in Shanghai (22:00 the day before in New York, which made
    a false night-time finding)."""
    item = upload(client, new_york, "sms.txt", SMS, occurred_at="2024-12-03T11:00", kind="sms",
                  channel="sms", direction="from_them", counterpart_number="2125550100")
    assert stored_time(session, item) == datetime(2024, 12, 3, 16, 0, tzinfo=UTC)
    found = conduct_report(session, new_york, default_zone=SHANGHAI).findings
    assert [f.rule_id for f in found if f.evidence_id == item] == []
    page = client.get(f"/evidence/{item}").get_data(as_text=True)
    assert 'name="occurred_at" value="2024-12-03T11:00:00"' in page
    assert NOTE.match(zone_note(page))
    timeline = client.get(f"/negotiations/{new_york.id}").get_data(as_text=True)
    assert f'data-id="{item}"' in day_section(timeline, "2024-12-03")  # 00:00 on 4th in Shanghai
    assert zone_note(timeline) is not None


def test_a_date_alone_is_a_day_in_the_negotiations_zone(client, session, new_york):
    item = upload(client, new_york, "note.txt", "催收员来电".encode(), occurred_at="2024-12-05")
    assert stored_time(session, item) == datetime(2024, 12, 5, 12, 0, tzinfo=NEW_YORK)


def test_a_helper_in_another_zone_types_and_reads_the_negotiations_time(
        app, client, session, negotiation, owner, other_user, store):
    """The negotiation follows its owner (New York); the editor helping lives in Shanghai."""
    owner.timezone, owner.locale = "America/New_York", "en"
    other_user.timezone, other_user.locale = "Asia/Shanghai", "en"
    session.add_all([owner, other_user])
    session.commit()
    sharing.share(session, negotiation, by=owner, user=other_user, role="editor")
    item = store(negotiation, owner).id
    helper = sign_in(new_browser(app), "other", "other-password")
    reply = helper.post(f"/evidence/{item}/details", data={
        "csrf_token": page_token(helper, f"/evidence/{item}"), "occurred_at": "2024-12-03T09:15"})
    assert reply.status_code == 302
    assert stored_time(session, item) == datetime(2024, 12, 3, 14, 15, tzinfo=UTC)
    seen = helper.get(f"/evidence/{item}").get_data(as_text=True)
    assert 'name="occurred_at" value="2024-12-03T09:15:00"' in seen
    assert NOTE.match(zone_note(seen))
    owners = client.get(f"/evidence/{item}").get_data(as_text=True)
    assert 'name="occurred_at" value="2024-12-03T09:15:00"' in owners
    assert zone_note(owners) is None  # the owner's own zone: nothing to say
    assert zone_note(client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)) \
        is None


def test_pages_not_about_one_negotiation_keep_the_accounts_zone(client, new_york):
    for url in ("/", "/settings", "/notifications"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert zone_note(page.get_data(as_text=True)) is None, url


def test_a_promise_and_a_payment_are_read_and_shown_in_new_york(client, session, new_york):
    url = f"/negotiations/{new_york.id}"
    reply = post_form(client, f"{url}/promises", {
        "party": "me", "kind": "payment", "amount": "3000", "due_date": "2030-12-13",
        "due_time": "15:00"})
    assert reply.status_code == 302
    [promise] = session.exec(select(Promise)).all()
    assert promise.due_at == datetime(2030, 12, 13, 20, 0, tzinfo=UTC)
    reply = post_form(client, f"{url}/payments", {
        "amount": "500", "method": "alipay", "paid_date": "2024-12-03", "paid_time": "11:00"})
    assert reply.status_code == 302
    [payment] = session.exec(select(Payment)).all()
    assert (payment.amount, payment.paid_at) == (Decimal("500"),
                                                 datetime(2024, 12, 3, 16, 0, tzinfo=UTC))
    page = client.get(f"{url}/promises").get_data(as_text=True)
    assert re.search(r'name="[\w-]*due_time"[^>]*value="15:00"', page)
    assert zone_note(page) is not None


def test_the_api_reads_a_time_sent_with_a_file_in_the_negotiations_zone(api, session,
                                                                         new_york):
    from tests.web.test_api import upload as api_upload
    reply, _ = api_upload(api, new_york.id, [("sms.txt", SMS)],
                          [("occurred_at", "2024-12-03T11:00"), ("kind", "sms"),
                           ("direction", "from_them")])
    assert reply.status_code == 201, reply.json
    [result] = reply.json["results"]
    assert stored_time(session, result["id"]) == datetime(2024, 12, 3, 16, 0, tzinfo=UTC)
    assert result["evidence"]["occurred_at"] == "2024-12-03T11:00:00-05:00"


def test_a_chinese_reader_reads_the_note_in_chinese(app, session, new_york, owner):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    browser = sign_in(new_browser(app, language="zh"), "owner", "owner-password")
    page = browser.get(f"/negotiations/{new_york.id}/promises").get_data(as_text=True)
    assert zone_note(page).startswith("本页时间按本协商的时区显示：America/New_York, UTC-0")
