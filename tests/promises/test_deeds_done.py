"""A payment already made is no promise, however a transcript spaces it, and the day said
before it is its day, not the next promise's (stop 34: a call read as 今天 已经 还了 五百 明天 再
还 一千 suggested 1,000 due today). Phrasings written for this file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from logger.promises.text import Kind, Who, suggest_promises
from tests.support.promise_text import AT, TODAY, found

TOMORROW = date(2024, 12, 4)
NEXT_SUNDAY = date(2024, 12, 15)


@pytest.mark.parametrize("text", [
    "今天 已经 还了 五百 明天 再 还 一千",
    "就是 我 今天 已经 转了 五百 明天 再 转 一千",
    "我今天已经还了五百，明天再还一千",
])
def test_the_day_before_a_deed_done_is_the_deeds_day(text):
    assert [(s[2], s[3]) for s in found(text, side="me")] == [(Decimal(1000), TOMORROW)]


@pytest.mark.parametrize("text", [
    "我今天还了三百，下周再还五百",
    "我今天 还 了 三百 下周 再 还 五百",
    "我 今天 还了 三百 下周 再 还 五百",
])
def test_a_sum_paid_today_is_no_promise_due_today(text):
    assert found(text, side="me") == [(Who.me, Kind.payment, Decimal(500), NEXT_SUNDAY)]


@pytest.mark.parametrize("text", ["我还了三百了", "我 还 了 三百", "今天 转了 两千", "我刚 付了 钱"])
def test_a_deed_done_alone_promises_nothing(text):
    assert found(text, side="me") == []


@pytest.mark.parametrize("text, amount, due", [
    ("我明天把这三百还了", 300, TOMORROW),     # 把 … 了: what will be done
    ("我今天下班前把三百转了", 300, TODAY),
])
def test_what_will_be_done_with_le_is_still_a_promise(text, amount, due):
    assert found(text, side="me") == [(Who.me, Kind.payment, Decimal(amount), due)]


def test_the_model_reads_what_follows_a_deed_done_apart_from_it():
    # read whole, a transcript without punctuation resembles a receipt; its last stretch
    # names a day and a sum of its own
    assert found("嗯 我 上个月 已经 还了 两千 这个月 十五号 再 还 两千", side="me") == [
        (Who.me, Kind.payment, Decimal(2000), NEXT_SUNDAY)]


def test_a_question_is_not_read_apart_from_what_it_asks():
    assert found("我 申请 延期 的话 要 什么 材料") == []


@pytest.mark.parametrize("text", ["我11月15日还3000", "之前给您的结清方案只到11月30日，现在已经失效了",
                                  "截图给你看，11月28日打过去两千五"])
def test_a_month_and_day_just_gone_is_the_past_not_next_year(text):
    # said on Tuesday 3 December: next November is no due anybody promised
    assert found(text) == []


@pytest.mark.parametrize("text", [
    "那个一次性结清4000的优惠，已经过期了",                 # an offer run out
    "The settlement offer of $900 has expired.",
    "我们不同意延期，请按时还款。",                          # an offer refused
    "Sorry, we can't accept $700 as a settlement; the balance remains $3,100.",
    "昨天晚上九点转的，两千，截图在这",                      # a deed done, said with 的
    "本来是每个月还900的，后来就断了",                       # what was to be
])
def test_offers_run_out_or_refused_and_deeds_done_promise_nothing(text):
    assert found(text) == []


def test_an_offer_that_lapses_if_unpaid_is_still_an_offer():
    assert [s[:2] for s in found("您申请的罚息减免已通过，请于12月9日前还款2,000元，逾期减免失效。")] == [
        (Who.them, Kind.waiver)]


def test_the_day_an_offer_is_made_on_is_no_due():
    assert found("ok I'm going to waive that late fee for you today", side="them") == [
        (Who.them, Kind.waiver, None, None)]
    assert [s[3] for s in found("放心，这礼拜不会再打给你了", side="them")] == [None]


def test_end_of_day_on_a_weekday_is_that_day():
    assert found("Payment of $240 will go out end of day Thursday.", side="me") == [
        (Who.me, Kind.payment, Decimal(240), date(2024, 12, 5))]


@pytest.mark.parametrize("text, due", [
    ("我周二还你四千，哦不，周二我在外地，改周五，周五肯定还。", date(2024, 12, 6)),
    ("那个 十二月十号 不对 十二月十一号 十一号之前 我把两千转给你", date(2024, 12, 11)),
])
def test_a_day_corrected_is_the_day_said_after_the_correction(text, due):
    assert [s[3] for s in found(text, side="me")] == [due]


@pytest.mark.parametrize("text", ["元旦以后我再还两千", "我春节后还你五千"])
def test_a_day_things_start_after_is_no_due(text):
    assert [s[3] for s in found(text, side="me")] == [None]


def test_a_month_and_day_with_a_dot_just_gone_is_the_past():
    assert found("截图给你看，11.30号打过去两千五") == []


@pytest.mark.parametrize("text, amount", [
    ("两千 不对 一千五 一千五 我 周四 还", 1500),
    ("我周四之前转你1.2万 对 一万二 不是两千 是一万二", 12000),
])
def test_a_sum_corrected_is_the_sum_said_after_the_correction(text, amount):
    assert [s[2] for s in found(text, side="me")] == [Decimal(amount)]


def test_a_sum_said_again_without_its_day_is_the_same_promise():
    assert found("这个礼拜五之前我先给你们打三千五过去 三千五啊 你记一下", side="me") == [
        (Who.me, Kind.payment, Decimal(3500), date(2024, 12, 6))]


@pytest.mark.parametrize("text", [
    "I will transfer $1,250 to the account ending 4471 by Friday, December 6.",
    "I am asking for an extension until January 15, 2025, when I will pay the $1,250 in full.",
])
def test_an_account_number_or_a_year_is_no_sum(text):
    assert {s[2] for s in found(text, side="me")} == {Decimal(1250)}


def test_a_day_before_a_promise_is_that_promises_not_the_news_before_it():
    assert found("工资刚到账，今天就给你们还1500", side="me") == [
        (Who.me, Kind.payment, Decimal(1500), TODAY)]


def test_houer_is_the_day_after_tomorrow():
    assert [s[3] for s in found("中 俺后儿个给你转六百")] == [date(2024, 12, 5)]


@pytest.mark.parametrize("text", ["莫急嘛，我礼拜五把那两千块钱给你打过来，要得不？",
                                  "没问题 礼拜五之前 我把两千块钱 给你转过来嘛"])
def test_paying_toward_the_listener_is_paying(text):
    assert found(text, side="me") == [(Who.me, Kind.payment, Decimal(2000), date(2024, 12, 6))]


def test_a_receipts_fields_state_what_was_paid():
    receipt = "还款凭证\n还款金额：3,200.00元\n还款日期：2024年11月30日\n状态：还款成功"
    assert found(receipt) == []


def test_a_creditors_not_a_cent_less_is_a_demand():
    assert found("结清的话要还全款12,800，一分都不能少", side="them") == []


def test_a_weekday_and_its_date_are_one_day():
    [plan] = suggest_promises("We can offer a plan of $120 per week, with the first payment "
                              "due on Friday, December 13.", at=AT, side="them")
    assert plan.due.date() == date(2024, 12, 13)
