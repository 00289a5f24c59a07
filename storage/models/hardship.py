"""The tables of a hardship application (减免申请书, logger.hardship): what the borrower says about
their circumstances and the plan they propose, one application per negotiation, and each
application marked as sent (the sent file is evidence; this row links to it).

Imported by storage.models, so importing the models registers these tables too.

Foreign keys and what a DELETE does:
- hardship_application -> negotiation: CASCADE (a draft about the negotiation, like its conduct
  settings; what was sent is evidence, which outlives it).
- hardship_sending -> negotiation: CASCADE; -> evidence (the copy sent): CASCADE (the row only
  says which item is the sent application); created_by -> user: SET NULL.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum, auto

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.core import Channel, ProofKind
from storage.models.types import Money, UTCDateTime, json_list, str_enum, utcnow

__all__ = [
    "FigureSource", "HardshipApplication", "HardshipCause", "HardshipRequest",
    "HardshipSending", "PlanKind", "ProofKind",  # ProofKind: storage.kinds
]


class HardshipCause(StrEnum):
    illness = auto()
    job_loss = auto()
    business_failure = auto()
    income_cut = auto()
    family = auto()  # a death, a divorce, a family member's illness
    other = auto()


class HardshipRequest(StrEnum):
    """What the borrower asks the creditor for (several at once)."""

    instalments = auto()  # 分期还款
    longer_term = auto()  # 延期
    penalty_waiver = auto()  # 减免罚息
    settlement = auto()  # 一次性还款折扣
    pause = auto()  # 停催 / a pause in payments


class PlanKind(StrEnum):
    instalments = auto()
    settlement = auto()
    pause = auto()


class FigureSource(StrEnum):
    """Where a number of the plan came from."""

    computed = auto()  # proposed from the income and expenses (logger.hardship.plan)
    person = auto()  # typed by the borrower


class HardshipApplication(SQLModel, table=True):
    """The borrower's circumstances and proposed plan for one negotiation. Every field a person
    left empty is None and is left out of the letter; money is exact `Decimal` per month in the
    negotiation's currency. `instalment_amount`/`instalment_count` are what the person chose,
    each with its source."""

    __tablename__ = "hardship_application"

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", unique=True, ondelete="CASCADE")
    applicant_name: str | None = Field(default=None, max_length=200)
    monthly_income: Decimal | None = Field(default=None, sa_type=Money)
    income_source: str | None = Field(default=None, max_length=200)
    essential_expenses: Decimal | None = Field(default=None, sa_type=Money)
    dependants: int | None = None
    other_debts: str | None = Field(default=None, sa_type=sa.Text)
    other_debt_payments: Decimal | None = Field(default=None, sa_type=Money)
    cause: HardshipCause | None = Field(default=None, sa_type=str_enum(HardshipCause))
    hardship_since: date | None = None
    hardship_details: str | None = Field(default=None, sa_type=sa.Text)
    requests: list[str] = Field(default_factory=list, sa_type=json_list(), nullable=False)
    # The share of the monthly surplus kept back for the unexpected (percent, 0-90).
    safety_margin_percent: Decimal = Field(default=Decimal(20), sa_type=Money)
    plan_kind: PlanKind | None = Field(default=None, sa_type=str_enum(PlanKind))
    instalment_amount: Decimal | None = Field(default=None, sa_type=Money)
    amount_source: FigureSource | None = Field(default=None, sa_type=str_enum(FigureSource))
    instalment_count: int | None = None
    count_source: FigureSource | None = Field(default=None, sa_type=str_enum(FigureSource))
    settlement_percent: Decimal | None = Field(default=None, sa_type=Money)
    pause_months: int | None = None
    start_date: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                 sa_column_kwargs={"onupdate": utcnow})


class HardshipSending(SQLModel, table=True):
    """An application the borrower marked as sent: when, how, in which language, and the
    evidence item holding the exact file (a `letter` from me, with its intake in the custody
    log)."""

    __tablename__ = "hardship_sending"

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True, ondelete="CASCADE")
    evidence_id: int = Field(foreign_key="evidence.id", unique=True, ondelete="CASCADE")
    sent_on: date
    channel: Channel = Field(sa_type=str_enum(Channel))
    language: str = Field(max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
