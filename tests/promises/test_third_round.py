"""The kinds of miss that train_a and train_b showed (stop 32: written blind as the resemblance
model's training text, then read for the rules), each on phrasings written for this file: a sum
and the day of its payment said in two clauses, call-centre notes, records and receipts, sums
per month, and offers worded in new ways."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from logger.promises.text import Kind, Who, resemblance
from tests.support.promise_text import found


@pytest.mark.parametrize("text, amount, due", [
    ("四千二一次性还清，12月9号前还", 4200, date(2024, 12, 9)),
    ("I'll send the $640, by Friday I'll send it", 640, date(2024, 12, 6)),
])
def test_a_sum_and_the_day_of_its_payment_in_two_clauses_are_one_promise(text, amount, due):
    assert found(text, side="me") == [(Who.me, Kind.payment, Decimal(amount), due)]


def test_a_part_paid_first_and_the_rest_on_a_day_stay_two():
    assert [(s[2], s[3]) for s in found("我先还一千，剩下的周五还", side="me")] == [
        (Decimal(1000), None), (None, date(2024, 12, 6))]


@pytest.mark.parametrize("text", ["客户承诺12月9日前还款1,600元", "客户表示本周五前还两千",
                                  "Customer agrees to pay $300 on Friday."])
def test_a_call_centre_note_names_the_debtor_as_the_customer(text):
    # the rules' reading (the resemblance model calls the English note off: see
    # test_promise_resemblance.py)
    with resemblance.using(None):
        assert [s[0] for s in found(text)] == [Who.me]


@pytest.mark.parametrize("text", ["【某某花】您已成功还款800.00元，剩余待还3,200.00元。",
                                  "交易流水号2024120399881，转账金额1500元，请注意核对",
                                  "合同编号HT2024001，借款金额30,000.00元，借款期限24个月，还款方式等额本息",
                                  "请于12月10日前还款2000元，如已还款请忽略。"])
def test_receipts_records_and_reminders_promise_nothing(text):
    with resemblance.using(None):   # the rules alone
        assert found(text) == []


@pytest.mark.parametrize("text, side, who, amount, due", [
    ("We can put you on $120 a month starting the 20th.", "them", Who.them, 120,
     date(2024, 12, 20)),
    ("what i'll do is three hundred dollars on the first of every month starting in january",
     "me", Who.me, 300, date(2025, 1, 1)),
])
def test_a_sum_per_month_is_a_plan(text, side, who, amount, due):
    assert found(text, side=side) == [(who, Kind.instalment_plan, Decimal(amount), due)]


@pytest.mark.parametrize("text, kind, amount, due", [
    ("只要你明天前还两千，这期的逾期费用一分不收", Kind.waiver, 2000, date(2024, 12, 4)),
    ("只要你月底前还上一万，利息一分不要", Kind.waiver, 10000, date(2024, 12, 31)),
    ("If you bring the account current with $200 by the 15th, we'll wipe the late fees.",
     Kind.waiver, 200, date(2024, 12, 15)),
    ("你明天把三千打过来 我就不给你家里人打电话了", Kind.stop_calls, 3000, date(2024, 12, 4)),
    ("If you make the $150 payment today we'll stop the automated calls.", Kind.stop_calls,
     150, date(2024, 12, 3)),
    ("这期可以晚几天，最晚12月20号还上就行", Kind.extension, None, date(2024, 12, 20)),
    ("系统已经帮你延了 最晚下周五", Kind.extension, None, date(2024, 12, 13)),
])
def test_offers_worded_in_new_ways(text, kind, amount, due):
    assert found(text, side="them") == [
        (Who.them, kind, Decimal(amount) if amount else None, due)]


def test_a_full_and_final_settlement_from_the_debtor():
    assert found("I will pay $1,500 on Friday as a full and final settlement of the account.",
                 side="me") == [(Who.me, Kind.settlement, Decimal(1500), date(2024, 12, 6))]


# A call transcript: no punctuation, words cut apart by the recogniser's spaces (train_c).
@pytest.mark.parametrize("text, side, who, amount, due", [
    ("我 分四期 还 每期 两千 每个月 二十号 还", "me", Who.me, 2000, date(2024, 12, 20)),
    ("好 那 给你 办 分期 分十期 每期 六百 第一期 下周三 还", "them", Who.them, 600,
     date(2024, 12, 11)),
    ("我想好了 分三期 每期一千五 12月10号开始 每个月10号", "me", Who.me, 1500,
     date(2024, 12, 10)),   # 一千五 | 12月: a figure keeps its space
])
def test_a_plan_said_with_pauses_for_commas_is_a_plan(text, side, who, amount, due):
    assert found(text, side=side) == [(who, Kind.instalment_plan, Decimal(amount), due)]


@pytest.mark.parametrize("text, kind, amount, due", [
    ("下周五 前 还 八千 罚息 全免", Kind.waiver, 8000, date(2024, 12, 13)),
    ("明天 还 一千 的话 滞纳金 就 不收 了", Kind.waiver, 1000, date(2024, 12, 4)),
    ("你 要是 周四 还 三千 那个 违约金 全减", Kind.waiver, 3000, date(2024, 12, 5)),
    ("你 后天 把 一千五 还了 我们 就 不 打电话 了", Kind.stop_calls, 1500, date(2024, 12, 5)),
    ("周五 前 还 两千 我 保证 不 联系 你 家里人", Kind.stop_calls, 2000, date(2024, 12, 6)),
])
def test_an_offer_said_with_pauses_for_commas_is_read_whole(text, kind, amount, due):
    assert found(text, side="them") == [(Who.them, kind, Decimal(amount), due)]


@pytest.mark.parametrize("borrower, lender", [("乙方", "甲方"), ("甲方", "乙方")])
def test_an_agreements_parties_are_read_as_it_defines_them(borrower, lender):
    text = (f"{lender}（出借人）：王某\n{borrower}（借款人）：赵某\n"
            f"{borrower}承诺于2024年12月20日前向{lender}归还借款本金人民币叁万元整。")
    assert found(text) == [(Who.me, Kind.payment, Decimal(30000), date(2024, 12, 20))]


def test_a_party_the_text_does_not_define_stays_unknown():
    assert found("乙方承诺于2024年12月20日前向甲方归还借款本金人民币叁万元整。") == [
        (Who.unknown, Kind.payment, Decimal(30000), date(2024, 12, 20))]


@pytest.mark.parametrize("text", ["I'll pay by 2024-12-18.", "我2024-12-18前还款"])
def test_the_year_of_a_date_is_no_sum(text):
    assert found(text, side="me") == [(Who.me, Kind.payment, None, date(2024, 12, 18))]


@pytest.mark.parametrize("text, due", [
    ("那个 一万二 我 下个月 十号 全部 还掉", date(2025, 1, 10)),
    ("一万二 我 十号 之前 还清", date(2024, 12, 10)),
])
def test_a_pause_inside_a_day_does_not_cut_it(text, due):
    assert found(text, side="me") == [(Who.me, Kind.payment, Decimal(12000), due)]
