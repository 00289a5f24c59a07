"""The plan a budget allows: affordable amount with its margin, the fewest evened-out
instalments, the 36-month cap, a pause when nothing is left, a settlement figure; and the
person's own numbers, the other one computed, the sum always the outstanding amount exactly."""

from datetime import date
from decimal import Decimal as D

import pytest

from logger.hardship.plan import (MAX_INSTALMENTS, Budget, PlanError, amount_for, choose,
                                  due_dates, instalments, propose, settlement_figure)
from storage.models.hardship import FigureSource, PlanKind


def test_the_affordable_amount_keeps_the_margin_back_and_rounds_down():
    budget = Budget(D("6000"), D("3500"), D("500"), D("20"))
    assert budget.surplus == D("2000")
    assert budget.affordable == D("1600.00")
    assert Budget(D("1000"), D("0.01"), None, D("33")).affordable == D("669.99")  # 669.9933


def test_the_proposal_is_the_fewest_instalments_evened_out():
    proposal = propose(Budget(D("6000"), D("3500"), D("500")), D("20000"))
    assert proposal.kind == PlanKind.instalments
    assert (proposal.count, proposal.amount) == (13, D("1538.47"))  # 20000 / 1600 -> 13
    assert proposal.amount <= proposal.affordable and not proposal.exceeds_affordable
    assert "13 instalments of 1,538.47" in proposal.reason.to("en")
    assert "分 13 期" in proposal.reason.to("zh")


@pytest.mark.parametrize("outstanding,amount", [
    ("20000", "1538.47"), ("100", "33.34"), ("0.05", "0.01"), ("9999.99", "3333.33"),
    ("12345.67", "1000"), ("1", "1")])
def test_the_instalments_add_up_to_the_outstanding_amount_exactly(outstanding, amount):
    parts = instalments(D(outstanding), D(amount))
    assert sum(parts) == D(outstanding)
    assert all(p == D(amount) for p in parts[:-1]) and D(0) < parts[-1] <= D(amount)


def test_more_than_the_cap_proposes_the_cap_and_says_it_exceeds_what_is_affordable():
    proposal = propose(Budget(D("3000"), D("2500")), D("100000"))  # 400 a month affordable
    assert proposal.count == MAX_INSTALMENTS and proposal.exceeds_affordable
    assert proposal.amount == amount_for(D("100000"), 36) == D("2777.78")
    assert "more than the 400.00 you can afford" in proposal.reason.to("en")
    plan = choose(D("100000"), proposal)
    assert plan.count == 36 and sum(plan.instalments) == D("100000")


@pytest.mark.parametrize("income,expenses,other", [("3000", "3000", None),
                                                   ("3000", "2500", "600"), ("0", "1200", None)])
def test_no_surplus_proposes_a_pause_and_never_a_figure(income, expenses, other):
    proposal = propose(Budget(D(income), D(expenses), D(other) if other else None), D("8000"))
    assert proposal.kind == PlanKind.pause
    assert proposal.amount is None and proposal.count is None
    assert "pause" in proposal.reason.to("en")
    with pytest.raises(PlanError):
        choose(D("8000"), proposal)


def test_without_income_or_outstanding_nothing_is_proposed():
    assert propose(Budget(None, D("100")), D("8000")).kind is None
    assert "income" in propose(Budget(None, D("100")), D("8000")).reason.to("en")
    assert propose(Budget(D("5000"), D("100")), None).kind is None


def test_a_settlement_figure_is_the_percentage_set_of_the_outstanding_amount():
    assert settlement_figure(D("12345.67"), D("60")) == D("7407.40")
    assert settlement_figure(D("8000"), None) is None
    assert propose(Budget(None, None), D("8000"), settlement_percent=D("50")).settlement == \
        D("4000.00")


def test_the_persons_amount_gives_the_count_and_the_persons_count_the_amount():
    proposal = propose(Budget(D("6000"), D("3500"), D("500")), D("20000"))
    by_amount = choose(D("20000"), proposal, amount=D("3000"))
    assert (by_amount.count, by_amount.instalments[-1]) == (7, D("2000"))
    assert (by_amount.amount_source, by_amount.count_source) == (FigureSource.person,
                                                                 FigureSource.computed)
    by_count = choose(D("20000"), proposal, count=24)
    assert by_count.amount == D("833.34") and sum(by_count.instalments) == D("20000")
    assert (by_count.amount_source, by_count.count_source) == (FigureSource.computed,
                                                               FigureSource.person)
    both = choose(D("20000"), proposal, amount=D("2000"), count=10)
    assert both.count == 10 and both.amount_source == both.count_source == FigureSource.person


def test_numbers_that_do_not_fit_together_are_refused_with_what_to_change():
    proposal = propose(Budget(D("6000"), D("3500")), D("20000"))
    with pytest.raises(PlanError) as refused:
        choose(D("20000"), proposal, amount=D("500"), count=12)
    assert refused.value.field == "count" and "it takes 40" in str(refused.value)
    with pytest.raises(PlanError):
        choose(D("20000"), proposal, amount=D("0"))
    with pytest.raises(PlanError) as too_long:
        choose(D("20000"), proposal, amount=D("1"))
    assert "more than 120" in str(too_long.value)


def test_due_dates_are_monthly_on_the_same_day_or_the_months_last():
    assert due_dates(date(2027, 1, 31), 4) == [date(2027, 1, 31), date(2027, 2, 28),
                                               date(2027, 3, 31), date(2027, 4, 30)]
    assert due_dates(date(2027, 11, 15), 3)[-1] == date(2028, 1, 15)
