"""The conduct findings on the timeline's lines (logger.record.timeline_flags): for any set of
items and imported calls, the same findings as the whole conduct report gives their lines
(active, or waiting for a direction), though only a few days around them are read; and
`read_timeline` puts them, with the imported calls and the ledger and its flags, on the lines."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from logger.conduct.calllog import import_call_log
from logger.conduct.contact_entries import add_contact_entry
from logger.conduct.report import conduct_report, configure_conduct, dismiss_finding
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.promises.payments import record_payment
from logger.promises.promises import PromiseTerms, add_promise, mark_promise
from logger.record.timeline import Cursor, ItemKind, Order, read_timeline
from logger.record.timeline_flags import conduct_flags, line_flags
from storage.models import (CallLogEntry, Channel, Direction, EvidenceKind, ExtractedText,
                            TextSource, ThirdParty)
from storage.models.promises import PaymentMethod, PromiseKind, PromiseParty, PromiseStatus

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOG = 7  # where the exported call log is in `record`
_serial = count(1)


def at(day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2024, 12, day, hh, mm, ss, tzinfo=SHANGHAI)


def add_item(services, session, negotiation, owner, *, when, channel=Channel.call,
             direction=Direction.unknown, number="95188", kind=EvidenceKind.call,
             segments=None, source=TextSource.transcript):
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"item {next(_serial)}\n".encode()), "x.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=kind, channel=channel, direction=direction,
                                          occurred_at=when, counterpart_number=number))
    if segments is not None:
        session.add(ExtractedText(evidence_id=item.id, source=source, segments=segments,
                                  text=" ".join(s["text"] for s in segments)))
        session.commit()
    return item


def import_log(services, session, negotiation, owner, *rows: str):
    data = ("number,name,start,duration_seconds,type\n" + "\n".join(rows) + "\n").encode()
    return import_call_log(session=session, blobs=services.blobs, negotiation=negotiation,
                           actor=owner, data=data, filename=f"calls-{next(_serial)}.csv",
                           tz=SHANGHAI, max_bytes=1 << 24, numbers=["95188"]).evidence_id


@pytest.fixture
def record(services, session, negotiation, owner) -> list[int]:
    """A month of contacts of every kind the checks read; the ids of its items."""
    def item(**kw):
        return add_item(services, session, negotiation, owner, **kw).id
    ids = [
        # A night call that threatens, merged with its log row (incoming).
        item(when=at(3, 22, 31, 5), segments=[
            {"start": 64.5, "end": 71.0, "text": "我是朝阳区人民法院的，你的案子已经立案了。"}]),
        # A call the borrower made (the log says outgoing): no contact.
        item(when=at(3, 23, 0, 40)),
        # The borrower's own threatening words: not read.
        item(when=at(4, 9), direction=Direction.from_me, segments=[
            {"start": 1.0, "text": "再不还就爆你通讯录。"}]),
        # Messages with their own times, one at night.
        item(when=at(5, 12), channel=Channel.sms, kind=EvidenceKind.sms, source=TextSource.text,
             segments=[{"time": "2024-12-05T15:10:00Z", "direction": "from_them",
                        "counterpart": "95188", "text": "您的账单已逾期，请尽快处理。"},
                       {"time": "2024-12-06T01:00:00Z", "direction": "from_them",
                        "counterpart": "95188", "text": "再不还就爆你通讯录。"}]),
        item(when=at(20, 12)),
        item(when=None, segments=[{"start": 2.0, "text": "你就是个老赖。"}]),
        # A night call nobody has said the direction of: waits for a person, not counted.
        item(when=at(21, 22, 40), number="13900139000"),
    ]
    log = import_log(services, session, negotiation, owner,
                     *[f"95188,,2024-12-10 0{h}:00:00,0,missed" for h in range(1, 8)],
                     "95188,,2024-12-03 22:30:00,95,incoming",
                     "95188,,2024-12-03 23:00:00,300,outgoing")
    entry_for = item(when=at(12, 10), channel=Channel.visit, number=None)
    add_contact_entry(session, negotiation=negotiation, actor=owner, occurred_at=at(12, 22, 15),
                      channel=Channel.call, description="催收员打电话给我妈妈",
                      third_party=ThirdParty.relative, third_party_name="妈妈",
                      evidence_id=entry_for)
    return [*ids, log, entry_for]


def expected(session, negotiation, ids, kind="evidence") -> dict[int, list]:
    found = conduct_report(session, negotiation, default_zone=SHANGHAI).on_lines()
    return {i: [(f.id, f.rule_id, f.reason, f.needs_direction) for f in found[f"{kind}:{i}"]]
            for i in ids if f"{kind}:{i}" in found}


def shown(flags) -> list:
    return [(f.finding_id, f.rule.id, f.reason, f.needs_direction) for f in flags]


def flagged(session, negotiation, ids) -> dict[int, list]:
    found = conduct_flags(session, negotiation, ids, default_zone=SHANGHAI)
    return {i: shown(flags) for i, flags in found.items()}


def call_flags(session, negotiation, call_ids) -> dict[int, list]:
    _, found = line_flags(session, negotiation, (), call_ids, default_zone=SHANGHAI)
    return {i: shown(flags) for i, flags in found.items()}


def call_ids(session) -> list[int]:
    return list(session.exec(select(CallLogEntry.id).order_by(CallLogEntry.started_at)))


def test_the_flags_of_any_items_are_the_reports(session, negotiation, owner, record):
    whole = expected(session, negotiation, record)
    calls = call_ids(session)
    on_calls = expected(session, negotiation, calls, kind="calllog")
    assert {rule for flags in [*whole.values(), *on_calls.values()]
            for _, rule, _, _ in flags} == {
        "cn.quiet_hours", "cn.impersonation", "cn.public_disclosure", "cn.insults",
        "cn.unanswered_calls", "cn.third_party"}, "the record covers every check of the set"
    waiting = [flag for flags in whole.values() for flag in flags if flag[3]]
    assert [flag[1] for flag in waiting] == ["cn.quiet_hours"], "the 22:40 call of no direction"
    for item_id in record:
        assert flagged(session, negotiation, [item_id]) == expected(
            session, negotiation, [item_id]), item_id
    assert flagged(session, negotiation, record) == whole
    assert flagged(session, negotiation, record[:3]) == expected(session, negotiation, record[:3])
    # The imported calls' own findings are on their lines, not on the exported file's.
    assert sorted(on_calls) and record[LOG] not in whole
    for call in calls:
        assert call_flags(session, negotiation, [call]) == expected(
            session, negotiation, [call], kind="calllog"), call
    assert call_flags(session, negotiation, calls) == on_calls

    night_call = whole[record[0]][0]
    dismiss_finding(session, negotiation, night_call[0], reason="I asked them to call",
                    actor=owner, default_zone=SHANGHAI)
    assert night_call not in flagged(session, negotiation, [record[0]])[record[0]]
    assert flagged(session, negotiation, record) == expected(session, negotiation, record)


def test_a_counting_rule_over_days_sees_the_days_before(services, session, negotiation, owner):
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI, rule_set="us")
    calls = [add_item(services, session, negotiation, owner, when=at(1 + n // 2, 10 + n % 2),
                      direction=Direction.from_them).id for n in range(10)]
    whole = expected(session, negotiation, calls)
    assert sorted(whole) == calls[7:]   # the 8th call within 7 days, and the ones after it
    assert [rule for _, rule, _, _ in whole[calls[7]]] == ["us.call_frequency"]
    for call in calls:
        assert flagged(session, negotiation, [call]) == expected(session, negotiation, [call])


def test_read_timeline_puts_findings_and_the_ledger_on_the_lines(session, negotiation, owner,
                                                                 record):
    promise = add_promise(session, negotiation=negotiation, actor=owner, tz=SHANGHAI,
                          terms=PromiseTerms(PromiseParty.me, PromiseKind.payment,
                                             amount=Decimal(1000), due_at=at(8, 12)))
    promise.created_at = at(7, 12).astimezone(UTC)
    session.add(promise)
    session.commit()
    mark_promise(session, promise, actor=owner, status=PromiseStatus.missed)
    payment = record_payment(session, negotiation=negotiation, actor=owner, paid_at=at(9, 12),
                             amount=Decimal(500), method=PaymentMethod.alipay)
    found = expected(session, negotiation, record)

    timeline = read_timeline(session, negotiation, default_zone=SHANGHAI, limit=200)
    lines = [(str(line.kind), line.id) for line in timeline.lines]
    assert ("promise", promise.id) in lines and ("payment", payment.id) in lines
    dated = [line.occurred_at for line in timeline.lines if line.occurred_at is not None]
    assert dated == sorted(dated, reverse=True)
    by_id = {line.id: line for line in timeline.lines if line.kind == ItemKind.evidence}
    log_file = record[LOG]
    assert log_file not in by_id, "an exported call log is the source of its calls, not a line"
    for item_id in record:
        if item_id != log_file:
            assert shown(by_id[item_id].findings) == found.get(item_id, [])
    calls = {line.id: line for line in timeline.lines if line.kind == ItemKind.call_log}
    assert sorted(calls) == sorted(call_ids(session))
    on_calls = expected(session, negotiation, calls, kind="calllog")
    for call in calls.values():
        assert call.source_evidence_id == log_file
        assert shown(call.findings) == on_calls.get(call.id, [])
    ledger = {line.kind: line for line in timeline.lines
              if line.kind not in (ItemKind.evidence, ItemKind.call_log)}
    assert ledger["promise"].flags == ("promise_missed",)

    narrowed = read_timeline(session, negotiation, default_zone=SHANGHAI,
                             channels=[Channel.call], order=Order.oldest_first)
    assert {line.kind for line in narrowed.lines} == {ItemKind.evidence, ItemKind.call_log}
    assert [line for line in narrowed.lines if line.kind == ItemKind.evidence] == \
        narrowed.page.items
    # The borrower's own calls are the ones the call log says were outgoing.
    mine = read_timeline(session, negotiation, default_zone=SHANGHAI,
                         direction=Direction.from_me)
    assert [line.call_type for line in mine.lines if line.kind == ItemKind.call_log] == [
        "outgoing"]


def test_pages_share_out_the_ledger_and_flag_only_their_own_lines(session, negotiation, owner,
                                                                  record):
    for day in (2, 6, 15, 25):
        payment = record_payment(session, negotiation=negotiation, actor=owner,
                                 paid_at=at(day, 8), amount=Decimal(100),
                                 method=PaymentMethod.alipay)
        assert payment.id
    found = expected(session, negotiation, record)
    seen, after = [], None
    while True:
        timeline = read_timeline(session, negotiation, default_zone=SHANGHAI, after=after,
                                 limit=2, order=Order.oldest_first)
        seen += [(str(line.kind), line.id) for line in timeline.lines]
        for line in timeline.page.items:
            assert shown(line.findings) == found.get(line.id, [])
        if timeline.page.later_in_order is None:
            break
        after = Cursor.parse(timeline.page.later_in_order)
    payments = [entry for entry in seen if entry[0] == "payment"]
    assert len(payments) == len(set(payments)) == 4
    # Every item once but the exported call log, whose calls are each one line instead.
    assert sorted(i for kind, i in seen if kind == "evidence") == sorted(
        i for i in record if i != record[LOG])
    calls = [i for kind, i in seen if kind == "call_log"]
    assert sorted(calls) == sorted(set(calls)) == sorted(call_ids(session))


def test_no_items_no_flags(session, negotiation):
    assert conduct_flags(session, negotiation, [], default_zone=SHANGHAI) == {}
    assert read_timeline(session, negotiation, default_zone=SHANGHAI,
                         now=datetime.now(UTC) + timedelta(days=1)).lines == []
