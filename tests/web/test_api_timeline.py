"""The JSON API's timeline of a negotiation: pages, every kind of line with its flags, bad
queries, and dates without a time (fixtures: tests/web/conftest.py)."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest


def test_the_timeline_comes_in_pages(store, api, session, owner, negotiation):
    ids = [store(negotiation, owner, f"n{n}.txt", f"第{n}次").id for n in range(5)]
    first = api("GET", f"/negotiations/{negotiation.id}/timeline", query_string={"limit": 2})
    assert first.status_code == 200 and first.json["order"] == "desc"
    assert [i["id"] for i in first.json["items"]] == ids[::-1][:2]
    assert first.json["previous"] is None and first.json["next"]
    item = first.json["items"][0]
    assert item["type"] == "evidence" and item["kind"] == "document"
    assert item["summary"] and item["job"]["status"] == "queued"
    seen = [i["id"] for i in first.json["items"]]
    cursor = first.json["next"]
    while cursor:
        page = api("GET", f"/negotiations/{negotiation.id}/timeline",
                   query_string={"limit": 2, "after": cursor}).json
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
    assert seen == ids[::-1]
    oldest = api("GET", f"/negotiations/{negotiation.id}/timeline",
                 query_string={"order": "asc", "limit": 1}).json
    assert [i["id"] for i in oldest["items"]] == ids[:1]


def test_the_timeline_has_the_promises_payments_reminders_and_flags(api, session, services,
                                                                     owner, negotiation):
    """The same lines as the page: the ledger among the evidence, each with its flags, and the
    conduct findings about a call (here: 23:05 in Shanghai, after the 22:00 limit)."""
    from datetime import UTC, datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from logger.promises.payments import record_payment
    from logger.promises.promises import PromiseTerms, add_promise, mark_promise
    from storage.models.promises import (DeliveryStatus, PaymentMethod, PromiseKind,
                                         PromiseParty, PromiseStatus, Reminder, ReminderChannel)

    shanghai = ZoneInfo("Asia/Shanghai")
    call = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(b"a recording"), "call.m4a"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=shanghai,
                  details=EvidenceDetails(kind="call", channel="call", direction="from_them",
                                          occurred_at=datetime(2024, 12, 3, 23, 5,
                                                               tzinfo=shanghai),
                                          counterpart_number="95188"))
    promise = add_promise(session, negotiation=negotiation, actor=owner, tz=shanghai,
                          terms=PromiseTerms(PromiseParty.me, PromiseKind.payment,
                                             amount=Decimal(3000),
                                             due_at=datetime(2024, 12, 10, 12, tzinfo=UTC)))
    promise.created_at = datetime(2024, 12, 4, 2, tzinfo=UTC)
    session.add(promise)
    session.add(Reminder(promise_id=promise.id, offset="1d", channel=ReminderChannel.app,
                         send_at=datetime(2024, 12, 9, 1, tzinfo=UTC),
                         sent_at=datetime(2024, 12, 9, 3, tzinfo=UTC),
                         status=DeliveryStatus.sent, late=True))
    session.commit()
    mark_promise(session, promise, actor=owner, status=PromiseStatus.missed)
    payment = record_payment(session, negotiation=negotiation, actor=owner,
                             paid_at=datetime(2024, 12, 12, 4, tzinfo=UTC),
                             amount=Decimal(500), method=PaymentMethod.alipay)

    reply = api("GET", f"/negotiations/{negotiation.id}/timeline")
    assert reply.status_code == 200
    lines = reply.json["items"]
    assert [(line["type"], line["occurred_at"]) for line in lines] == [
        ("payment", "2024-12-12T12:00:00+08:00"), ("reminder", "2024-12-09T11:00:00+08:00"),
        ("promise", "2024-12-04T10:00:00+08:00"), ("evidence", "2024-12-03T23:05:00+08:00")]
    paid, reminded, promised, recorded = lines
    assert paid["id"] == payment.id and paid["payment"]["amount"] == "500"
    assert paid["flags"] == []
    assert reminded["reminder"]["promise_id"] == promise.id and reminded["flags"] == ["late"]
    assert promised["id"] == promise.id and promised["flags"] == ["promise_missed"]
    assert promised["promise"]["status"] == "missed"
    assert recorded["id"] == call.id and recorded["flags"] == []
    [finding] = recorded["findings"]
    assert finding["rule_id"] == "cn.quiet_hours" and finding["check"] == "quiet_hours"
    assert "23:05" in finding["reason"]["en"] and finding["reason"]["zh"]
    assert len(finding["id"]) == 16

    calls_only = api("GET", f"/negotiations/{negotiation.id}/timeline",
                     query_string={"channel": "call"}).json["items"]
    assert [line["type"] for line in calls_only] == ["evidence"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 500}, {"limit": "many"},
                                   {"order": "sideways"}, {"after": "garbage"},
                                   {"channel": "pigeon"}, {"direction": "up"},
                                   {"after": "1.1", "before": "1.1"}])
def test_bad_timeline_queries_are_400(api, negotiation, query):
    reply = api("GET", f"/negotiations/{negotiation.id}/timeline", query_string=query)
    assert reply.status_code == 400 and reply.json["error"] == "invalid"


def test_a_date_only_payment_and_promise_are_dates_in_the_api(api, session, owner, negotiation):
    """Issue 13: a payment entered as 2024-12-12 is the date, not 12:00 or the clock at entry;
    every other time is local with its offset."""
    from datetime import date
    from decimal import Decimal

    from logger.promises.due import date_only_due
    from logger.promises.payments import record_payment
    from logger.promises.promises import PromiseTerms, add_promise
    from logger.record.moments import day_moment
    from storage.models.promises import PaymentMethod, PromiseKind, PromiseParty
    from storage.models.types import TimePrecision
    shanghai = ZoneInfo("Asia/Shanghai")
    add_promise(session, negotiation=negotiation, actor=owner, tz=shanghai,
                terms=PromiseTerms(PromiseParty.me, PromiseKind.payment, amount=Decimal(3000),
                                   due_at=date_only_due(date(2024, 12, 13), shanghai),
                                   due_precision=TimePrecision.day))
    record_payment(session, negotiation=negotiation, actor=owner,
                   paid_at=day_moment(date(2024, 12, 12), shanghai),
                   paid_precision=TimePrecision.day, amount=Decimal(500),
                   method=PaymentMethod.alipay)
    lines = api("GET", f"/negotiations/{negotiation.id}/timeline").json["items"]
    paid = next(line for line in lines if line["type"] == "payment")
    assert (paid["occurred_at"], paid["occurred_at_precision"]) == ("2024-12-12", "day")
    assert paid["payment"]["paid_at"] == "2024-12-12"
    promised = next(line for line in lines if line["type"] == "promise")
    assert promised["promise"]["due_at"] == "2024-12-13"
    assert promised["occurred_at"].endswith("+08:00")
