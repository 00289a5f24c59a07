"""logger.promises.text read in structure (issue 15): one test per kind of miss the issue lists,
each on phrasings written for this file (none is taken from the measurement corpus), and the
parts the reading is built from (words of paying, sums, days)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from logger.promises.text import Kind, Who, suggest_promises
from logger.promises.text.amounts import find_amounts, normalise_numbers
from logger.promises.text.clauses import Act, clauses
from logger.promises.text.dates import find_days
from logger.promises.text.tokens import paying_words
from tests.support.promise_text import AT, TODAY
from tests.support.promise_text import found as _found


def test_a_firm_promise_before_a_tag_question_is_a_promise():
    assert _found("我周四先转两千，你们这几天别打了好不好") == [
        (Who.me, Kind.payment, Decimal(2000), date(2024, 12, 5))]
    assert _found("I'll send $150 on Monday, is that all right?") == [
        (Who.me, Kind.payment, Decimal(150), date(2024, 12, 9))]
    # a question all the way through promises nothing
    assert _found("你周四能先转两千吗？") == []


@pytest.mark.parametrize("text", ["我周五把1500打过去", "周五我转给你们1500", "周五我凑1500给你",
                                  "我周五付1500", "周五前1500一定到账"])
def test_verbs_of_paying_other_than_huan(text):
    assert _found(text, side="me") == [(Who.me, Kind.payment, Decimal(1500), date(2024, 12, 6))]


def test_words_of_paying_are_read_as_words_not_characters():
    assert paying_words("我还是没钱", chinese=True) == []          # 还是: "still"
    assert paying_words("我会打电话给你", chinese=True) == []      # 打电话: a call
    assert paying_words("我转告他", chinese=True) == []            # 转告: pass on
    assert paying_words("我先付300", chinese=True) != []           # 先付: jieba's one word
    assert paying_words("I'll have it to you by Friday", chinese=False) != []


@pytest.mark.parametrize("text, amount, due", [
    ("下周二还，2,350块", 2350, date(2024, 12, 10)),       # the sum after a comma
    ("卡账3100，我这周六前还", 3100, date(2024, 12, 7)),   # before its verb, in a clause of its own
    ("我把上两期的5120在月底前补上", 5120, date(2024, 12, 31)),
    ("月底之前，六千八，我还", 6800, date(2024, 12, 31)),
])
def test_a_sum_and_a_day_attach_across_commas(text, amount, due):
    assert _found(text, side="me") == [(Who.me, Kind.payment, Decimal(amount), due)]


@pytest.mark.parametrize("said, day", [
    ("12.9号", date(2024, 12, 9)), ("1.6号", date(2025, 1, 6)), ("下个月初", date(2025, 1, 5)),
    ("月中", date(2024, 12, 15)), ("下个月中", date(2025, 1, 15)), ("这周六前", date(2024, 12, 7)),
    ("圣诞节前", date(2024, 12, 25)), ("元旦", date(2025, 1, 1)), ("12月下旬", date(2024, 12, 31)),
    ("by Christmas", date(2024, 12, 25)), ("mid-January", date(2025, 1, 15)),
    ("early next month", date(2025, 1, 5)), ("the end of the month", date(2024, 12, 31)),
    ("on 12/19", date(2024, 12, 19)), ("by next week", date(2024, 12, 15)),
])
def test_days_the_old_rules_did_not_read(said, day):
    text = normalise_numbers(said, "zh" if said[0] > "\u2e80" else "en")
    assert [d.day for d in find_days(text, TODAY)] == [day]


def test_a_date_with_its_year_already_gone_is_the_past():
    assert _found("借款人应于2024年11月20日前归还全部欠款") == []


@pytest.mark.parametrize("said, value", [
    ("壹万贰仟元整", 12000), ("人民币叁仟伍佰元", 3500), ("一万二", None), ("两千五百块", 2500),
    ("还1.5万", 15000), ("2,480元", 2480), ("$1.5k", 1500), ("3w", 30000),
])
def test_sums_in_their_many_spellings(said, value):
    found = find_amounts(normalise_numbers(said, "zh"))
    assert [a.value for a in found] == ([Decimal(value)] if value else [])


def test_an_agreement_in_writing_with_capital_numerals():
    assert _found("借款人承诺于2025年3月1日前向出借人归还借款人民币贰万元整。") == [
        (Who.me, Kind.payment, Decimal(20000), date(2025, 3, 1))]
    assert _found("出借人同意借款人延期至2025年2月28日归还。")[0][:2] == (Who.them, Kind.extension)


def test_a_promise_without_a_verb():
    assert _found("下周三之前，八千五，一分不少", side="me") == [
        (Who.me, Kind.payment, Decimal(8500), date(2024, 12, 11))]
    assert _found("行，说定了，周六前四千") == [(Who.unknown, Kind.payment, Decimal(4000),
                                          date(2024, 12, 7))]
    assert _found("周六。四千。", side="me") == [(Who.me, Kind.payment, Decimal(4000),
                                               date(2024, 12, 7))]


@pytest.mark.parametrize("text", [
    "Your installment of $120 was due on the 1st.",        # the past
    "Our records show you owe $6,450.",                    # a statement of the debt
    "你目前共欠我们一万三千二",
    "If I ever get my bonus I'd pay the whole $6,450.",    # a hypothetical
    "要是我中了奖，马上还你们两万",
    "万一下个月手头宽裕，可能先还三千",                     # hedged
    "你今天必须还五千",                                      # a demand
    "你再不还八千，我们就上门了",                            # a threat
    "我不可能月底前还一万",                                   # a refusal
    "我昨天已经转了两千",                                     # already paid
    "合同约定每月20号还款1500元",                            # the old contract's terms
    "能不能让我下个月再还？",                                 # a question
])
def test_what_is_not_a_promise(text):
    assert _found(text) == []


def test_clauses_say_what_they_do():
    acts = [c.acts for c in clauses("我欠你们八千，昨天还了一千，剩下的怎么办？", "zh", TODAY,
                                    asked=True)]
    assert Act.debt in acts[0] and Act.past in acts[1] and Act.question in acts[2]
    # owing, said while promising to pay it, is a promise
    assert _found("我欠你们的八千月底前还清") == [
        (Who.me, Kind.payment, Decimal(8000), date(2024, 12, 31))]


def test_reference_codes_are_not_sums_or_plans():
    assert _found("Re: 账户XYZ5521的分期申请") == []
    assert find_amounts("尾号6621的卡") == [] and find_amounts("case #4471") == []
    assert find_amounts("Ref: QK2291") == []


def test_several_promises_in_one_sentence():
    assert _found("I can do $200 today and another $200 on the 20th.") == [
        (Who.me, Kind.payment, Decimal(200), date(2024, 12, 3)),
        (Who.me, Kind.payment, Decimal(200), date(2024, 12, 20))]
    assert _found("我明天先还一千，下周四再还一千五") == [
        (Who.me, Kind.payment, Decimal(1000), date(2024, 12, 4)),
        (Who.me, Kind.payment, Decimal(1500), date(2024, 12, 12))]


def test_a_settlement_at_a_discount():
    found = suggest_promises("只要你这周内一次性结清，我们可以减到七千六", at=AT)
    assert [(s.who, s.kind, s.amount, s.due.date()) for s in found] == [
        (Who.them, Kind.settlement, Decimal(7600), date(2024, 12, 8))]
    assert _found("We'll settle the account for $2,100 if paid by the 18th.") == [
        (Who.them, Kind.settlement, Decimal(2100), date(2024, 12, 18))]
    # paying the whole debt at once is a payment, not a settlement
    assert _found("我下周一次性还清9000")[0][1] == Kind.payment


def test_an_extension_has_the_new_day():
    assert _found("我们可以给你宽限到下周三") == [(Who.them, Kind.extension, None,
                                               date(2024, 12, 11))]
    assert _found("宽限是不可能的") == []


def test_a_waiver_keeps_its_condition():
    [waiver] = suggest_promises("只要你20号前还六千，违约金给你全免", at=AT)
    assert (waiver.who, waiver.kind, waiver.amount) == (Who.them, Kind.waiver, Decimal(6000))
    assert waiver.condition == "只要你20号前还六千"


def test_two_offers_on_two_payments():
    found = suggest_promises("你周五前还两千，罚息免掉；月底前再还两千，违约金也给你免", at=AT)
    assert [(s.kind, s.amount, s.due.date()) for s in found] == [
        (Kind.waiver, Decimal(2000), date(2024, 12, 6)),
        (Kind.waiver, Decimal(2000), date(2024, 12, 31))]


def test_who_comes_from_the_side_when_known_else_from_the_wording():
    assert _found("下周五还三千", side="them")[0][0] == Who.them
    assert _found("下周五还三千")[0][0] == Who.unknown
    assert _found("我们这边下周五还三千", side="me")[0][0] == Who.me
    assert _found("By Friday you'll have $900 from me.")[0][0] == Who.me
