"""The time of an item on the pages (issue 13): where it came from ("Time from the file name"),
a date alone shown as a date, an unknown time shown as unknown and listed apart, the upload
time shown as "Received", and a person's correction recorded as the person's."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlmodel import select

from storage.models import CustodyAction, CustodyEvent, Evidence, TimeSource
from storage.models.types import TimePrecision
from tests.support.uploads import page_token, post_files
from tests.support.web import new_browser, page_text, sign_in


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), "white").save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, negotiation, name: str, data: bytes, **fields) -> int:
    reply = post_files(client, negotiation.id, [(name, data)], fields=fields or None)
    [result] = reply.get_json()["results"]
    assert result["status"] == "stored", result
    return result["evidence_id"]


@pytest.fixture
def chinese(app, owner):
    return sign_in(new_browser(app, language="zh"), "owner", "owner-password")


def test_a_date_from_the_file_name_is_shown_as_a_date_and_says_so(client, chinese, negotiation):
    shot = upload(client, negotiation, "微信截图_20241204.png", _png())
    page = chinese.get(f"/evidence/{shot}").get_data(as_text=True)
    head = re.search(r'data-testid="occurred"[^>]*>([^<]*)<', page).group(1)
    assert head == "2024年12月4日"  # no clock time
    origin = re.search(r'data-testid="time-origin">([^<]*)<', page).group(1)
    assert origin.strip() == "2024年12月4日 · 时间来自文件名；只知道日期"
    assert 'name="occurred_at" value=""' in page  # the stand-in clock time is never shown
    assert "接收时间" in page_text(chinese.get(f"/evidence/{shot}"))
    timeline = page_text(chinese.get(f"/negotiations/{negotiation.id}"))
    assert "2024年12月4日" in timeline and "12:00" not in timeline


def test_an_unknown_time_is_unknown_and_listed_apart(client, chinese, negotiation):
    item = upload(client, negotiation, "还款协议.txt", "双方同意分期还款。".encode())
    page = chinese.get(f"/evidence/{item}").get_data(as_text=True)
    assert re.search(r'data-testid="occurred"[^>]*>时间不详<', page)
    assert "时间不详，如果知道请填写。" in page
    timeline = chinese.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    unknown = timeline.split('data-day="unknown"')[1]
    assert f'data-id="{item}"' in unknown and "时间不详" in unknown
    overview = chinese.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="last-contact" class="none">—<', overview)


def test_a_persons_correction_becomes_the_persons(client, session, negotiation):
    shot = upload(client, negotiation, "Screenshot_20241203-153012_WeChat.png", _png())
    page = client.get(f"/evidence/{shot}").get_data(as_text=True)
    assert "时间来自文件名" in page and 'value="2024-12-03T15:30:12"' in page
    client.post(f"/evidence/{shot}/details",
                data={"csrf_token": page_token(client), "occurred_at": "2024-12-03T14:50"})
    item = session.get(Evidence, shot)
    session.refresh(item)
    assert (item.occurred_at_source, item.occurred_at_precision) == (TimeSource.person,
                                                                     TimePrecision.minute)
    [event] = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.metadata_edit)).all()
    assert event.details["changes"] == {
        "occurred_at": {"old": "2024-12-03T07:30:12Z", "new": "2024-12-03T06:50:00Z"},
        "occurred_at_source": {"old": "file_name", "new": "person"}}
    page = client.get(f"/evidence/{shot}").get_data(as_text=True)
    assert "时间由人工填写" in page
    assert "时间来源" in page and "<del>文件名</del>" in page  # the custody history


def test_a_date_alone_can_be_given_with_the_upload(client, session, negotiation):
    item = upload(client, negotiation, "note.txt", "催收员来电".encode(), occurred_at="2024-12-05")
    evidence = session.get(Evidence, item)
    assert (evidence.occurred_at_source, evidence.occurred_at_precision) == (TimeSource.person,
                                                                             TimePrecision.day)
    assert evidence.occurred_at.isoformat() == "2024-12-05T04:00:00+00:00"
