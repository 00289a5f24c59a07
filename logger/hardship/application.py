"""A negotiation's hardship application as stored: the borrower's circumstances (checked before
anything is written), the plan they chose, and what the letter still lacks.

`save_circumstances` and `save_plan` raise HardshipError (with the field it is about) and then
leave the stored application as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from logger.errors import LiuhenError
from logger.hardship.plan import (MAX_MARGIN, Budget, Plan, Proposal, choose, propose,
                                  settlement_figure)
from logger.i18n import N_, Text
from storage.models import Negotiation, utcnow
from storage.models.hardship import (FigureSource, HardshipApplication, HardshipCause,
                                     HardshipRequest, PlanKind)

MAX_DEPENDANTS = 30
MAX_PAUSE_MONTHS = 24
TEXT_LIMITS = {"applicant_name": 200, "income_source": 200, "other_debts": 4000,
               "hardship_details": 4000}
MONEY_FIELDS = ("monthly_income", "essential_expenses", "other_debt_payments")

# Field -> what the page calls it (and the letter leaves out while it is empty).
FIELD_NAMES = {
    "applicant_name": N_("Your name"),
    "monthly_income": N_("Monthly income"),
    "income_source": N_("Source of income"),
    "essential_expenses": N_("Essential monthly expenses"),
    "dependants": N_("People you support"),
    "other_debts": N_("Other debts"),
    "other_debt_payments": N_("Monthly payments on other debts"),
    "cause": N_("Cause of the hardship"),
    "hardship_since": N_("Since when"),
    "hardship_details": N_("What happened"),
    "requests": N_("What you ask for"),
    "safety_margin_percent": N_("Safety margin"),
    "outstanding": N_("Outstanding amount (on the negotiation's page)"),
    "plan": N_("The plan"),
    "start_date": N_("First payment date"),
    "proofs": N_("Hardship proofs"),
    "settlement_percent": N_("Settlement percentage"),
    "pause_months": N_("Months of pause"),
}


class HardshipError(LiuhenError):
    """A value cannot be stored; `field` names it, the message says what to do."""

    def __init__(self, message: Text, *, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class Circumstances:
    """What the borrower tells about their situation, typed (None: left empty)."""

    applicant_name: str | None = None
    monthly_income: Decimal | None = None
    income_source: str | None = None
    essential_expenses: Decimal | None = None
    dependants: int | None = None
    other_debts: str | None = None
    other_debt_payments: Decimal | None = None
    cause: HardshipCause | None = None
    hardship_since: date | None = None
    hardship_details: str | None = None
    requests: list[HardshipRequest] = field(default_factory=list)
    safety_margin_percent: Decimal = Decimal(20)


def get_application(session: Session, negotiation: Negotiation) -> HardshipApplication | None:
    return session.exec(select(HardshipApplication).where(
        HardshipApplication.negotiation_id == negotiation.id)).first()


def check_circumstances(values: Circumstances, *, today: date) -> None:
    """Raise HardshipError for the first value that cannot be right."""
    for name in MONEY_FIELDS:
        amount = getattr(values, name)
        if amount is not None and amount < 0:
            raise HardshipError(Text("%(field)s cannot be negative.",
                                     field=Text(FIELD_NAMES[name])), field=name)
    if values.dependants is not None and not 0 <= values.dependants <= MAX_DEPENDANTS:
        raise HardshipError(Text("The number of people you support must be between 0 and "
                                 "%(limit)s.", limit=MAX_DEPENDANTS), field="dependants")
    if values.hardship_since is not None and values.hardship_since > today:
        raise HardshipError(Text("The hardship cannot start after today."),
                            field="hardship_since")
    if not 0 <= values.safety_margin_percent <= MAX_MARGIN:
        raise HardshipError(Text("The safety margin must be between 0 and %(limit)s %%.",
                                 limit=MAX_MARGIN), field="safety_margin_percent")
    for name, limit in TEXT_LIMITS.items():
        text = getattr(values, name)
        if text is not None and len(text) > limit:
            raise HardshipError(Text("%(field)s: at most %(limit)s characters.",
                                     field=Text(FIELD_NAMES[name]), limit=limit), field=name)


def budget_of(application: HardshipApplication | Circumstances) -> Budget:
    return Budget(application.monthly_income, application.essential_expenses,
                  application.other_debt_payments, application.safety_margin_percent)


def proposal_for(application: HardshipApplication, negotiation: Negotiation) -> Proposal:
    return propose(budget_of(application), negotiation.outstanding,
                   settlement_percent=application.settlement_percent)


def save_circumstances(session: Session, negotiation: Negotiation, values: Circumstances, *,
                       today: date) -> HardshipApplication:
    """Store the circumstances (creating the application on first save) and commit. A plan
    whose numbers were computed follows the new budget; numbers the person set stay."""
    check_circumstances(values, today=today)
    application = get_application(session, negotiation) or HardshipApplication(
        negotiation_id=negotiation.id)
    for name, value in vars(values).items():
        setattr(application, name, [str(r) for r in value] if name == "requests" else value)
    _follow_budget(application, negotiation)
    application.updated_at = utcnow()
    session.add(application)
    session.commit()
    return application


def save_plan(session: Session, application: HardshipApplication, negotiation: Negotiation, *,
              kind: PlanKind, amount: Decimal | None = None, count: int | None = None,
              start_date: date | None = None, settlement_percent: Decimal | None = None,
              pause_months: int | None = None, use_proposal: bool = False) -> Plan | None:
    """Store the plan the person chose and commit; `amount`/`count` are the numbers they
    changed (None: keep or compute). Returns the instalments for an instalment plan. Raises
    HardshipError (PlanError's message) and then stores nothing."""
    if settlement_percent is not None and not 0 < settlement_percent <= 100:
        raise HardshipError(Text("The settlement percentage must be more than 0 and at most "
                                 "100."), field="settlement_percent")
    if pause_months is not None and not 1 <= pause_months <= MAX_PAUSE_MONTHS:
        raise HardshipError(Text("A pause must be between 1 and %(limit)s months.",
                                 limit=MAX_PAUSE_MONTHS), field="pause_months")
    if kind == PlanKind.settlement and settlement_percent is None:
        raise HardshipError(Text("Give the percentage of the outstanding amount you offer to "
                                 "settle for."), field="settlement_percent")
    plan = None
    if kind == PlanKind.instalments:
        outstanding = negotiation.outstanding
        if outstanding is None or outstanding <= 0:
            raise HardshipError(Text("Set the outstanding amount on the negotiation's page "
                                     "first."), field="outstanding")
        plan = _chosen(application, negotiation, amount, count, use_proposal)
        application.instalment_amount, application.instalment_count = plan.amount, plan.count
        application.amount_source, application.count_source = (plan.amount_source,
                                                                plan.count_source)
    application.plan_kind = kind
    application.start_date = start_date
    application.settlement_percent, application.pause_months = settlement_percent, pause_months
    application.updated_at = utcnow()
    session.add(application)
    session.commit()
    return plan


def current_plan(application: HardshipApplication, negotiation: Negotiation) -> Plan | None:
    """The stored instalment plan with its instalments; None when there is none (or the
    outstanding amount changed so that its numbers no longer fit: it is then recomputed)."""
    if application.plan_kind != PlanKind.instalments or negotiation.outstanding is None or \
            application.instalment_amount is None or negotiation.outstanding <= 0:
        return None
    try:
        return _chosen(application, negotiation, None, None, False)
    except LiuhenError:
        return None


def settlement_amount(application: HardshipApplication, negotiation: Negotiation
                      ) -> Decimal | None:
    return settlement_figure(negotiation.outstanding, application.settlement_percent)


def missing(application: HardshipApplication | None, negotiation: Negotiation,
            proof_count: int) -> list[str]:
    """The fields (FIELD_NAMES keys) the letter will leave out because they are empty."""
    if application is None:
        return ["applicant_name", "monthly_income", "essential_expenses", "cause", "requests",
                "plan", *(["outstanding"] if negotiation.outstanding is None else []),
                *(["proofs"] if not proof_count else [])]
    gaps = [name for name in ("applicant_name", "monthly_income", "income_source",
                              "essential_expenses", "dependants", "cause", "hardship_since")
            if getattr(application, name) is None]
    if not application.requests:
        gaps.append("requests")
    if negotiation.outstanding is None:
        gaps.append("outstanding")
    if application.plan_kind is None:
        gaps.append("plan")
    elif application.plan_kind == PlanKind.instalments and application.start_date is None:
        gaps.append("start_date")
    elif application.plan_kind == PlanKind.settlement and application.settlement_percent is None:
        gaps.append("settlement_percent")
    if not proof_count:
        gaps.append("proofs")
    return gaps


def _chosen(application: HardshipApplication, negotiation: Negotiation, amount: Decimal | None,
            count: int | None, use_proposal: bool) -> Plan:
    proposal = proposal_for(application, negotiation)
    if amount is None and count is None and not use_proposal:
        # Nothing typed: keep the number the person set before and compute the other one.
        if application.amount_source == FigureSource.person:
            amount = application.instalment_amount
        elif application.count_source == FigureSource.person:
            count = application.instalment_count
    try:
        return choose(negotiation.outstanding, proposal, amount=amount, count=count)
    except LiuhenError as e:
        raise HardshipError(e.text or Text(str(e)), field=getattr(e, "field", "amount")) from None


def _follow_budget(application: HardshipApplication, negotiation: Negotiation) -> None:
    if application.plan_kind != PlanKind.instalments:
        return
    plan = current_plan(application, negotiation)
    if plan is not None:
        application.instalment_amount, application.instalment_count = plan.amount, plan.count
