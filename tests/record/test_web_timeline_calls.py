"""An imported call log on the timeline: one line per call (time, number, name, type, duration),
each linking to the exported file as its source; the file is not a line of its own (no undated
item showing raw CSV). The same lines in the API, and the file's page lists its calls."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from logger.conduct.calllog import import_call_log
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.timeline import Cursor, ItemKind, Order, read_timeline
from logger.tokens import create_token
from storage.models import CallLogEntry, Channel, Direction, EvidenceKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALLS = """number,name,start,duration_seconds,type
95188,信用飞客服,2024-12-03 09:00:05,0,missed
95188,信用飞客服,2024-12-03 22:40:00,95,incoming
95188,信用飞客服,2024-12-04 10:00:00,31,outgoing
"""


@pytest.fixture(autouse=True)
def english(session, owner):
    owner.locale = "en"
    session.add(owner)
    session.commit()


@pytest.fixture
def log_file(services, session, negotiation, owner) -> int:
    """A recording on the 3rd at noon, then the phone's call log."""
    ingest(session=session, blobs=services.blobs,
           source=IncomingFile(io.BytesIO(b"recording\n"), "rec.txt"), negotiation=negotiation,
           actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
           details=EvidenceDetails(kind=EvidenceKind.call, channel=Channel.call,
                                   direction=Direction.from_them, counterpart_number="95188",
                                   occurred_at=datetime(2024, 12, 3, 12, tzinfo=SHANGHAI)))
    return import_call_log(session=session, blobs=services.blobs, negotiation=negotiation,
                           actor=owner, data=CALLS.encode(), filename="calls.csv", tz=SHANGHAI,
                           max_bytes=1 << 24).evidence_id


def test_each_call_is_a_line_and_the_file_is_their_source(session, negotiation, log_file):
    timeline = read_timeline(session, negotiation, default_zone=SHANGHAI,
                             order=Order.oldest_first)
    kinds = [(str(line.kind), line.occurred_at.astimezone(SHANGHAI).strftime("%d %H:%M"))
             for line in timeline.lines]
    assert kinds == [("call_log", "03 09:00"), ("evidence", "03 12:00"),
                     ("call_log", "03 22:40"), ("call_log", "04 10:00")]
    assert log_file not in [item.id for item in timeline.page.items]
    calls = [line for line in timeline.lines if line.kind == ItemKind.call_log]
    assert [(c.number, c.name, str(c.call_type), c.duration_s, c.source_line) for c in calls] == [
        ("95188", "信用飞客服", "missed", 0, 2), ("95188", "信用飞客服", "incoming", 95, 3),
        ("95188", "信用飞客服", "outgoing", 31, 4)]
    assert {(c.source_evidence_id, c.source_filename) for c in calls} == {(log_file, "calls.csv")}
    # The night call is the collector's (the log says incoming): a counted finding on its line.
    assert [f.rule.id for f in calls[1].findings] == ["cn.quiet_hours"]
    assert not calls[1].findings[0].needs_direction
    # Narrowed to one direction, the calls follow it.
    mine = read_timeline(session, negotiation, default_zone=SHANGHAI, direction=Direction.from_me)
    assert [str(line.kind) for line in mine.lines] == ["call_log"]


def test_pages_share_out_the_calls(session, negotiation, log_file):
    seen, after = [], None
    while True:
        timeline = read_timeline(session, negotiation, default_zone=SHANGHAI, limit=1,
                                 after=after, order=Order.oldest_first)
        seen += [(str(line.kind), line.id) for line in timeline.lines]
        if timeline.page.later_in_order is None:
            break
        after = Cursor.parse(timeline.page.later_in_order)
    calls = [i for kind, i in seen if kind == "call_log"]
    assert sorted(calls) == sorted(set(calls)) and len(calls) == 3


def test_the_page_shows_calls_with_their_source(client, session, negotiation, log_file):
    page = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert f'data-testid="timeline-item" data-id="{log_file}"' not in page
    lines = re.findall(r'<li class="item call-log[^"]*" data-testid="timeline-call" '
                       r'data-id="(\d+)" data-source="(\d+)"', page)
    assert len(lines) == 3 and {source for _, source in lines} == {str(log_file)}
    first = session.get(CallLogEntry, int(lines[-1][0]))  # newest first: the last is the 9:00
    assert f'href="/evidence/{log_file}#call-{first.id}"' in page
    assert "From the call log calls.csv, line 2" in page
    assert "Missed · Duration 0:00" in page and "Answered · Duration 1:35" in page
    assert "number,name,start" not in page  # no raw CSV anywhere
    assert 'data-testid="conduct-flag" data-rule="cn.quiet_hours"' in page

    file_page = client.get(f"/evidence/{log_file}").get_data(as_text=True)
    rows = re.findall(r'<tr id="call-(\d+)" data-testid="call-row"', file_page)
    assert sorted(int(r) for r in rows) == sorted(int(i) for i, _ in lines)
    assert "Calls in this call log (3)" in file_page


def test_the_api_gives_the_same_lines(app, session, owner, negotiation, log_file):
    _, token = create_token(session, owner, "phone")
    reply = app.test_client().get(f"/api/v1/negotiations/{negotiation.id}/timeline?order=asc",
                                  headers={"Authorization": f"Bearer {token}"})
    items = reply.get_json()["items"]
    assert [i["type"] for i in items] == ["call_log", "evidence", "call_log", "call_log"]
    night = items[2]
    assert {k: night[k] for k in ("number", "name", "call_type", "duration_s", "direction")} \
        == {"number": "95188", "name": "信用飞客服", "call_type": "incoming",
            "duration_s": 95, "direction": "from_them"}
    assert night["source"] == {"evidence_id": log_file, "original_filename": "calls.csv",
                               "line": 3}
    assert [f["state"] for f in night["findings"]] == ["active"]
    assert log_file not in [i["id"] for i in items if i["type"] == "evidence"]
