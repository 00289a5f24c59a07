"""The repayment plan a hardship application proposes, from the borrower's monthly budget.

affordable = (income - essential expenses - other debt payments) x (1 - safety margin), rounded
down to the cent. Instalments: the fewest months at most `affordable` each that clear the
outstanding amount, evened out (every instalment the same, the last one what is left, so the
instalments add up to the outstanding amount exactly). No surplus: a pause, never a figure.
A settlement figure is the percentage the person sets of the outstanding amount.

Pure functions over `Decimal`; nothing here reads the database.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

from logger.errors import LiuhenError
from logger.i18n import Text
from storage.models.hardship import FigureSource, PlanKind

CENT = Decimal("0.01")
# The longest plan proposed: Chinese lenders' own instalment products (credit-card 分期, 借呗,
# 微粒贷, bank consumer loans) run 3 to 36 months, so a longer plan is one their systems cannot
# book and the guides advise asking for a longer term or a reduction instead.
MAX_INSTALMENTS = 36
# The most instalments a person may choose by hand (ten years of months): beyond it a typo (an
# amount of 0.01) would make a letter of thousands of lines.
MAX_CHOSEN_INSTALMENTS = 120
DEFAULT_MARGIN = Decimal(20)
MAX_MARGIN = Decimal(90)


class PlanError(LiuhenError):
    """A chosen plan cannot be: the message says which number to change."""

    def __init__(self, message: Text, *, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Budget:
    """A month of the borrower's money; None: not given."""

    income: Decimal | None
    expenses: Decimal | None
    other_payments: Decimal | None = None
    margin_percent: Decimal = DEFAULT_MARGIN

    @property
    def surplus(self) -> Decimal | None:
        """What is left each month (other debt payments not given count as none)."""
        if self.income is None or self.expenses is None:
            return None
        return self.income - self.expenses - (self.other_payments or Decimal(0))

    @property
    def affordable(self) -> Decimal | None:
        """The surplus less the safety margin, rounded down to the cent; None without one."""
        surplus = self.surplus
        if surplus is None:
            return None
        if surplus <= 0:
            return Decimal(0)
        kept = (Decimal(100) - self.margin_percent) / Decimal(100)
        return (surplus * kept).quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Proposal:
    """What the numbers suggest. `kind` None: not enough is known (`reason` says what is
    missing). `exceeds_affordable`: clearing the debt within MAX_INSTALMENTS needs more a month
    than is affordable."""

    kind: PlanKind | None
    reason: Text
    affordable: Decimal | None = None
    amount: Decimal | None = None
    count: int | None = None
    exceeds_affordable: bool = False
    settlement: Decimal | None = None


@dataclass(frozen=True)
class Plan:
    """The plan as chosen: each instalment's amount (they add up to the outstanding amount),
    and where the amount and the count came from."""

    amount: Decimal
    count: int
    amount_source: FigureSource
    count_source: FigureSource
    instalments: list[Decimal] = field(default_factory=list)


def propose(budget: Budget, outstanding: Decimal | None, *,
            settlement_percent: Decimal | None = None,
            cap: int = MAX_INSTALMENTS) -> Proposal:
    """The plan the budget allows for `outstanding` (see the module docstring)."""
    settlement = settlement_figure(outstanding, settlement_percent)
    if outstanding is None or outstanding <= 0:
        return Proposal(None, Text("Set the outstanding amount on the negotiation's page to "
                                   "compute a plan."), settlement=settlement)
    affordable = budget.affordable
    if affordable is None:
        return Proposal(None, Text("Give your monthly income and essential expenses to "
                                   "compute a plan."), settlement=settlement)
    if affordable <= 0:
        return Proposal(PlanKind.pause, Text(
            "Your essential expenses and other debt payments take all of your income, so no "
            "instalment is affordable now: the proposal is a pause, with no figure."),
            affordable=affordable, settlement=settlement)
    count = int((outstanding / affordable).to_integral_value(rounding=ROUND_UP))
    if count > cap:
        amount = amount_for(outstanding, cap)
        return Proposal(PlanKind.instalments, Text(
            "Clearing %(outstanding)s in %(cap)s instalments takes %(amount)s a month, more "
            "than the %(affordable)s you can afford: ask for a longer term or a reduction too.",
            outstanding=_figure(outstanding), cap=cap, amount=_figure(amount),
            affordable=_figure(affordable)),
            affordable=affordable, amount=amount, count=cap, exceeds_affordable=True,
            settlement=settlement)
    amount = amount_for(outstanding, count)
    return Proposal(PlanKind.instalments, Text(
        "You can afford %(affordable)s a month (what is left after your expenses, less the "
        "%(margin)s%% kept back): %(count)s instalments of %(amount)s clear %(outstanding)s.",
        affordable=_figure(affordable), margin=percent_text(budget.margin_percent), count=count,
        amount=_figure(amount), outstanding=_figure(outstanding)),
        affordable=affordable, amount=amount, count=count, settlement=settlement)


