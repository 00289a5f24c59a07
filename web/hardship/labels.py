"""What the hardship page calls each choice, and the values its forms show: what was stored,
or what was just typed when a form is shown again with its problems."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from logger.hardship.plan import Plan, Proposal
from storage.models.hardship import (FigureSource, HardshipApplication, HardshipCause,
                                     HardshipRequest, PlanKind, ProofKind)

CAUSE_LABELS = {HardshipCause.illness: _l("Illness or injury"),
                HardshipCause.job_loss: _l("Lost my job"),
                HardshipCause.business_failure: _l("My business failed"),
                HardshipCause.income_cut: _l("My income was cut"),
                HardshipCause.family: _l("A family emergency"),
                HardshipCause.other: _l("Something else")}
REQUEST_LABELS = {HardshipRequest.instalments: _l("Instalments (分期还款)"),
                  HardshipRequest.longer_term: _l("A longer term (延期)"),
                  HardshipRequest.penalty_waiver: _l("A waiver of penalty interest (减免罚息)"),
                  HardshipRequest.settlement: _l("A one-off settlement at a discount"),
                  HardshipRequest.pause: _l("A pause (停催)")}
PLAN_LABELS = {PlanKind.instalments: _l("Monthly instalments"),
               PlanKind.settlement: _l("One payment at a discount"),
               PlanKind.pause: _l("A pause, no payment for now")}
PROOF_LABELS = {ProofKind.income_statement: _l("Income statement"),
                ProofKind.medical_record: _l("Medical record"),
                ProofKind.termination_letter: _l("Termination or unemployment letter"),
                ProofKind.bank_statement: _l("Bank statement"),
                ProofKind.other: _l("Other proof")}
SOURCE_LABELS = {FigureSource.computed: _l("computed from your budget"),
                 FigureSource.person: _l("set by you")}
CIRCUMSTANCE_FIELDS = ("applicant_name", "monthly_income", "income_source",
                       "essential_expenses", "dependants", "other_debts", "other_debt_payments",
                       "cause", "hardship_since", "hardship_details", "safety_margin_percent")


def form_values(application: HardshipApplication | None,
                posted: Mapping | None) -> dict:
    """The circumstances form's values, as text, and the requests ticked."""
    if posted is not None:
        values = {name: posted.get(name, "") for name in CIRCUMSTANCE_FIELDS}
        values["requests"] = posted.getlist("requests")
        return values
    values = {name: _text(getattr(application, name, None)) for name in CIRCUMSTANCE_FIELDS}
    values["requests"] = list(application.requests) if application else []
    if application is None:
        values["safety_margin_percent"] = "20"
    return values


def plan_values(application: HardshipApplication | None, plan: Plan | None,
                proposal: Proposal | None, posted: Mapping | None) -> dict:
    """The plan form's values (the stored plan's numbers, else the proposal's); `shown_*` are
    the numbers as shown, to tell a change."""
    numbers = plan or (proposal if proposal and proposal.amount is not None else None)
    stored = {
        "plan_kind": _text(application.plan_kind) if application else "",
        "instalment_amount": _text(numbers.amount) if numbers else "",
        "instalment_count": _text(numbers.count) if numbers else "",
        "start_date": _text(application.start_date) if application else "",
        "settlement_percent": _text(application.settlement_percent) if application else "",
        "pause_months": _text(application.pause_months) if application else "",
    }
    stored["shown_amount"] = stored["instalment_amount"]
    stored["shown_count"] = stored["instalment_count"]
    if posted is not None:
        return {name: posted.get(name, "") for name in stored}
    return stored


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "normalize") and value == value.to_integral_value():
        return str(value.quantize(1))
    return str(value)
