"""Promises said far from their sums and days, and in words the rules had not met (stop 35:
misses on train_e and the training files). Said on a Tuesday, 2024-12-03. Phrasings written
for this file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from logger.promises.text import Kind, suggest_promises
from tests.support.promise_text import AT, found


def _sums_and_days(text: str, side: str = "me") -> list[tuple]:
    return [(s[2], s[3]) for s in found(text, side=side)]


@pytest.mark.parametrize("text, due", [
    ("I'll pay $400 next week.", date(2024, 12, 15)),
    ("ok i'll pay the $65 by sat", date(2024, 12, 7)),
    ("I'll pay $120 Friday week.", date(2024, 12, 13)),
    ("I'll pay $120 next week Friday.", date(2024, 12, 13)),
])
def test_english_days_said_in_other_words(text, due):
    assert [s[3] for s in found(text, side="me")] == [due]


def test_the_following_friday_is_the_one_after_the_next():
    assert _sums_and_days("I'll send $90 this Friday and another $90 the following Friday.") == [
        (Decimal(90), date(2024, 12, 6)), (Decimal(90), date(2024, 12, 13))]


def test_the_rest_after_and_is_a_second_payment():
    assert _sums_and_days("I can pay $200 tomorrow and the rest by the end of the month.") == [
        (Decimal(200), date(2024, 12, 4)), (None, date(2024, 12, 31))]


@pytest.mark.parametrize("text, amount, due", [
    ("I'll put in $350 by Friday.", 350, date(2024, 12, 6)),
    ("I'll catch up the $210 this week.", 210, date(2024, 12, 8)),
    ("I'll have the $640 paid by Monday.", 640, date(2024, 12, 9)),
    ("I'll pay the overdue amount, $180, by Friday.", 180, date(2024, 12, 6)),
])
def test_english_words_of_paying(text, amount, due):
    assert _sums_and_days(text) == [(Decimal(amount), due)]


def test_the_whole_balance_is_paying_in_full_without_a_sum():
    assert _sums_and_days("I'll get the whole balance to you by the 20th.") == [
        (None, date(2024, 12, 20))]


def test_a_sum_that_comes_in_is_a_stops_condition():
    assert [(s[1], s[2], s[3]) for s in found(
        "We'll pause the calls as long as the 300 comes in by Thursday.", side="them")] == [
        (Kind.stop_calls, Decimal(300), date(2024, 12, 5))]


def test_calling_it_settled_is_a_settlement():
    assert [(s[1], s[2]) for s in found("OK, $900 lump sum by Monday and we call it settled.",
                                        side="me")] == [(Kind.settlement, Decimal(900))]


@pytest.mark.parametrize("text, amount", [
    ("我三个礼拜还一次，一次两千五，第一次下周一。", 2500),
    # a figure among Chinese words is no year (一次两千 reads 2000)
    ("我两个礼拜还一次，一次两千，第一次下周三。", 2000),
    ("剩下的我每个月还一千二", 1200),
])
def test_a_plans_sum_said_bare_or_after_the_rest(text, amount):
    assert [(s[1], s[2]) for s in found(text, side="me")] == [
        (Kind.instalment_plan, Decimal(amount))]


def test_one_instalment_is_a_payment():
    assert [(s[1], s[2]) for s in found("我下周一先还一期八百", side="me")] == [
        (Kind.payment, Decimal(800))]


@pytest.mark.parametrize("text, amount, due", [
    # paying it all off pays the one sum stated as owed
    ("我查了，欠的是2,640，下周五前我还清。", 2640, date(2024, 12, 13)),
    ("月底我把那四千填上", 4000, date(2024, 12, 31)),
    # what is left for later no longer voids the rest
    ("那笔钱我在想办法，下周三之前肯定转两千给你们。", 2000, date(2024, 12, 11)),
    ("我周五之前把上个月那期1200补上", 1200, date(2024, 12, 6)),
    ("下周末之前我把3k转过去", 3000, date(2024, 12, 15)),
    # a transcript: 把 and 保证 a pause before 交了 make it a promise
    ("我 跟 你 保证 周四 之前 把 两千 交 了", 2000, date(2024, 12, 5)),
    # pauses inside a number and its unit, or inside a day
    ("我 二十 号 之前 还 一千五", 1500, date(2024, 12, 20)),
    ("我 下 个 月 十 号 还 两千", 2000, date(2025, 1, 10)),
    ("我 下 周 三 还 八百", 800, date(2024, 12, 11)),
])
def test_chinese_sums_and_days_far_apart_or_cut_by_pauses(text, amount, due):
    assert _sums_and_days(text) == [(Decimal(amount), due)]


@pytest.mark.parametrize("text, side", [
    ("我们 不 会 减免 罚息 的", "them"),
    ("很抱歉，我们无法为您办理减免。", "them"),
    ("【某某贷】您的还款已成功，金额860.00元。", None),
    ("我以前每个月都按时还1,500的", "me"),
    ("我老婆说后天给你们转两千", "me"),
])
def test_refusals_receipts_the_past_and_others_words_promise_nothing(text, side):
    assert found(text, side=side) == []


def test_a_collectors_imperative_is_a_demand_not_their_payment():
    assert found("Just get the $450 in by tomorrow.", side="them") == []


@pytest.mark.parametrize("text, side, expected", [
    ("Your account qualifies for a one-time settlement of $650. Offer good until 12/20.", "them",
     [(Kind.settlement, Decimal(650), date(2024, 12, 20))]),
    ("我愿意一次性还款4000元结清此笔债务，请收到后出具结清证明。付款时间：12月18日", "me",
     [(Kind.settlement, Decimal(4000), date(2024, 12, 18))]),
    ("我申请延期到下个月底，公司工资还没发。下个月底之前我把这个月的一千八还了。", "me",
     [(Kind.extension, Decimal(1800), date(2025, 1, 31))]),
    ("延期还款申请书\n本人因病住院，特申请将还款日延期至2025年1月20日，届时归还欠款6,000元。", None,
     [(Kind.extension, Decimal(6000), date(2025, 1, 20))]),
])
def test_what_the_sentences_of_a_turn_say_together(text, side, expected):
    assert [(s[1], s[2], s[3]) for s in found(text, side=side)] == expected


@pytest.mark.parametrize("text, expected", [
    ("可以 给 你 延 五 天", [(Kind.extension, None, date(2024, 12, 8))]),
    # the length of a pause is no due, and a day alone is no condition
    ("元旦 两 天 我们 不 打 电话 了", [(Kind.stop_calls, None, None)]),
    ("一次性5,000结清，本周五前，结清后不再联系你家人", [
        (Kind.settlement, Decimal(5000), date(2024, 12, 6)),
        (Kind.stop_calls, Decimal(5000), date(2024, 12, 6))]),
    # "now" is no due beside the day the offer runs to
    ("你 这 笔 欠款 现在 一共 是 两万 我们 可以 一次性 结清 减 到 一万二 但是 必须 月底 之前",
     [(Kind.settlement, Decimal(12000), date(2024, 12, 31))]),
])
def test_the_creditors_offers(text, expected):
    assert [(s[1], s[2], s[3]) for s in found(text, side="them")] == expected
    assert all(s.condition is None for s in suggest_promises(text, at=AT, side="them")
               if s.kind == Kind.stop_calls)


@pytest.mark.parametrize("text, expected", [
    ("一万元，这周五我先还四千，下周五再还六千。",
     [(Decimal(4000), date(2024, 12, 6)), (Decimal(6000), date(2024, 12, 13))]),
    ("月底前我把欠的3万中的五千先还上", [(Decimal(5000), date(2024, 12, 31))]),
    ("12/20前我先还1000，其余的月底再补。", [(Decimal(1000), date(2024, 12, 20)),
                                  (None, date(2024, 12, 31))]),
    ("我 跟 你 说 实话 我 最近 真的 很 难 工资 都 发 不 出来 家里 老人 还 生病 住院 但是 这个 月"
     " 二十 号 我 先 给 你们 转 一千", [(Decimal(1000), date(2024, 12, 20))]),
])
def test_which_sum_is_paid(text, expected):
    assert _sums_and_days(text) == expected
