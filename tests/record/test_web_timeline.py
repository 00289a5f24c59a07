"""The timeline: items in time order grouped by local day, filters, keyset pages in both
directions, jumping to a date, summaries, job states (also as the JSON the page polls)."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from logger.record import timeline_flags
from logger.record.timeline import Cursor, Order, cursor_for_day, group_by_day, timeline_page
from logger.record.timeline_flags import line_flags
from storage.models import (Channel, Direction, Evidence, EvidenceKind, ExtractedText, Job,
                            JobKind, JobStatus, TextSource, User)
from tests.record.test_timeline_flags import LOG, record  # noqa: F401 (a fixture)
from tests.support.common import make_negotiation_in
from tests.support.web import visible_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Not words to translate (as in test_web_i18n): zone and media type names, acronyms, file names.
NOT_PROSE = re.compile(r"[A-Za-z_]+/[\w/+-]+|\b[A-Z]{2,5}\b|\S+\.\w{2,4}\b")
START = datetime(2024, 11, 1, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english(session, owner):
    """The assertions below read the English text; one test switches to Chinese."""
    owner.locale = "en"
    session.add(owner)
    session.commit()


def make_item(session, negotiation, occurred_at: datetime | None, *,
              channel: Channel | None = Channel.call, direction=Direction.from_them,
              text: str | None = None, kind=EvidenceKind.call, subject=None,
              parent_id=None, commit=True) -> Evidence:
    """An item as intake would leave it, without a blob (the timeline reads only rows)."""
    item = Evidence(negotiation_id=negotiation.id, kind=kind, channel=channel,
                    direction=direction, occurred_at=occurred_at, counterpart_name="王经理",
                    original_filename="call.m4a", media_type="audio/mp4", size=1,
                    sha256=secrets.token_hex(32), blob_id=secrets.token_hex(16),
                    subject=subject, parent_id=parent_id)
    session.add(item)
    session.flush()
    if text is not None:
        session.add(ExtractedText(evidence_id=item.id, source=TextSource.transcript, text=text))
    if commit:
        session.commit()
    return item


def page_items(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="timeline-item" data-id="(\d+)"', html)]


def link(html: str, testid: str) -> str | None:
    found = re.search(rf'href="([^"]+)" data-testid="{testid}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def many(session, negotiation) -> list[Evidence]:
    """120 items an hour apart, alternating call/WeChat and their side/my side."""
    items = [make_item(session, negotiation, START + timedelta(hours=i),
                       channel=Channel.call if i % 2 else Channel.wechat,
                       direction=Direction.from_them if i % 3 else Direction.from_me,
                       commit=False) for i in range(120)]
    session.commit()
    return items


def test_items_are_grouped_by_day_in_the_users_time_zone(client, session, owner, negotiation):
    late = make_item(session, negotiation, datetime(2024, 12, 3, 15, 30, tzinfo=UTC))
    after_midnight = make_item(session, negotiation, datetime(2024, 12, 3, 16, 30, tzinfo=UTC))
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    days = re.findall(r'data-testid="day" data-day="([^"]+)"', html)
    assert days == ["2024-12-04", "2024-12-03"]  # 00:30 and 23:30 in Shanghai
    assert page_items(html) == [after_midnight.id, late.id]
    owner.timezone = "UTC"
    session.add(owner)
    session.commit()
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert re.findall(r'data-testid="day" data-day="([^"]+)"', html) == ["2024-12-03"]


def test_items_without_a_time_are_grouped_apart(client, session, negotiation):
    dated = make_item(session, negotiation, START)
    undated = make_item(session, negotiation, None)
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert page_items(html) == [undated.id, dated.id]
    assert 'data-day="unknown"' in html and "Time unknown" in html
    html = client.get(f"/negotiations/{negotiation.id}?order=asc").get_data(as_text=True)
    assert page_items(html) == [dated.id, undated.id]


def test_filters_by_channel_and_direction(client, negotiation, many):
    html = client.get(f"/negotiations/{negotiation.id}?channel=wechat&direction=from_me"
                      ).get_data(as_text=True)
    expected = [e.id for e in reversed(many) if e.channel == Channel.wechat
                and e.direction == Direction.from_me]
    assert page_items(html) == expected
    assert re.search(r'<option value="wechat"\s+selected', html)


def test_pages_walk_the_whole_timeline_both_ways(client, negotiation, many):
    newest_first = [e.id for e in reversed(many)]
    first = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert page_items(first) == newest_first[:50]
    assert link(first, "page-earlier") is None
    second = client.get(link(first, "page-later")).get_data(as_text=True)
    assert page_items(second) == newest_first[50:100]
    third = client.get(link(second, "page-later")).get_data(as_text=True)
    assert page_items(third) == newest_first[100:]
    assert link(third, "page-later") is None
    back = client.get(link(third, "page-earlier")).get_data(as_text=True)
    assert page_items(back) == newest_first[50:100]
    back = client.get(link(back, "page-earlier")).get_data(as_text=True)
    assert page_items(back) == newest_first[:50]
    assert link(back, "page-earlier") is None


def test_filters_survive_paging(client, negotiation, many):
    first = client.get(f"/negotiations/{negotiation.id}?channel=call&order=asc"
                       ).get_data(as_text=True)
    second = client.get(link(first, "page-later")).get_data(as_text=True)
    calls = [e.id for e in many if e.channel == Channel.call]
    assert page_items(first) + page_items(second) == calls


def test_jump_to_a_date_starts_the_page_at_that_day(client, negotiation, many):
    # 2024-11-03 in Shanghai: UTC 2024-11-02T16:00 .. 2024-11-03T16:00 -> hours 39..62.
    html = client.get(f"/negotiations/{negotiation.id}?date=2024-11-03").get_data(as_text=True)
    assert page_items(html)[0] == many[62].id
    assert link(html, "page-earlier") is not None
    html = client.get(f"/negotiations/{negotiation.id}?date=2024-11-03&order=asc"
                      ).get_data(as_text=True)
    assert page_items(html)[0] == many[39].id
    assert 'value="2024-11-03"' in html


def test_keyset_pages_match_a_full_sort(session, negotiation):
    """Equal times, unknown times and interleaved ids: paging visits each item once, in order."""
    times = [START, START, None, START + timedelta(days=1), START, None, START - timedelta(1)]
    items = [make_item(session, negotiation, t, commit=False) for t in times * 5]
    session.commit()
    far = datetime.max.replace(tzinfo=UTC)
    expected = [e.id for e in sorted(items, key=lambda e: (e.occurred_at or far, e.id))]
    for order, want in ((Order.oldest_first, expected), (Order.newest_first, expected[::-1])):
        seen, after = [], None
        while True:
            page = timeline_page(session, negotiation.id, order=order, after=after, limit=4)
            seen += [i.id for i in page.items]
            if page.later_in_order is None:
                break
            after = Cursor.parse(page.later_in_order)
        assert seen == want


def test_cursors_for_a_day_and_grouping(session, negotiation):
    day = date(2024, 12, 3)
    assert cursor_for_day(day, SHANGHAI, Order.oldest_first).at == datetime(
        2024, 12, 2, 16, tzinfo=UTC)
    assert cursor_for_day(day, SHANGHAI, Order.newest_first).at == datetime(
        2024, 12, 3, 16, tzinfo=UTC)
    items = timeline_page(session, negotiation.id).items
    assert group_by_day(items, SHANGHAI) == []


def test_a_line_shows_the_opening_words_or_the_subject(client, session, negotiation):
    call = make_item(session, negotiation, START, text="您好 这里是信用飞催收部，关于您的逾期账单……")
    mail = make_item(session, negotiation, START + timedelta(hours=1), kind=EvidenceKind.email,
                     channel=Channel.email, subject="最后通知：请于十五日前还款",
                     text="From: x\n\n正文")
    make_item(session, negotiation, START, parent_id=mail.id)  # an attachment of the email
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert page_items(html) == [mail.id, call.id]
    summaries = re.findall(r'data-testid="item-summary">([^<]*)<', html)
    assert summaries == ["最后通知：请于十五日前还款", "您好 这里是信用飞催收部，关于您的逾期账单……"]
    assert "Attachments: 1" in html


def test_job_states_show_on_the_line_and_in_the_polled_json(client, session, negotiation):
    running = make_item(session, negotiation, START)
    failed = make_item(session, negotiation, START + timedelta(hours=1))
    finished = make_item(session, negotiation, START + timedelta(hours=2))
    session.add_all([
        Job(kind=JobKind.transcribe, evidence_id=running.id, status=JobStatus.running,
            progress=0.4),
        Job(kind=JobKind.transcribe, evidence_id=failed.id, status=JobStatus.failed,
            error="the recording is silent"),
        Job(kind=JobKind.ocr, evidence_id=finished.id, status=JobStatus.done, progress=1.0)])
    session.commit()
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert "Transcribing 40 %" in html
    assert "Transcription failed: the recording is silent" in html
    assert html.count('data-job-status="running"') == 1
    assert 'data-job-for="%d" data-job-status=""' % finished.id in html
    other = make_negotiation_in(session, session.get(User, negotiation.owner_id),
                                creditor="网商贷")
    stranger = make_item(session, other, START)
    session.add(Job(kind=JobKind.transcribe, evidence_id=stranger.id,
                    status=JobStatus.running))
    session.commit()
    reply = client.get(f"/negotiations/{negotiation.id}/jobs?ids={running.id},{failed.id},"
                       f"{finished.id},{stranger.id}").get_json()
    assert reply["active"] is True
    assert reply["items"][str(running.id)]["label"] == "Transcribing 40 %"
    assert reply["items"][str(running.id)]["progress"] == 0.4
    assert reply["items"][str(failed.id)]["status"] == "failed"
    assert reply["items"][str(finished.id)] is None
    assert str(stranger.id) not in reply["items"]


def test_the_empty_timeline_invites_the_first_upload(client, negotiation):
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert 'data-testid="timeline-empty"' in html
    assert f'href="/negotiations/{negotiation.id}/upload"' in html


def test_bad_parameters_are_refused(client, negotiation):
    for query in ("after=yesterday", "date=2024-13-01", "date=9999-12-31", "channel=pigeon",
                  "order=sideways", "before=99999999999999999999.1"):
        assert client.get(f"/negotiations/{negotiation.id}?{query}").status_code == 400, query


def test_the_timeline_is_in_chinese_for_a_chinese_account(client, session, owner, negotiation):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    item = make_item(session, negotiation, START, text="您好")
    make_item(session, negotiation, None, channel=None, direction=Direction.unknown)
    session.add(Job(kind=JobKind.transcribe, evidence_id=item.id, status=JobStatus.running,
                    progress=0.25))
    session.commit()
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    assert "时间线" in html and "全部渠道" in html and "正在转写 25 %" in html
    for page in (html, client.get(f"/negotiations/{negotiation.id}?channel=visit").data):
        texts = visible_text(page if isinstance(page, str) else page.decode())
        english = [t for t in texts if re.search(r"[A-Za-z]{3,}", NOT_PROSE.sub(
            "", t.replace("owner", "")))]
        assert english == []


def test_another_account_sees_nothing(other_client, session, negotiation):
    make_item(session, negotiation, START)
    assert other_client.get(f"/negotiations/{negotiation.id}").status_code == 404
    assert other_client.get(f"/negotiations/{negotiation.id}/jobs?ids=1").status_code == 404


def test_the_unused_query_parameters_do_not_matter(client, session, negotiation):
    item = make_item(session, negotiation, START)
    html = client.get(f"/negotiations/{negotiation.id}?channel=&direction=").get_data(
        as_text=True)
    assert page_items(html) == [item.id]


def test_promises_and_payments_appear_in_time_order_once_across_pages(client, session, owner,
                                                                      negotiation, many):
    """The ledger (promises at the moment they were made, payments when paid) shares the
    pages with the evidence: every line once, each where its time puts it."""
    from decimal import Decimal

    from logger.promises.payments import record_payment
    from logger.promises.promises import PromiseTerms, add_promise
    from storage.models.promises import PaymentMethod, PromiseKind, PromiseParty

    tz = ZoneInfo("Asia/Shanghai")
    # Times between the evidence hours, spread over all three pages, and one after the last.
    times = [START + timedelta(hours=h, minutes=30) for h in (5, 60, 110, 130)]
    at_of: dict[tuple[str, int], datetime] = {(str("item"), e.id): e.occurred_at for e in many}
    for at in times[:2]:
        promise = add_promise(session, negotiation=negotiation, actor=owner, tz=tz,
                              terms=PromiseTerms(PromiseParty.me, PromiseKind.payment,
                                                 amount=Decimal(1000), due_at=at))
        promise.created_at = at   # made then (no source recording to date it)
        session.add(promise)
        session.commit()
        at_of[("promise", promise.id)] = at
    for at in times[2:]:
        payment = record_payment(session, negotiation=negotiation, actor=owner, paid_at=at,
                                 amount=Decimal(500), method=PaymentMethod.alipay)
        at_of[("payment", payment.id)] = at

    seen: list[tuple[str, int]] = []
    url = f"/negotiations/{negotiation.id}"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [(kind, int(i)) for kind, i in re.findall(
            r'data-testid="timeline-(item|promise|payment)" data-id="(\d+)"', html)]
        url = link(html, "page-later")
    assert sorted(seen) == sorted(at_of), "every line exactly once"
    moments = [at_of[entry] for entry in seen]
    assert moments == sorted(moments, reverse=True), "newest first, ledger among the evidence"


def test_a_line_shows_the_conduct_findings_about_it(client, session, negotiation):
    """The flags come with the line (computed for the page), linking to the finding."""
    night = make_item(session, negotiation, datetime(2024, 12, 3, 15, 5, tzinfo=UTC),
                      text="我是朝阳区人民法院的，你的案子已经立案了。")   # 23:05 in Shanghai
    day = make_item(session, negotiation, datetime(2024, 12, 4, 3, 0, tzinfo=UTC))
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    lines = dict(re.findall(r'data-testid="timeline-item" data-id="(\d+)"(.*?)</li>', html, re.S))
    rules = re.findall(r'data-testid="conduct-flag" data-rule="([\w.]+)"', lines[str(night.id)])
    assert sorted(rules) == ["cn.impersonation", "cn.quiet_hours"]
    assert f'href="/negotiations/{negotiation.id}/findings?all=cn.quiet_hours#finding-' in \
        lines[str(night.id)]
    assert "conduct-flag" not in lines[str(day.id)]


def test_the_lines_flags_are_the_reports_the_header_shows(client, session, negotiation, record,
                                                         monkeypatch):
    """The page takes its lines' flags from the report its header shows (kept across
    requests), computing none: the same findings, in the same order, as `line_flags` computes
    for those lines, an imported call's on its own line."""
    def computed(*args):
        raise AssertionError("the page computed flags instead of taking the report's")

    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    items = page_items(html)
    calls = [int(i) for i in re.findall(r'data-testid="timeline-call" data-id="(\d+)"', html)]
    # Every item but the exported call log, whose calls are lines of their own.
    assert sorted(items) == sorted(set(record) - {record[LOG]}) and calls
    expected_items, expected_calls = line_flags(session, negotiation, items, calls,
                                                default_zone=SHANGHAI)
    assert expected_items and expected_calls
    monkeypatch.setattr(timeline_flags, "_gather_near", computed)
    html = client.get(f"/negotiations/{negotiation.id}").get_data(as_text=True)
    for testid, expected in (("timeline-item", expected_items), ("timeline-call", expected_calls)):
        lines = dict(re.findall(rf'data-testid="{testid}" data-id="(\d+)"(.*?)</li>', html, re.S))
        shown = {int(i): re.findall(r'data-finding-id="(\w+)"', line)
                 for i, line in lines.items()}
        assert {i: found for i, found in shown.items() if found} == {
            i: [flag.finding_id for flag in flags] for i, flags in expected.items()}, testid
