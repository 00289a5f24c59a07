"""The kinds of miss the blind dev2 corpus showed (stop 31), each on phrasings written for this
file (none is taken from a corpus): another person's promise reported, the old terms going on
past a comma, codes, tags, first instalments, days things run from, listed words, plans without
a word of paying, settling words, and days counted from today."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from logger.promises.text import Kind, Who, suggest_promises
from logger.promises.text.dates import find_days

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 12, 3, 15, 30, tzinfo=SHANGHAI)   # a Tuesday
TODAY = AT.date()


def _found(text: str, **kw) -> list[tuple]:
    """(who, kind, amount, due date) of each suggestion."""
    return [(s.who, s.kind, s.amount, s.due.date() if s.due else None)
            for s in suggest_promises(text, at=kw.pop("at", AT), **kw)]


@pytest.mark.parametrize("text", ["我妈说她月底帮我还两千", "我哥跟我讲他下周五转你们三千",
                                  "My brother said he would send 500 on Friday.",
                                  "She told me she'll wire the 800 tomorrow."])
def test_another_persons_promise_reported_is_no_promise(text):
    assert _found(text, side="me") == []


def test_the_speakers_own_promise_beside_a_report_of_someone_else_still_counts():
    # 说 with no third person after it is the speaker's own word
    assert _found("我跟你说，我周五前还你两千", side="me") == [
        (Who.me, Kind.payment, Decimal(2000), date(2024, 12, 6))]


@pytest.mark.parametrize("text", ["合同约定每月20号还款，每期900元，共10期。",
                                  "按原协议，每月8号扣款，一期650，一共24期"])
def test_sums_and_periods_after_the_old_terms_are_more_terms(text):
    assert _found(text) == []


def test_a_commitment_after_the_old_terms_is_still_read():
    assert _found("合同约定每月20号还款900，我下周一先还一期900", side="me") == [
        (Who.me, Kind.payment, Decimal(900), date(2024, 12, 9))]


@pytest.mark.parametrize("text", ["您的动态码是482913，请勿泄露。", "还款校验码 603127，5分钟内有效"])
def test_a_one_time_code_is_no_sum(text):
    assert _found(text) == []


@pytest.mark.parametrize("tag", ["好吧？", "行吧？", "可以吧？"])
def test_a_proposal_closed_by_a_tag_is_a_promise(tag):
    assert _found(f"我周五前转你三千，{tag}", side="me") == [
        (Who.me, Kind.payment, Decimal(3000), date(2024, 12, 6))]


def test_the_day_said_as_the_first_instalments_starts_the_plan():
    found = suggest_promises("可以分10期，每月15号还800，首期下个月初", at=AT, side="them")
    assert [(s.kind, s.amount, s.due.date()) for s in found] == [
        (Kind.instalment_plan, Decimal(800), date(2025, 1, 5))]


def test_the_day_a_waiver_runs_from_is_no_due():
    found = suggest_promises("我这边给你申请了，从明天起停止计息，罚息也不收了", at=AT, side="them")
    assert [(s.kind, s.due) for s in found] == [(Kind.waiver, None)]


def test_words_listed_with_a_stop_mark_stay_one_clause():
    assert _found("平台承诺不再以电话、短信或微信方式联系您的家人") == [
        (Who.them, Kind.stop_calls, None, None)]


@pytest.mark.parametrize("text, amount, due", [
    ("We can offer 250 every month for 6 months, first payment on the 10th.", 250,
     date(2024, 12, 10)),
    ("Approved: 120 every Wednesday for 8 weeks, beginning tomorrow.", 120, date(2024, 12, 4)),
])
def test_a_plan_granted_without_a_word_of_paying(text, amount, due):
    assert _found(text, side="them") == [(Who.them, Kind.instalment_plan, Decimal(amount), due)]


@pytest.mark.parametrize("text", [
    "I can do a lump sum of 3,000 next Friday to close this out.",
    "我一次性给你们三千，以后两清，下周五给。",
])
def test_settling_words_make_the_debtors_sum_a_settlement(text):
    assert _found(text, side="me") == [
        (Who.me, Kind.settlement, Decimal(3000), date(2024, 12, 13))]


@pytest.mark.parametrize("text, day", [
    ("a 14-day grace period from today", date(2024, 12, 17)),
    ("3 days from today", date(2024, 12, 6)),
    ("on Friday next week", date(2024, 12, 13)),
    ("Friday of this week", date(2024, 12, 6)),
])
def test_days_counted_from_today_and_weekdays_of_a_named_week(text, day):
    assert [d.day for d in find_days(text, TODAY)] == [day]


@pytest.mark.parametrize("text", ["A discount isn't possible on this account.",
                                  "Stopping the calls is not an option right now."])
def test_an_offer_said_to_be_impossible_is_none(text):
    assert _found(text, side="them") == []


# --- the kinds of miss the blind dev3 corpus showed (half of it near-miss negatives)

@pytest.mark.parametrize("text", [
    "【某某银行】您尾号1234的账户于11月30日还款成功，金额800.00元。",
    "Payment received: $300 on 11/29. Thanks!",
    "我的卡号是 6217 0000 1234 5678，你核对一下",
    "Statement: new balance 1,204.50, minimum payment 35.00, due 18 December.",
    "Unless 900 is paid within 7 days, we will pass the file to our solicitors.",
    "还不上的话，下周就派人上门。",
    "您的停催申请未通过。",
    "Your extension request was declined.",
    "下周五还两千，不过我也不确定。",
    "等我找到工作，每月还你们一千五。",
    "Your sister told us she'd pay 600 by Friday.",
    "我爸说月底帮我还三千。",
])
def test_near_misses_with_sums_and_days_give_nothing(text):
    assert _found(text) == []


def test_a_sum_restated_in_figures_is_one_promise():
    assert _found("借款人承诺于2024年12月31日前归还人民币伍仟元整（¥5,000.00）。") == [
        (Who.me, Kind.payment, Decimal(5000), date(2024, 12, 31))]


@pytest.mark.parametrize("text, amount", [("你们要是能降到六千，我周五一次性付清", 6000),
                                          ("If you knock it down to 4k, I'll pay it Friday.", 4000)])
def test_paying_on_the_other_side_settling_for_less_is_a_settlement(text, amount):
    assert _found(text, side="me") == [(Who.me, Kind.settlement, Decimal(amount),
                                        date(2024, 12, 6))]


def test_an_extension_asked_as_a_bare_question_is_none_but_a_stated_one_is():
    assert _found("宽限到下周一……行吗？", side="me") == []
    assert _found("我申请延期到下周一，行吗？", side="me") == [
        (Who.me, Kind.extension, None, date(2024, 12, 9))]


def test_the_days_of_more_time_count_from_today():
    assert _found("那就再宽限你五天", side="them") == [
        (Who.them, Kind.extension, None, date(2024, 12, 8))]


def test_the_debtors_otherwise_is_a_reason_not_a_threat():
    assert _found("我周五还三千，不然我就真的没办法了", side="me") == [
        (Who.me, Kind.payment, Decimal(3000), date(2024, 12, 6))]


def test_a_stop_to_visits_on_a_payment():
    assert _found("只要这周还上两千，外访就先停掉", side="them") == [
        (Who.them, Kind.stop_calls, Decimal(2000), date(2024, 12, 8))]
