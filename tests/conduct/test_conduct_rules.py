"""The conduct rules as shipped (logger/conduct/rules/*.toml) and their checks, on both sides of
every threshold: the hour, the daily and weekly call counts, local days and daylight-saving
time. The checks are pure functions, so contacts are built directly here; tests/test_conduct.py
goes through the database and the CLI."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from logger.conduct.checks import CHECKS, Contact
from logger.conduct.ruleset import (RuleSetError, default_rule_set, get_rule_set,
                                    parse_rule_set, rule_sets)
from storage.models import Channel, ThirdParty

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
_serial = iter(range(1, 10_000))


def contact(at: datetime, *, channel=Channel.call, from_them=True, answered=None,
            third_party=None, name=None) -> Contact:
    key = f"calllog:{next(_serial)}"
    return Contact(key=key, at=at.astimezone(UTC), channel=channel, from_them=from_them,
                   what=("来电", "call"), evidence_id=1, answered=answered,
                   third_party=third_party, third_party_name=name)


def run(rule_id: str, contacts: list[Contact], zone: ZoneInfo) -> list:
    rule = get_rule_set(rule_id.split(".")[0]).rule(rule_id)
    return CHECKS[rule.check](rule, contacts, [], zone)


# --- the rule files ---------------------------------------------------------------------------

def test_every_shipped_rule_set_loads_with_descriptions_sources_and_params():
    sets = rule_sets()
    assert {"cn", "us"} <= set(sets)
    for rule_set in sets.values():
        for rule in rule_set.rules:
            assert rule.id.startswith(f"{rule_set.id}.")
            assert rule.description["zh"] and rule.description["en"]
            assert rule.source_document and rule.source_article
            for source in rule.sources:
                assert all(source.document[lang] and source.article[lang]
                           for lang in ("zh", "en"))
            assert rule.check in CHECKS
    cn = sets["cn"]
    assert cn.rule("cn.unanswered_calls").params["limit"] == 6
    assert cn.rule("cn.quiet_hours").params["allowed_until"] == "22:00"
    us = sets["us"]
    assert us.rule("us.call_frequency").params == {"limit": 7, "days": 7}
    assert "Regulation F" in us.rule("us.inconvenient_hours").source_document


@pytest.mark.parametrize("zone, expected", [
    ("Asia/Shanghai", "cn"), ("America/New_York", "us"), ("America/Los_Angeles", "us"),
    ("Pacific/Honolulu", "us"), ("Europe/Berlin", "cn"),
])
def test_the_default_rule_set_follows_the_time_zone(zone, expected):
    assert default_rule_set(zone).id == expected


GOOD_RULE = """
id = "xx"
name.zh = "测试"
name.en = "Test"
timezones = []
[[rule]]
id = "xx.night"
check = "quiet_hours"
description.zh = "夜间"
description.en = "Night"
source.document.zh = "文件"
source.document.en = "Doc"
source.article.zh = "第一条"
source.article.en = "Art. 1"
source.verified = false
params.allowed_from = "08:00"
params.allowed_until = "22:00"
params.until_inclusive = false
params.channels = ["call"]
"""


def test_a_well_formed_file_parses():
    rule_set = parse_rule_set("xx.toml", GOOD_RULE.encode())
    assert rule_set.rule("xx.night").param_time("allowed_until").hour == 22


@pytest.mark.parametrize("change, message", [
    (('check = "quiet_hours"', 'check = "moon_phase"'), "unknown check “moon_phase”"),
    (('params.allowed_from = "08:00"', 'params.allowed_from = "8 am"'),
     "`params.allowed_from` must be a time"),
    (('params.channels = ["call"]', 'params.channels = ["pigeon"]'), "unknown or no entries"),
    (('params.until_inclusive = false', ''), "takes exactly these params"),
    (('source.article.en = "Art. 1"', 'source.article.en = "Art. 1"\nseverity = 3'),
     "unknown key(s) severity"),
    (('description.en = "Night"', ''), "`description` needs exactly zh and en"),
    (('id = "xx"', 'id = "yy"'), "must match the file name"),
])
def test_a_mistake_in_a_rule_file_is_refused_by_name(change, message):
    with pytest.raises(RuleSetError) as refused:
        parse_rule_set("xx.toml", GOOD_RULE.replace(*change).encode())
    assert message in str(refused.value)
    assert "xx.toml" in str(refused.value)


def test_a_lexicon_rule_must_name_known_categories():
    text = GOOD_RULE.replace('check = "quiet_hours"', 'check = "lexicon"').split("params.")[0]
    with pytest.raises(RuleSetError, match="unknown or no entries"):
        parse_rule_set("xx.toml", (text + 'params.categories = ["gossip"]\n').encode())


def test_an_unknown_rule_set_or_rule_is_an_error_listing_the_known_ones():
    with pytest.raises(RuleSetError, match="known: cn, us"):
        get_rule_set("fr")
    with pytest.raises(RuleSetError, match="cn.quiet_hours"):
        get_rule_set("cn").rule("cn.nonsense")


# --- China: 22:00-08:00 -----------------------------------------------------------------------

@pytest.mark.parametrize("hh, mm, ss, flagged", [
    (21, 59, 59, False), (22, 0, 0, True), (23, 30, 0, True), (0, 0, 0, True),
    (7, 59, 59, True), (8, 0, 0, False), (12, 0, 0, False),
])
def test_china_quiet_hours_edges(hh, mm, ss, flagged):
    at = datetime(2024, 12, 3, hh, mm, ss, tzinfo=SHANGHAI)
    found = run("cn.quiet_hours", [contact(at)], SHANGHAI)
    assert bool(found) is flagged
    if flagged:
        assert found[0].local_time == at.isoformat()
        assert "08:00–22:00" in found[0].reason["en"]


def test_china_quiet_hours_count_visits_and_texts_but_not_emails_or_own_contacts():
    night = datetime(2024, 12, 3, 23, 10, tzinfo=SHANGHAI)
    contacts = [contact(night, channel=Channel.visit), contact(night, channel=Channel.sms),
                contact(night, channel=Channel.email), contact(night, from_them=False)]
    found = run("cn.quiet_hours", contacts, SHANGHAI)
    assert [f.source for f in found] == [contacts[0].key, contacts[1].key]


def test_a_contact_of_unknown_direction_waits_for_a_direction_and_is_not_counted():
    # It used to be an active finding ("if it was you, dismiss this finding"), so an unknown
    # 22:30 call went into the complaint letter as the collector's.
    night = datetime(2024, 12, 3, 22, 30, tzinfo=SHANGHAI)
    unknown = contact(night, from_them=None)
    found = run("cn.quiet_hours", [unknown], SHANGHAI)
    assert len(found) == 1
    assert found[0].needs_direction and found[0].state == "needs_direction"
    assert "until you set its direction" in found[0].reason["en"]
    assert "请设定方向" in found[0].reason["zh"]
    # Once a person says it was them, the same finding (same id) counts.
    known = run("cn.quiet_hours", [replace(unknown, from_them=True)], SHANGHAI)
    assert known[0].id == found[0].id and known[0].state == "active"
    assert "direction" not in known[0].reason["en"]
    # Nor is it an attempt for the counting rules.
    assert run("cn.unanswered_calls",
               unanswered(night.replace(hour=8), 7)[:6]
               + [contact(night, from_them=None, answered=False)], SHANGHAI) == []


def test_the_hour_is_read_in_the_negotiation_zone_not_utc():
    # 14:30 UTC is 22:30 in Shanghai but 09:30 in New York.
    at = datetime(2024, 12, 3, 14, 30, tzinfo=UTC)
    assert run("cn.quiet_hours", [contact(at)], SHANGHAI)
    assert not run("cn.quiet_hours", [contact(at)], NEW_YORK)


# --- China: more than 6 unanswered calls a day --------------------------------------------------

def unanswered(day_start: datetime, count: int) -> list[Contact]:
    return [contact(day_start + timedelta(minutes=20 * i), answered=False) for i in range(count)]


def test_six_unanswered_calls_a_day_are_allowed_seven_are_not():
    morning = datetime(2024, 12, 3, 9, 0, tzinfo=SHANGHAI)
    assert run("cn.unanswered_calls", unanswered(morning, 6), SHANGHAI) == []
    calls = unanswered(morning, 7)
    found = run("cn.unanswered_calls", calls, SHANGHAI)
    assert len(found) == 1
    assert found[0].source == calls[6].key
    assert set(found[0].related) == {c.key for c in calls[:6]}
    assert "7 unanswered calls on 2024-12-03" in found[0].reason["en"]


def test_answered_calls_and_calls_to_third_parties_do_not_count_as_unanswered():
    morning = datetime(2024, 12, 3, 9, 0, tzinfo=SHANGHAI)
    calls = unanswered(morning, 6) + [
        contact(morning + timedelta(hours=5), answered=True),
        contact(morning + timedelta(hours=6), answered=False, third_party=ThirdParty.relative)]
    assert run("cn.unanswered_calls", calls, SHANGHAI) == []


def test_the_day_ends_at_local_midnight():
    # Four calls before midnight and three after: two days, neither over the limit. In UTC
    # all seven fall on 2024-12-03, which would make one day of seven.
    evening = datetime(2024, 12, 3, 23, 0, tzinfo=SHANGHAI)
    calls = [contact(evening + timedelta(minutes=14 * i), answered=False) for i in range(7)]
    assert {c.at.date() for c in calls} == {datetime(2024, 12, 3).date()}
    assert run("cn.unanswered_calls", calls, SHANGHAI) == []


def test_the_finding_for_a_day_keeps_its_id_when_more_calls_arrive():
    morning = datetime(2024, 12, 3, 9, 0, tzinfo=SHANGHAI)
    first = run("cn.unanswered_calls", unanswered(morning, 7), SHANGHAI)[0]
    later = run("cn.unanswered_calls", unanswered(morning, 9), SHANGHAI)[0]
    assert first.id == later.id


# --- United States: before 8:00 / after 21:00, with daylight-saving time ----------------------

@pytest.mark.parametrize("hh, mm, ss, flagged", [
    (7, 59, 59, True), (8, 0, 0, False), (20, 59, 59, False), (21, 0, 0, False),
    (21, 0, 1, True), (21, 30, 0, True),
])
def test_us_inconvenient_hours_edges(hh, mm, ss, flagged):
    at = datetime(2024, 7, 15, hh, mm, ss, tzinfo=NEW_YORK)
    assert bool(run("us.inconvenient_hours", [contact(at)], NEW_YORK)) is flagged


def test_us_hours_follow_daylight_saving_time_in_spring():
    # The same 12:30 UTC is 07:30 EST on 9 March 2024 and 08:30 EDT on 10 March (clocks went
    # forward at 2:00 that morning).
    before = datetime(2024, 3, 9, 12, 30, tzinfo=UTC)
    after = datetime(2024, 3, 10, 12, 30, tzinfo=UTC)
    found = run("us.inconvenient_hours", [contact(before), contact(after)], NEW_YORK)
    assert [f.at for f in found] == [before]
    assert found[0].local_time == "2024-03-09T07:30:00-05:00"


def test_us_hours_follow_daylight_saving_time_in_autumn():
    # 3 November 2024, clocks go back at 2:00: 12:59 UTC is 07:59 EST (flagged), while on
    # 2 November 12:30 UTC was 08:30 EDT (allowed).
    late_edt = datetime(2024, 11, 2, 12, 30, tzinfo=UTC)
    early_est = datetime(2024, 11, 3, 12, 59, tzinfo=UTC)
    on_time_est = datetime(2024, 11, 3, 13, 0, tzinfo=UTC)
    found = run("us.inconvenient_hours",
                [contact(late_edt), contact(early_est), contact(on_time_est)], NEW_YORK)
    assert [f.local_time for f in found] == ["2024-11-03T07:59:00-05:00"]


def test_us_hours_use_the_consumers_zone():
    at = datetime(2024, 7, 15, 2, 30, tzinfo=UTC)  # 22:30 in New York, 19:30 in Los Angeles
    assert run("us.inconvenient_hours", [contact(at)], NEW_YORK)
    assert not run("us.inconvenient_hours", [contact(at)], ZoneInfo("America/Los_Angeles"))


# --- United States: more than 7 call attempts within 7 days -----------------------------------

def daily_calls(first: datetime, count: int, zone: ZoneInfo) -> list[Contact]:
    # Adding days to an aware time keeps its wall-clock time, across clock changes too.
    return [contact(first.astimezone(zone) + timedelta(days=i), answered=i % 2 == 0)
            for i in range(count)]


def test_seven_attempts_in_seven_days_are_allowed_the_eighth_is_not():
    noon = datetime(2024, 7, 1, 12, 0, tzinfo=NEW_YORK)
    seven = [contact(noon + timedelta(hours=20 * i), answered=False) for i in range(7)]
    assert run("us.call_frequency", seven, NEW_YORK) == []
    eighth = contact(noon + timedelta(days=6, hours=2), answered=True)
    found = run("us.call_frequency", seven + [eighth], NEW_YORK)
    assert [f.source for f in found] == [eighth.key]
    assert "Call attempt 8 within the 7 days 2024-07-01 to 2024-07-07" in found[0].reason["en"]


def test_calls_eight_calendar_days_apart_are_not_in_one_window():
    # One call a day for eight days: no 7-day window holds more than 7.
    calls = daily_calls(datetime(2024, 7, 1, 10, 0, tzinfo=NEW_YORK), 8, NEW_YORK)
    assert run("us.call_frequency", calls, NEW_YORK) == []
    # A second call on the last day makes 8 within 2024-07-02..2024-07-08.
    extra = contact(datetime(2024, 7, 8, 18, 0, tzinfo=NEW_YORK))
    assert [f.source for f in run("us.call_frequency", calls + [extra], NEW_YORK)] == [extra.key]


def test_the_seven_days_are_the_consumers_calendar_days():
    # Eight calls from 1 July 19:30 to 7 July 21:30 New York time: 7 local days. In UTC the
    # first is 1 July 23:30 and the last 8 July 01:30: 8 days, no presumption.
    first = datetime(2024, 7, 1, 19, 30, tzinfo=NEW_YORK)
    last = datetime(2024, 7, 7, 21, 30, tzinfo=NEW_YORK)
    middle = [contact(datetime(2024, 7, d, 12, 0, tzinfo=NEW_YORK)) for d in range(2, 8)]
    calls = [contact(first), *middle, contact(last)]
    assert (last.astimezone(UTC).date() - first.astimezone(UTC).date()).days == 7
    assert len(run("us.call_frequency", calls, NEW_YORK)) == 1
    assert run("us.call_frequency", calls, ZoneInfo("UTC")) == []


def test_the_window_counts_days_across_the_spring_clock_change():
    # 4 March to 10 March 2024 in New York (the 10th has 23 hours): 8 calls in 7 local days.
    calls = [contact(datetime(2024, 3, d, 9, 0, tzinfo=NEW_YORK)) for d in range(4, 11)]
    calls.append(contact(datetime(2024, 3, 10, 23, 59, tzinfo=NEW_YORK)))
    found = run("us.call_frequency", calls, NEW_YORK)
    assert len(found) == 1 and found[0].local_time == "2024-03-10T23:59:00-04:00"


def test_calls_the_borrower_made_do_not_count_as_attempts():
    noon = datetime(2024, 7, 1, 12, 0, tzinfo=NEW_YORK)
    calls = [contact(noon + timedelta(hours=3 * i), from_them=i < 7) for i in range(10)]
    assert run("us.call_frequency", calls, NEW_YORK) == []


# --- third parties ---------------------------------------------------------------------------

def test_a_contact_with_a_third_party_is_a_finding_naming_who():
    at = datetime(2024, 12, 4, 10, 0, tzinfo=SHANGHAI)
    found = run("cn.third_party", [
        contact(at, third_party=ThirdParty.relative, name="我妈妈"),
        contact(at + timedelta(hours=1))], SHANGHAI)
    assert len(found) == 1
    assert "我妈妈" in found[0].reason["zh"] and "a relative" in found[0].reason["en"]
    assert run("us.third_party", [contact(at, third_party=ThirdParty.employer)], NEW_YORK)
