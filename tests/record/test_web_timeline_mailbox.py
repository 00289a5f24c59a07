"""The timeline of a negotiation holding a mailbox whose messages (child items) crowd the same
days as other items: the page lists the mailbox as one line counting its messages, and the
flags of the page's lines are the report's, read without the messages around them (only items
that can be calls are read around a page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from logger.conduct.report import conduct_report
from logger.record import timeline_flags
from logger.record.timeline_flags import conduct_flags
from storage.models import Channel, Direction, EvidenceKind, ExtractedText, TextSource
from tests.record.test_web_timeline import make_item, page_items
from tests.support.web import new_browser, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
THREAT = "你再不还钱，我们就去你单位找你领导，让你全家都知道。"
NIGHT = datetime(2024, 12, 3, 14, 31, tzinfo=UTC)   # 22:31 in Shanghai
MESSAGES = 40


@pytest.fixture
def client(app, owner):
    return sign_in(new_browser(app, language="en"), "owner", "owner-password")


@pytest.fixture
def crowded(session, negotiation):
    """Calls at night and by day over three days, threatening, and a mailbox whose messages,
    threatening too and of unknown direction, fall in the same days (every other one with an
    HTML part)."""
    calls = [make_item(session, negotiation, NIGHT + timedelta(hours=h), text=THREAT,
                       commit=False) for h in range(8)]
    calls += [make_item(session, negotiation, NIGHT + timedelta(days=d), commit=False)
              for d in (1, 2)]
    mailbox = make_item(session, negotiation, NIGHT + timedelta(hours=1, minutes=3),
                        channel=Channel.email, kind=EvidenceKind.email,
                        direction=Direction.unknown, commit=False)
    messages = []
    for n in range(MESSAGES):
        message = make_item(session, negotiation, NIGHT + timedelta(minutes=90 * n + 7),
                            channel=Channel.email, kind=EvidenceKind.email,
                            direction=Direction.unknown, subject=f"逾期通知 {n}",
                            parent_id=mailbox.id, commit=False)
        html = [{"part": "html", "html": f"<p>{THREAT}</p>"}] if n % 2 else []
        session.add(ExtractedText(evidence_id=message.id, source=TextSource.email,
                                  text=THREAT, segments=html))
        messages.append(message)
    session.commit()
    return calls, mailbox, messages


def test_a_page_among_a_mailboxs_messages_flags_as_the_report_without_reading_them(
        session, negotiation, crowded, monkeypatch):
    calls, mailbox, messages = crowded
    read: set[int] = set()
    real = timeline_flags._segments_only
    monkeypatch.setattr(timeline_flags, "_segments_only",
                        lambda s, ids: read.update(ids) or real(s, ids))
    lines = conduct_report(session, negotiation, default_zone=SHANGHAI).on_lines()
    page = [c.id for c in calls] + [mailbox.id]
    found = conduct_flags(session, negotiation, page, default_zone=SHANGHAI)
    assert {i: [f.finding_id for f in flags] for i, flags in found.items()} == {
        i: [f.id for f in lines[f"evidence:{i}"]] for i in page if f"evidence:{i}" in lines}
    assert {f.rule.id for flags in found.values() for f in flags} == {
        "cn.quiet_hours", "cn.visits", "cn.public_disclosure"}
    assert not read & {m.id for m in messages}
    # The messages have findings of their own (on the mailbox's item pages, not here).
    assert any(f"evidence:{m.id}" in lines for m in messages)


def test_the_page_lists_the_mailbox_once_with_its_messages_counted(client, negotiation,
                                                                    crowded):
    calls, mailbox, messages = crowded
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert sorted(page_items(html)) == sorted([c.id for c in calls] + [mailbox.id])
    assert f"Attachments: {MESSAGES}" in html
