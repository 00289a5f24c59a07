"""Negotiations in the domain: typed fields, edits in the custody log, the overview's status."""

import io
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.negotiations import (NegotiationInvalid, OverdueStage, days_overdue,
                                 edit_negotiation, negotiation_statuses, next_promised_payment,
                                 overdue_stage, parse_fields)
from logger.record.custody import verify_chain
from storage.models import CustodyAction, CustodyEvent, Evidence, EvidenceKind
from tests.support.common import make_negotiation_in

TODAY = date(2025, 3, 10)


def typed(**fields):
    return {"creditor": "信用飞", **fields}


def test_typed_fields_become_values():
    values = parse_fields(typed(collection_agency=" 某某催收 ", principal="¥12,000",
                                outstanding="１３５００.５", currency="usd",
                                overdue_since="2025年2月1日", language="auto"), today=TODAY)
    assert values == {"creditor": "信用飞", "collection_agency": "某某催收",
                      "account_reference": None, "principal": Decimal("12000"),
                      "outstanding": Decimal("13500.5"), "currency": "USD",
                      "overdue_since": date(2025, 2, 1), "language": None}
    assert parse_fields(typed(currency="", overdue_since="2025/3/10", language="EN"),
                        today=TODAY)["language"] == "en"


def test_every_problem_is_reported_at_once():
    with pytest.raises(NegotiationInvalid) as refused:
        parse_fields({"creditor": " ", "principal": "twelve", "outstanding": "-3",
                      "currency": "元元", "overdue_since": "2025-03-11", "language": "fr",
                      "account_reference": "x" * 201}, today=TODAY)
    assert refused.value.problems == {
        "creditor": "required", "principal": "not_an_amount", "outstanding": "negative",
        "currency": "bad_currency", "overdue_since": "in_future", "language": "bad_language",
        "account_reference": "too_long"}
    assert "creditor is needed" in str(refused.value)


@pytest.mark.parametrize("text, code", [("1.234", "too_precise"), ("2e30", "too_large"),
                                        ("NaN", "not_an_amount"), ("1,2,3.4.5", "not_an_amount")])
def test_amount_problems(text, code):
    with pytest.raises(NegotiationInvalid) as refused:
        parse_fields(typed(principal=text), today=TODAY)
    assert refused.value.problems == {"principal": code}


@pytest.mark.parametrize("text", ["2025-02-30", "03/01/2025", "yesterday"])
def test_dates_that_are_not_dates(text):
    with pytest.raises(NegotiationInvalid) as refused:
        parse_fields(typed(overdue_since=text), today=TODAY)
    assert refused.value.problems == {"overdue_since": "not_a_date"}


def test_an_edit_is_recorded_in_the_custody_log(session, owner):
    negotiation = make_negotiation_in(session, owner, principal=Decimal("12000"))
    values = parse_fields(typed(principal="12000", outstanding="13500.50",
                                collection_agency="某某催收", overdue_since="2025-02-01"),
                          today=TODAY)
    changes = edit_negotiation(session, negotiation, actor=owner, values=values)
    assert changes == {"collection_agency": {"old": None, "new": "某某催收"},
                       "outstanding": {"old": None, "new": "13500.50"},
                       "overdue_since": {"old": None, "new": "2025-02-01"}}
    event = session.exec(select(CustodyEvent)).one()
    assert event.action == CustodyAction.metadata_edit and event.actor_id == owner.id
    assert event.negotiation_id == negotiation.id and event.details == {"fields": changes}
    session.refresh(negotiation)
    assert negotiation.outstanding == Decimal("13500.50")
    assert verify_chain(session) == (1, [])

    assert edit_negotiation(session, negotiation, actor=owner, values=values) == {}
    assert len(session.exec(select(CustodyEvent)).all()) == 1, "no change, no event"


def test_an_edit_refuses_fields_that_are_not_the_negotiations(session, owner):
    negotiation = make_negotiation_in(session, owner)
    with pytest.raises(ValueError, match="owner_id"):
        edit_negotiation(session, negotiation, actor=owner, values={"owner_id": 2})
    assert session.exec(select(CustodyEvent)).all() == []


@pytest.mark.parametrize("since, days, stage", [
    (date(2025, 3, 11), None, None),
    (date(2025, 3, 10), 1, OverdueStage.early),
    (date(2025, 3, 4), 7, OverdueStage.early),
    (date(2025, 3, 3), 8, OverdueStage.middle),
    (date(2025, 2, 9), 30, OverdueStage.middle),
    (date(2025, 2, 8), 31, OverdueStage.late),
    (None, None, None),
])
def test_days_overdue_and_stage(since, days, stage):
    assert days_overdue(since, TODAY) == days
    assert overdue_stage(days) == stage


def test_the_status_line_counts_evidence_and_finds_the_last_contact(services, session, owner,
                                                                     testdata):
    first = make_negotiation_in(session, owner, overdue_since=date(2025, 2, 1))
    second = make_negotiation_in(session, owner, creditor="借呗")
    moments = [datetime(2025, 3, 1, 2, 30, tzinfo=UTC), datetime(2025, 3, 5, 9, tzinfo=UTC)]
    files = [testdata / "audio" / "BAC009S0764W0121.wav",
             testdata / "audio" / "BAC009S0764W0122.wav",
             testdata / "email" / "demisto_chinese_gbk_encoding.eml"]
    for path, moment in zip(files, [*moments, None], strict=True):
        ingest(session=session, blobs=services.blobs,
               source=IncomingFile(io.BytesIO(path.read_bytes()), path.name),
               negotiation=first, actor=owner, max_bytes=10**8, tz=services.config.locale.zone,
               details=EvidenceDetails(occurred_at=moment) if moment else None)

    status_first, status_second = negotiation_statuses(session, [first, second], today=TODAY)
    assert status_first.negotiation is first
    assert status_first.days_overdue == 38 and status_first.stage == OverdueStage.late
    assert status_first.evidence_counts == {EvidenceKind.call: 2, EvidenceKind.email: 1}
    assert status_first.evidence_total == 3
    stored = session.exec(select(Evidence.occurred_at)).all()
    assert moments[1] in stored and status_first.last_contact == max(t for t in stored if t)
    assert status_first.next_promised_payment is None
    assert (status_second.evidence_counts, status_second.last_contact) == ({}, None)
    assert status_second.stage is None
    assert next_promised_payment(session, first) is None
    # A negotiation's header: the same line without the counts (which read every item).
    assert negotiation_statuses(session, [first, second], today=TODAY, with_counts=False) == [
        replace(status, evidence_counts={}) for status in (status_first, status_second)]
