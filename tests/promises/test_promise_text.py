"""logger.promises.text: promise suggestions from text and segments, and `liuhen promises
suggest`. The phrasings and their expected suggestions are data, tests/data/promise_corpus.toml;
every case there is asserted here."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from logger.promises.text import Kind, Who, suggest_from_segments, suggest_promises
from tests.support.promise_corpus import actual_rows, expected_rows, load_cases

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 12, 3, 15, 30, tzinfo=SHANGHAI)   # a Tuesday
CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.text[:40] for c in CASES])
def test_corpus_case(case):
    found = suggest_promises(case.text, at=case.at, side=case.side)
    expected = expected_rows(case)
    assert actual_rows(found, expected) == expected


def test_the_corpus_covers_both_languages_both_parties_and_negatives():
    languages = {"zh" if any("\u4e00" <= ch <= "\u9fff" for ch in c.text) else "en"
                 for c in CASES}
    expected = [e for c in CASES for e in c.expect]
    assert len(CASES) >= 60 and sum(not c.expect for c in CASES) >= 10
    assert languages == {"zh", "en"}
    assert {e["who"] for e in expected} >= {"me", "them"}
    assert {e["kind"] for e in expected} == {k.value for k in Kind}


def _one(text, **kw):
    found = suggest_promises(text, at=kw.pop("at", AT), **kw)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("said, value, currency", [
    ("3000元", "3000", "CNY"), ("三千块", "3000", "CNY"), ("三千五", "3500", "CNY"),
    ("两千", "2000", "CNY"), ("1.5万", "15000", "CNY"), ("一万五", "15000", "CNY"),
    ("3,000", "3000", "CNY"), ("¥3000", "3000", "CNY"), ("￥３０００", "3000", "CNY"),
    ("3k", "3000", "CNY"), ("$250", "250", "USD"), ("250美元", "250", "USD"),
])
def test_amounts_in_chinese(said, value, currency):
    found = _one(f"我明天还{said}")
    assert (found.amount, found.currency) == (Decimal(value), currency)


@pytest.mark.parametrize("said, value, currency", [
    ("$250", "250", "USD"), ("RMB 3000", "3000", "CNY"), ("three thousand", "3000", "CNY"),
    ("250 dollars", "250", "USD"), ("3k", "3000", "CNY"), ("1,500.50 yuan", "1500.5", "CNY"),
])
def test_amounts_in_english(said, value, currency):
    found = _one(f"I will pay {said} tomorrow.")
    assert (found.amount, found.currency) == (Decimal(value), currency)


@pytest.mark.parametrize("said, due", [
    ("明天", "2024-12-04 23:59"), ("后天", "2024-12-05 23:59"), ("下周五", "2024-12-13 23:59"),
    ("这周五", "2024-12-06 23:59"), ("月底", "2024-12-31 23:59"),
    ("下个月15号", "2025-01-15 23:59"), ("十五号", "2024-12-15 23:59"),
    ("三号", "2024-12-03 23:59"), ("二号", "2025-01-02 23:59"),
    ("12月15日", "2024-12-15 23:59"), ("6月15日", "2025-06-15 23:59"),
    ("明天下午三点", "2024-12-04 15:00"), ("今晚八点半前", "2024-12-03 20:30"),
    ("下周一上午10点", "2024-12-09 10:00"),
])
def test_days_in_chinese(said, due):
    assert f"{_one(f'我{said}还3000').due:%Y-%m-%d %H:%M}" == due


@pytest.mark.parametrize("said, due", [
    ("by Friday", "2024-12-06 23:59"), ("on the 15th", "2024-12-15 23:59"),
    ("next Monday", "2024-12-09 23:59"), ("by the end of the month", "2024-12-31 23:59"),
    ("in two weeks", "2024-12-17 23:59"), ("by 5pm tomorrow", "2024-12-04 17:00"),
    ("on December 20", "2024-12-20 23:59"), ("on the 1st", "2025-01-01 23:59"),
    ("by 5pm", "2024-12-03 17:00"), ("by 9am", "2024-12-04 09:00"),
])
def test_days_in_english(said, due):
    assert f"{_one(f'I will pay 3000 {said}.').due:%Y-%m-%d %H:%M}" == due


def test_days_count_from_the_local_date_of_the_moment():
    # 17:30 UTC on the 3rd is 01:30 on the 4th in Shanghai, but still the 3rd in New York.
    at = datetime(2024, 12, 3, 17, 30, tzinfo=UTC)
    assert _one("我明天还3000", at=at).due == datetime(2024, 12, 5, 23, 59, tzinfo=SHANGHAI)
    new_york = ZoneInfo("America/New_York")
    assert _one("I'll pay 300 tomorrow", at=at, tz=new_york).due == datetime(
        2024, 12, 4, 23, 59, tzinfo=new_york)
    naive = datetime(2024, 12, 3, 23, 0)   # read in the zone given
    assert _one("我明天还3000", at=naive).due.date().isoformat() == "2024-12-04"


def test_an_instalment_plan_divides_a_total_and_the_last_instalment_takes_the_rounding():
    plan = _one("我1000分3期还，每月15号还")
    assert plan.kind == Kind.instalment_plan and plan.total == Decimal("1000")
    assert [p.amount for p in plan.instalments] == [Decimal("333.33"), Decimal("333.33"),
                                                    Decimal("333.34")]
    assert [p.due.date().isoformat() for p in plan.instalments] == [
        "2024-12-15", "2025-01-15", "2025-02-15"]


def test_a_weekly_plan_in_chinese():
    plan = _one("我每周五还500，分4次")
    assert [(p.due.date().isoformat(), p.amount) for p in plan.instalments] == [
        ("2024-12-06", 500), ("2024-12-13", 500), ("2024-12-20", 500), ("2024-12-27", 500)]


def test_a_plan_whose_days_are_not_said_has_no_made_up_dates():
    plan = _one("我可以分3期，每期1000")
    assert plan.due is None and [p.due for p in plan.instalments] == [None] * 3
    assert plan.total == Decimal("3000")


@pytest.mark.parametrize("text", [
    "前下周五三千五31号下周五 减免", "13月45日还3000", "明天25点还3000", "I'll pay 300 on the 0th",
    "pay 300 at 99:99pm", "分0期每月15号还1000", "我还999999999999元", "", "。。。", "$", "万一",
])
def test_odd_input_gives_suggestions_or_nothing_never_an_error(text):
    assert isinstance(suggest_promises(text, at=AT), list)


def test_an_impossible_day_is_no_day():
    found = _one("我2月30日还1000")
    assert (found.amount, found.due) == (Decimal(1000), None)
    assert _one("我31号还1000", at=datetime(2024, 11, 3, tzinfo=SHANGHAI)).due.date() == (
        datetime(2024, 12, 31).date())   # November has no 31st


def test_the_side_given_overrides_the_wording():
    assert _one("下周五还3000").who == Who.unknown
    assert _one("下周五还3000", side="me").who == Who.me
    assert _one("下周五还3000", side="them").who == Who.them
    assert _one("下周五还3000", side="left").who == Who.unknown   # not a side we know


def test_several_sentences_give_one_suggestion_each_with_its_own_quote():
    found = suggest_promises("你好。我下周五还3000。我们可以停止催收。谢谢！", at=AT)
    assert [(s.kind, s.quote) for s in found] == [
        (Kind.payment, "我下周五还3000。"), (Kind.stop_calls, "我们可以停止催收。")]


def test_segments_point_to_their_index_and_second_and_use_their_side():
    segments = [
        {"start": 0.0, "end": 3.2, "text": "您好，这里是某某催收公司。", "side": "them"},
        {"start": 3.2, "end": 9.8, "text": "好的，下周五还你三千。", "side": "me"},
        {"start": 9.8, "end": 15.0, "text": "你15号前还3000我们就给你减免罚息。", "side": "them"},
        {"start": 15.0, "end": 18.0, "text": "   "},
    ]
    found = suggest_from_segments(segments, at=AT)
    assert [(s.segment_index, s.start, s.who, s.kind) for s in found] == [
        (1, 3.2, Who.me, Kind.payment), (2, 9.8, Who.them, Kind.waiver)]
    assert found[1].condition == "你15号前还3000"
    assert found[0].to_dict()["segment_index"] == 1


def test_a_segment_is_said_at_its_own_time_or_seconds_into_the_recording():
    late = datetime(2024, 12, 3, 23, 59, 30, tzinfo=SHANGHAI)
    recording = [{"start": 60.0, "text": "我明天还3000"}]   # a minute in: the 4th
    assert suggest_from_segments(recording, at=late)[0].due.date().isoformat() == "2024-12-05"
    chat = [{"time": "2024-12-10T09:00:00Z", "side": "me", "text": "我明天还3000"},
            {"time": datetime(2024, 12, 20, 9, 0), "text": "我明天还2000"},
            {"time": "yesterday-ish", "text": "我明天还1000"}]   # unreadable: the item's time
    found = suggest_from_segments(chat, at=AT)
    assert [(s.due.date().isoformat(), s.start) for s in found] == [
        ("2024-12-11", None), ("2024-12-21", None), ("2024-12-04", None)]


def test_cli_suggest_prints_json(cli):
    result = cli("promises", "suggest", "--text", "分3期，每月15号还1000", "--at",
                 "2024-12-03T15:30", "--side", "me", "--json")
    assert result.exit_code == 0, result.output
    [plan] = json.loads(result.output)
    # Days said without a time are dates (the stand-in 23:59 is never printed).
    assert (plan["who"], plan["kind"], plan["amount"], plan["currency"], plan["due"]) == (
        "me", "instalment_plan", "1000", "CNY", "2024-12-15")
    assert plan["counted_from"] == {"anchor": "given", "at": "2024-12-03T15:30:00+08:00",
                                    "precision": "minute", "words": None,
                                    "unresolved": False}
    assert [(p["number"], p["due"][:10], p["amount"]) for p in plan["instalments"]] == [
        (1, "2024-12-15", "1000"), (2, "2025-01-15", "1000"), (3, "2025-02-15", "1000")]
    assert plan["quote"] == "分3期，每月15号还1000"


def test_cli_suggest_reads_a_local_time_in_the_configured_zone(cli):
    result = cli("promises", "suggest", "--text", "I'll pay $250 tomorrow", "--at",
                 "2024-12-03T23:30", "--json", env={"LIUHEN_LOCALE_TIMEZONE": "America/New_York"})
    found = json.loads(result.output)[0]
    assert found["due"] == "2024-12-04"
    assert found["counted_from"]["at"] == "2024-12-03T23:30:00-05:00"
    offset = cli("promises", "suggest", "--text", "I'll pay $250 tomorrow", "--at",
                 "2024-12-03T23:30+08:00", "--json")
    found = json.loads(offset.output)[0]
    assert found["due"] == "2024-12-04"
    assert found["counted_from"]["at"] == "2024-12-03T23:30:00+08:00"


def test_cli_suggest_prints_lines_for_people(cli):
    result = cli("promises", "suggest", "--text",
                 "你15号前还3000我们就给你减免罚息。上个月15号我还过了。", "--at", "2024-12-03T15:30")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "them     waiver           3000 CNY  due 2024-12-15  if “你15号前还3000”  "
        "“你15号前还3000我们就给你减免罚息。”"]
    nothing = cli("promises", "suggest", "--text", "我没钱", "--at", "2024-12-03T15:30")
    assert nothing.output.strip() == "no promise-like statements found"


def test_cli_suggest_refuses_empty_text_and_a_bad_moment(cli):
    empty = cli("promises", "suggest", "--text", "  ", "--at", "2024-12-03T15:30")
    assert empty.exit_code == 1 and "the text is empty" in empty.output
    bad = cli("promises", "suggest", "--text", "我明天还3000", "--at", "next tuesday")
    assert bad.exit_code == 2 and "2024-12-03T15:30" in bad.output
