"""A sum said to close the debt is a settlement, whoever offers it; the whole debt, or a sum
paid off, is a payment (stop 34: the training files' commonest who & kind miss, 40 cases).
Phrasings written for this file."""

from __future__ import annotations

from decimal import Decimal

import pytest

from logger.promises.text import Kind, Who
from tests.support.promise_text import found


@pytest.mark.parametrize("text, side, who, amount", [
    ("行，一万二结清，下周五前付。", "them", Who.them, 12000),
    ("我 手上 就 三千五 一次性 给 你们 结了 周四 前 转", "me", Who.me, 3500),
    ("我愿意一次性支付4,800元作为全部欠款的最终结清，于12月20日前支付。", None, Who.me, 4800),
    ("Final offer: $2,300 lump sum by Friday and we're done.", "me", Who.me, 2300),
])
def test_a_sum_that_closes_the_debt_is_a_settlement(text, side, who, amount):
    assert [(s[0], s[1], s[2]) for s in found(text, side=side)] == [
        (who, Kind.settlement, Decimal(amount))]


@pytest.mark.parametrize("text", [
    "我下周五前把剩下的九千结清",                     # a sum paid off
    "我12月20号前结清",                               # a day, not a sum
    "我承诺于12月20日前一次性还清全部欠款，计人民币壹万元整。",   # the whole debt
])
def test_the_whole_debt_or_a_sum_paid_off_is_a_payment(text):
    assert [s[1] for s in found(text, side="me")] == [Kind.payment]


def test_a_letter_in_the_debtors_name_is_the_debtors_and_the_whole_debt_is_a_payment():
    letter = ("还款承诺书\n本人王某某，因失业暂时无力还款。现承诺于12月20日前一次性还清全部欠款，"
              "计人民币贰万元整。\n承诺人：王某某")
    assert [(s[0], s[1], s[2]) for s in found(letter)] == [
        (Who.me, Kind.payment, Decimal(20000))]


def test_a_sum_the_creditor_agrees_to_settle_everything_with_is_a_settlement():
    text = "经协商，债权人同意借款人以人民币壹万伍仟元整一次性结清全部债务，款项须于12月20日前付清。"
    assert [(s[0], s[1], s[2]) for s in found(text)] == [(Who.them, Kind.settlement, Decimal(15000))]


@pytest.mark.parametrize("text, side, amount", [
    ("可以，按七折结清，也就是5,600元，本周五前到账即可", "them", 5600),
    ("一次性结清的话给您算9千，后天之前打款", "them", 9000),
    ("结清方案批了：一次性3k，这周内", "them", 3000),
    ("可以 今天 下午 五点 前 还 三千二 一次性 结清", "them", 3200),  # said by the creditor
])
def test_the_creditors_price_for_closing_the_debt_is_a_settlement(text, side, amount):
    assert [(s[0], s[1], s[2]) for s in found(text, side=side)] == [
        (Who.them, Kind.settlement, Decimal(amount))]


@pytest.mark.parametrize("text, side, who", [
    ("我借到钱了，下周二之前一次性给你们八千，全部了结，行不行？", "me", Who.me),
    ("给你们一口价五千，月中前一次性付，多了真没有", "me", Who.me),
    ("协商结果：债权人同意债务人一次性支付25000元结清全部债务，付款期限为2025年1月15日。", None, Who.them),
    ("Approved to settle at 40%, that's $1,900, due by end of the year.", "them", Who.them),
])
def test_settlements_in_other_words(text, side, who):
    assert [(s[0], s[1]) for s in found(text, side=side)] == [(who, Kind.settlement)]


@pytest.mark.parametrize("text", [
    "可以免一半的利息，您下周三前还清剩余的8000就可以",
    "Pay the $700 balance by 12/31 and the penalty fees are wiped.",
    "gd news, mgr approved waiving ur late fees if u pay 2k by wed",
])
def test_waivers_in_other_words(text):
    assert [s[1] for s in found(text, side="them")] == [Kind.waiver]


@pytest.mark.parametrize("text", ["We aren't waiving the late fees; pay the $300 by Friday.",
                                  "We can't settle at 50%, that's $900."])
def test_an_offer_refused_and_the_collectors_order_promise_nothing(text):
    assert found(text, side="them") == []
