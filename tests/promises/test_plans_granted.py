"""Plans said by their cadence (每两周还…, 各还…) and plans the creditor grants to "you"
(可以给您分6期, 您的账户可办理分期) (stop 34: who & kind misses on the training files).
Phrasings written for this file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from logger.promises.text import Kind, Who, suggest_promises
from tests.support.promise_text import AT, found


@pytest.mark.parametrize("text, amount", [
    ("每两周还800，下周四开始。", 800),
    ("我12月12号、1月12号、2月12号各还2500", 2500),
])
def test_a_cadence_or_dates_with_a_sum_each_are_a_plan(text, amount):
    assert [(s[1], s[2]) for s in found(text, side="me")] == [
        (Kind.instalment_plan, Decimal(amount))]


@pytest.mark.parametrize("text", [
    "可以给您分6期，每期1200，首期12月20日。",
    "你这种情况可以分期，分十二期，每个月还八百",
    "经审核，您的分期申请已通过，分12期，每期650元。",
])
def test_a_plan_granted_to_you_is_the_creditors(text):
    assert [(s[0], s[1]) for s in found(text)] == [(Who.them, Kind.instalment_plan)]


@pytest.mark.parametrize("text", [
    "你周五前一次性还清九千，剩下的罚息我们全免。",
    "你这周五前还上2,800，剩下的利息我们就不要了",
])
def test_fees_forgiven_for_paying_at_once_are_a_waiver(text):
    assert [s[1] for s in found(text, side="them")] == [Kind.waiver]


@pytest.mark.parametrize("text", [
    "好 那 我这边 先 给你 停了 外呼 你 后天 记得 还 一千",
    "你周五前还清两千，我们就撤回上门安排，也不再发短信",
    "Pay the $400 by Friday and the calls to your family stop.",
])
def test_stops_said_in_other_words_are_stops(text):
    assert Kind.stop_calls in [s[1] for s in found(text, side="them")]


@pytest.mark.parametrize("text", [
    "中 俺后天给你还六百",                       # 俺: "I" in northern speech
    "我明早去银行给你存一千二",
    "周五之前一次性把一万二还了，你们别再打了",  # the creditor addressed as 你们
])
def test_the_debtor_speaking_in_other_words(text):
    assert [s[0] for s in found(text)] == [Who.me]


def test_a_discount_given_to_you_is_not_the_debtor_paying():
    assert [s[:2] for s in found("一次性结清的话给你打六折，四千八，这周内还")] == [
        (Who.them, Kind.settlement)]


@pytest.mark.parametrize("text", [
    "我们这边不会再发短信打扰您",
    "出借人承诺不向借款人的亲属、同事进行催收。",
    "Noted, I'm flagging the account so no one calls you at work again.",
    "Your account is on a 30-day contact hold; no calls or texts during that time.",
])
def test_no_more_contact_said_as_its_negation_is_a_stop(text):
    assert [s[:2] for s in found(text)] == [(Who.them, Kind.stop_calls)]


@pytest.mark.parametrize("text", ["不还钱就上门", "你们不要再打电话了"])
def test_a_threat_or_the_debtors_request_is_no_stop(text):
    assert found(text) == []


def test_a_date_pushed_back_is_an_extension():
    assert [s[1] for s in found("ok i've pushed your payment date back to the 20th",
                                side="them")] == [Kind.extension]


@pytest.mark.parametrize("text, amount", [("ill send 2k tmrw morning, promise", 2000),
                                          ("ill send 150 fri deffo", 150)])
def test_texting_shorthand_is_read_as_the_words_it_stands_for(text, amount):
    # the resemblance model read "ill", "tmrw", "deffo" as unknown words and called these off
    assert [(s[1], s[2]) for s in found(text, side="me")] == [(Kind.payment, Decimal(amount))]


def test_three_equal_sums_on_days_one_after_the_other_are_a_plan():
    [plan] = suggest_promises("这周五2000，下周五2000，下下周五2000，三次还完", at=AT, side="me")
    assert (plan.kind, plan.amount) == (Kind.instalment_plan, Decimal(2000))
    assert [i.due.date() for i in plan.instalments] == [
        date(2024, 12, 6), date(2024, 12, 13), date(2024, 12, 20)]


@pytest.mark.parametrize("text, amount, due", [
    ("每个月一千五，每月20号，从这个月开始，这个我能保证。", 1500, date(2024, 12, 20)),
    ("俺一个月给你还八百 中不中 这个月25号先还第一笔", 800, date(2024, 12, 25)),
])
def test_a_sum_per_month_on_a_day_is_a_plan(text, amount, due):
    assert found(text, side="me") == [(Who.me, Kind.instalment_plan, Decimal(amount), due)]


def test_a_platforms_billing_day_is_no_plan_and_no_promise():
    assert found("您的还款日为每月15号，本期应还1280元。") == []


@pytest.mark.parametrize("text, amount", [
    ("那 我 就 每月 二十号 还 六百 分五期 还", 600),          # 600 a month, not 600 in all
    ("我 一个月 还 九百 分 十个月 还完", 900),
])
def test_a_sum_a_month_before_a_count_is_each_instalment(text, amount):
    assert [s[2] for s in found(text, side="me")] == [Decimal(amount)]


def test_a_sum_spent_is_not_the_sum_promised():
    text = "我 老婆 刚 住院 花了 两万 我 实在 周转 不开 我 申请 延期 到 月底 到时候 还 六千"
    assert [s[2] for s in found(text, side="me")] == [Decimal(6000)]
