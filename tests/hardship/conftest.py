"""A negotiation with a filled-in hardship application, an instalment plan and two proofs."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest

from logger.hardship.application import Circumstances, save_circumstances, save_plan
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.record.evidence import edit_evidence
from logger.record.when import on_day
from storage.models import EvidenceKind, TimeSource
from storage.models.hardship import HardshipCause, HardshipRequest, PlanKind
from tests.support.common import make_negotiation_in

TODAY = date(2026, 12, 2)


@pytest.fixture
def case(session, owner):
    return make_negotiation_in(session, owner, creditor="信用飞", collection_agency="某某催收",
                               account_reference="XYF-2026-001", principal=D("18000"),
                               outstanding=D("20000"), overdue_since=date(2026, 9, 1))


def add_proof(services, session, negotiation, owner, name: str, kind: str, day: date | None):
    details = EvidenceDetails(kind=EvidenceKind.hardship_proof)
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(f"证明 {name}".encode()), name),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20,
                  tz=services.config.locale.zone, details=details)
    changes = {"proof_kind": kind}
    if day:
        changes.update(occurred_at=on_day(day, services.config.locale.zone,
                                          TimeSource.person).at, occurred_at_precision="day")
    edit_evidence(session, item, actor=owner, changes=changes)
    return item


@pytest.fixture
def filled(services, session, owner, case):
    application = save_circumstances(session, case, Circumstances(
        applicant_name="张三", monthly_income=D("6000"), income_source="工资",
        essential_expenses=D("3500"), dependants=2, other_debt_payments=D("500"),
        cause=HardshipCause.job_loss, hardship_since=date(2026, 8, 1),
        hardship_details="公司裁员，本人于八月失业。",
        requests=[HardshipRequest.instalments, HardshipRequest.penalty_waiver]), today=TODAY)
    save_plan(session, application, case, kind=PlanKind.instalments,
              start_date=date(2027, 1, 31))
    add_proof(services, session, case, owner, "termination.pdf", "termination_letter",
              date(2026, 8, 5))
    add_proof(services, session, case, owner, "bank.pdf", "bank_statement", None)
    return application