def settlement_figure(outstanding: Decimal | None, percent: Decimal | None) -> Decimal | None:
    """`percent` of `outstanding`, to the cent; None when either is not given."""
    if outstanding is None or percent is None:
        return None
    return (outstanding * percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)


def amount_for(outstanding: Decimal, count: int) -> Decimal:
    """The instalment that clears `outstanding` in `count` months, rounded up to the cent."""
    return (outstanding / Decimal(count)).quantize(CENT, rounding=ROUND_UP)


def instalments(outstanding: Decimal, amount: Decimal) -> list[Decimal]:
    """Instalments of `amount` until `outstanding` is paid, the last one what is left: their
    sum is `outstanding` exactly."""
    count = int((outstanding / amount).to_integral_value(rounding=ROUND_UP))
    return [amount] * (count - 1) + [outstanding - amount * (count - 1)]


def choose(outstanding: Decimal, proposal: Proposal, *, amount: Decimal | None = None,
           count: int | None = None) -> Plan:
    """The plan with the person's numbers: `amount` and/or `count` as they typed them (None:
    not changed), the other taken from them; neither: the proposal's. Raises PlanError naming
    the field to change."""
    if amount is not None and amount <= 0:
        raise PlanError(Text("The instalment must be more than zero."), field="amount")
    if count is not None and count < 1:
        raise PlanError(Text("The number of instalments must be at least 1."), field="count")
    if amount is None and count is None:
        if proposal.amount is None:
            raise PlanError(Text("There is no proposal to take: give an instalment or a "
                                 "number of instalments."), field="amount")
        amount, count = proposal.amount, proposal.count
        return Plan(amount, count, FigureSource.computed, FigureSource.computed,
                    instalments(outstanding, amount))
    if amount is None:
        amount = amount_for(outstanding, count)
        amount_source, count_source = FigureSource.computed, FigureSource.person
    elif count is None:
        amount_source, count_source = FigureSource.person, FigureSource.computed
    else:
        amount_source = count_source = FigureSource.person
    parts = instalments(outstanding, amount)
    if amount_source == count_source == FigureSource.person and len(parts) != count:
        raise PlanError(Text(
            "%(count)s instalments of %(amount)s do not clear %(outstanding)s exactly in that "
            "many months (it takes %(needed)s): change the amount or the number, or empty one of "
            "them to compute it.", count=count, amount=_figure(amount),
            outstanding=_figure(outstanding), needed=len(parts)), field="count")
    if len(parts) > MAX_CHOSEN_INSTALMENTS:
        raise PlanError(Text(
            "An instalment of %(amount)s takes %(count)s months, more than %(limit)s: choose a "
            "larger instalment.", amount=_figure(amount), count=len(parts),
            limit=MAX_CHOSEN_INSTALMENTS), field="amount")
    return Plan(amount, len(parts), amount_source, count_source, parts)


def due_dates(start: date, count: int) -> list[date]:
    """Monthly from `start`, on the same day of the month (the month's last day where it is
    shorter: 31 January, 28 or 29 February, 31 March)."""
    days = []
    for i in range(count):
        month_index = start.month - 1 + i
        year, month = start.year + month_index // 12, month_index % 12 + 1
        days.append(date(year, month, min(start.day, calendar.monthrange(year, month)[1])))
    return days


def _figure(amount: Decimal) -> str:
    return f"{amount:,.2f}" if amount == amount.quantize(CENT) else f"{amount:,}"


def percent_text(value: Decimal) -> str:
    """20 -> "20", 12.5 -> "12.5"."""
    return f"{value.normalize():f}"
