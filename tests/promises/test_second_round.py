"""The kinds of miss the blind dev2 corpus showed (stop 31), each on phrasings written for this
file (none is taken from a corpus): another person's promise reported, the old terms going on
past a comma, codes, tags, first instalments, days things run from, listed words, plans without
a word of paying, settling words, and days counted from today."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from logger.promises.text import Kind, Who, suggest_promises
from logger.promises.text.dates import find_days
from tests.support.promise_text import AT, TODAY
from tests.support.promise_text import found as _found


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


# --- what the blind dev4 corpus showed (calls, notifications, agreements, call notes)

def test_spaces_between_chinese_words_are_pauses():
    assert _found("喂 对 是我 我跟你说 这周五之前我先转你们两千 你们别再打了", side="me") == [
        (Who.me, Kind.payment, Decimal(2000), date(2024, 12, 6))]


@pytest.mark.parametrize("text", [
    "上周三晚上，我就转了八百，你们查一下。",
    "前年我跟你们签过一个分期，每个月还九百，后来就断了。",
    "在吗 想问一下 周五还一千的话 会不会影响征信",
    "能不能给我分个期，分6期，每期八百那种。",
    "你们说的分十期每期两千的方案我不接受。",
    "房东让我周五前交两个月房租，六千。",
    "Reminder: your payment of 320 is due tomorrow.",
    "【某平台】您的账单即将到期：12月9日应还¥1,500.00。",
    "这个月要还的：房贷3000 车贷1500",
])
def test_what_dev4_showed_gives_nothing(text):
    assert _found(text) == []


def test_the_hour_said_after_the_day_is_the_days():
    found = suggest_promises("明天下班前，下午六点之前，我把一千五转过去。", at=AT, side="me")
    assert [(s.amount, s.due.hour, s.due.day) for s in found] == [(Decimal(1500), 18, 4)]


def test_lines_that_name_their_speaker_are_read_as_theirs():
    found = suggest_promises("催收：那你什么时候能还？\n我：周四之前，一千二，一分不少。", at=AT)
    assert [(s.who, s.kind, s.amount, s.due.date()) for s in found] == [
        (Who.me, Kind.payment, Decimal(1200), date(2024, 12, 5))]


@pytest.mark.parametrize("text, first", [
    ("同意你分8期，每期一千，每月10号扣款，第一期是下个月10号", date(2025, 1, 10)),
    ("可以办分期，每期五百，你从下个月12号开始还，每个月12号", date(2025, 1, 12)),
    ("乙方自2025年2月起，于每月15日前向甲方偿还人民币贰仟元整，共计六期。", date(2025, 2, 15)),
])
def test_where_a_plan_starts(text, first):
    found = suggest_promises(text, at=AT)
    assert [(s.kind, s.due.date()) for s in found] == [(Kind.instalment_plan, first)]


def test_a_down_payment_is_the_first_instalment_not_the_regular_one():
    found = suggest_promises("Down payment of $400 this Friday, then $150 every Friday for 6 weeks.",
                             at=AT, side="me")
    assert [(s.kind, s.amount, s.due.date()) for s in found] == [
        (Kind.instalment_plan, Decimal(150), date(2024, 12, 6))]


def test_fees_left_waived_are_a_waiver_and_the_debtors_stop_is_a_request():
    assert _found("你周五前还三千，剩下的罚息全免", side="them") == [
        (Who.them, Kind.waiver, Decimal(3000), date(2024, 12, 6))]
    assert _found("ok I'll send 1k fri, stop calling my work", side="me") == [
        (Who.me, Kind.payment, Decimal(1000), date(2024, 12, 6))]


def test_two_payments_named_one_by_one_are_two_payments():
    assert _found("Two payments from me: $400 on December 10 and $400 on December 17.",
                  side="me") == [(Who.me, Kind.payment, Decimal(400), date(2024, 12, 10)),
                                 (Who.me, Kind.payment, Decimal(400), date(2024, 12, 17))]
