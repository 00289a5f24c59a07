"""Payments (logger.promises.payments): recorded with a receipt, matched to the promise they pay
(suggested, then confirmed), partial payments and their shortfall, kept and missed, and the
negotiation's totals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from logger.promises.payments import (balances_of, match_payment, record_payment, settle_due,
                             suggest_match, totals)
from logger.promises.promises import (InstalmentTerms, PromiseError, PromiseTerms, add_plan, add_promise,
                             instalments_of)
from logger.record import custody
from storage.models import CustodyAction, CustodyEvent
from storage.models.promises import (PaymentMethod, Promise, PromiseKind, PromiseParty,
                                     PromiseStatus)
from tests.support.common import make_negotiation_in
from tests.support.promises import ZONE, local, make_item, my_payment


def pay(session, negotiation, owner, amount: str, when: str, **kw):
    """Record a payment at `when` (local); the clock reads `when` too unless `now` is given."""
    kw.setdefault("now", local(when))
    return record_payment(session, negotiation=negotiation, actor=owner, paid_at=local(when),
                          amount=Decimal(amount), method=kw.pop("method", PaymentMethod.alipay),
                          **kw)


def test_a_payment_with_its_receipt_is_recorded_and_custody_logged(services, session,
                                                                   negotiation, owner):
    receipt = make_item(services, session, negotiation, owner, name="支付宝转账.txt")
    payment = pay(session, negotiation, owner, "1000", "2024-12-14 10:00",
                  method=PaymentMethod.wechat, reference="4200001234", receipt=receipt)
    assert (payment.amount, payment.currency, payment.method, payment.reference,
            payment.receipt_evidence_id) == (Decimal("1000"), "CNY", PaymentMethod.wechat,
                                             "4200001234", receipt.id)
    [event] = session.exec(select(CustodyEvent).where(
        CustodyEvent.action == CustodyAction.payment)).all()
    assert event.evidence_id == receipt.id and event.details["amount"] == "1000"
    assert custody.verify_chain(session)[1] == []


def test_the_match_is_suggested_and_only_confirming_it_links_them(session, negotiation, owner):
    small = my_payment(session, negotiation, owner, "500", "2024-12-10 23:59")
    exact = my_payment(session, negotiation, owner, "1000", "2024-12-20 23:59")
    payment = pay(session, negotiation, owner, "1000", "2024-12-09 12:00")
    assert suggest_match(session, payment).id == exact.id      # the sum it equals wins
    assert payment.promise_id is None                          # suggested, not linked
    match_payment(session, payment, exact, actor=owner, now=local("2024-12-09 12:00"))
    assert session.get(Promise, exact.id).status == PromiseStatus.kept
    assert session.get(Promise, small.id).status == PromiseStatus.pending
    other = pay(session, negotiation, owner, "200", "2024-12-09 13:00")
    assert suggest_match(session, other).id == small.id        # the one still open


def test_partial_payments_show_the_shortfall_and_a_full_one_keeps_the_promise(
        session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "3000", "2024-12-13 23:59")
    pay(session, negotiation, owner, "1000", "2024-12-10 09:00", promise=promise,
        now=local("2024-12-10 09:00"))
    balance = balances_of(session, [promise])[promise.id]
    assert (balance.paid, balance.shortfall) == (Decimal("1000"), Decimal("2000"))
    assert promise.status == PromiseStatus.pending
    pay(session, negotiation, owner, "2000", "2024-12-13 20:00", promise=promise,
        now=local("2024-12-13 20:00"))
    assert session.get(Promise, promise.id).status == PromiseStatus.kept
    assert balances_of(session, [promise])[promise.id].shortfall == Decimal("0")


def test_a_promise_short_at_its_due_time_is_missed_and_a_late_payment_does_not_keep_it(
        session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "3000", "2024-12-13 23:59")
    pay(session, negotiation, owner, "1000", "2024-12-12 09:00", promise=promise)
    assert settle_due(session, now=local("2024-12-13 23:58")) == []
    assert [p.id for p in settle_due(session, now=local("2024-12-14 00:00"))] == [promise.id]
    session.commit()
    pay(session, negotiation, owner, "2000", "2024-12-15 09:00", promise=promise,
        now=local("2024-12-15 09:00"))
    assert session.get(Promise, promise.id).status == PromiseStatus.missed


def test_a_payment_made_on_time_but_recorded_after_the_due_time_keeps_it(session, negotiation,
                                                                       owner):
    promise = my_payment(session, negotiation, owner, "500", "2024-12-13 23:59")
    settle_due(session, now=local("2024-12-14 08:00"))
    session.commit()
    assert promise.status == PromiseStatus.missed
    pay(session, negotiation, owner, "500", "2024-12-13 21:00", promise=promise,
        now=local("2024-12-14 09:00"))
    assert session.get(Promise, promise.id).status == PromiseStatus.kept


def test_their_promise_that_passes_unmet_is_flagged(session, negotiation, owner):
    waiver = add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE,
                         terms=PromiseTerms(PromiseParty.them, PromiseKind.waiver,
                                            due_at=local("2024-12-15 23:59")))
    missed = settle_due(session, now=local("2024-12-16 09:00"))
    assert [p.id for p in missed] == [waiver.id] and waiver.status == PromiseStatus.missed


def test_instalments_decide_their_plan(session, negotiation, owner):
    plan = add_plan(session, negotiation=negotiation, actor=owner, party=PromiseParty.me,
                    tz=ZONE, instalments=[InstalmentTerms(local(f"2025-0{m}-15 23:59"),
                                                          Decimal("1000")) for m in (1, 2)])
    first, second = instalments_of(session, plan)
    pay(session, negotiation, owner, "1000", "2025-01-14 10:00", promise=first)
    assert session.get(Promise, plan.id).status == PromiseStatus.pending
    pay(session, negotiation, owner, "1000", "2025-02-15 10:00", promise=second)
    assert session.get(Promise, plan.id).status == PromiseStatus.kept


def test_totals_promised_paid_and_outstanding(session, negotiation, owner):
    first = my_payment(session, negotiation, owner, "3000", "2024-12-13 23:59")
    my_payment(session, negotiation, owner, "2000", "2025-01-13 23:59")
    add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE, terms=PromiseTerms(
        PromiseParty.them, PromiseKind.waiver, Decimal("800")))   # not the debtor's money
    pay(session, negotiation, owner, "1000", "2024-12-10 09:00", promise=first)
    pay(session, negotiation, owner, "300", "2024-12-11 09:00")   # not matched yet
    assert totals(session, negotiation) == type(totals(session, negotiation))(
        currency="CNY", promised=Decimal("5000"), paid=Decimal("1300"),
        outstanding=Decimal("4000"))


def test_a_payment_cannot_pay_another_negotiations_promise_or_their_promise(session,
                                                                          negotiation, owner):
    elsewhere = make_negotiation_in(session, owner, creditor="借呗")
    foreign = my_payment(session, elsewhere, owner, "100", "2024-12-13 23:59")
    with pytest.raises(ValueError, match="another negotiation"):
        pay(session, negotiation, owner, "100", "2024-12-10 09:00", promise=foreign)
    theirs = add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE,
                         terms=PromiseTerms(PromiseParty.them, PromiseKind.stop_calls))
    payment = pay(session, negotiation, owner, "100", "2024-12-10 09:00")
    with pytest.raises(PromiseError, match="not an open payment promise"):
        match_payment(session, payment, theirs, actor=owner)
    session.rollback()
    assert session.get(type(payment), payment.id).promise_id is None
    with pytest.raises(ValueError, match="more than 0"):
        pay(session, negotiation, owner, "0", "2024-12-10 09:00")


def test_the_command_line_records_plans_payments_and_matches(cli, services_for):
    import json
    assert cli("init").exit_code == 0 and cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    plan = cli("promises", "add", "--negotiation", "1", "--kind", "instalment_plan", "--party",
               "them", "--instalment", "2030-01-15=1000", "--instalment", "2030-02-15=1000",
               "--json")
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.stdout)["amount"] == "2000"
    paid = cli("promises", "pay", "--negotiation", "1", "--amount", "1000", "--at",
               "2030-01-14T10:00", "--method", "alipay", "--reference", "A1", "--json")
    suggested = json.loads(paid.stdout)["suggested_promise"]
    # A bare date stays a date (due by the end of that day), not 23:59 written in UTC.
    assert suggested["instalment"] == 1 and suggested["due_at"] == "2030-01-15"
    assert suggested["due_precision"] == "day"
    assert json.loads(paid.stdout)["paid_at"] == "2030-01-14T10:00:00+08:00"
    assert cli("promises", "match", "1", suggested["id"]).exit_code == 0
    listed = json.loads(cli("promises", "list", "--negotiation", "1", "--json").stdout)
    assert listed["totals"] == {"currency": "CNY", "promised": "2000", "paid": "1000",
                                "outstanding": "1000"}
    assert [(p["instalment"], p["status"]) for p in listed["promises"]
            if p["instalment"]] == [(1, "kept"), (2, "pending")]
    people = cli("promises", "payments", "--negotiation", "1")
    assert "alipay" in people.output and "pays #2" in people.output
    refused = cli("promises", "pay", "--negotiation", "1", "--amount", "lots", "--at",
                  "2030-01-14T10:00", "--method", "alipay")
    assert refused.exit_code != 0 and "is not an amount" in refused.output
    with services_for() as services, services.session() as session:
        assert len(session.exec(select(Promise)).all()) == 3
