"""`liuhen findings`, `findings dismiss`, `contact add|list|remove` and `conduct rules|set|report`
end to end in-process, with the JSON fields scripts and the bundle rely on."""

from __future__ import annotations

import json

import pytest

FINDING_KEYS = {"id", "rule_id", "check", "evidence_id", "source", "at", "local_time",
                "offset_s", "quote", "phrase", "reason", "related", "related_evidence_ids",
                "dismissed", "state", "suggested", "legal_sources"}
CALLS = """number,name,start,duration_seconds,type
95188,客服,2024-12-03 09:00:00,0,missed
95188,客服,2024-12-03 09:05:00,0,missed
95188,客服,2024-12-03 09:10:00,0,rejected
95188,客服,2024-12-03 09:15:00,0,missed
95188,客服,2024-12-03 09:20:00,0,missed
95188,客服,2024-12-03 09:25:00,0,missed
95188,客服,2024-12-03 22:40:00,0,missed
"""


@pytest.fixture
def world(cli, tmp_path):
    """A data dir with one negotiation and a call log of 7 unanswered calls, one at 22:40."""
    assert cli("init").exit_code == 0
    assert cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    export = tmp_path / "calls.csv"
    export.write_text(CALLS, encoding="utf-8")
    done = cli("calllog", "import", "--negotiation", "1", "--number", "95188", export)
    assert done.exit_code == 0, done.output


def findings(cli, *extra) -> list[dict]:
    result = cli("findings", "--negotiation", "1", "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["findings"]


def test_findings_json_names_rule_evidence_local_time_and_reason(cli, world):
    listed = findings(cli)
    assert {f["rule_id"] for f in listed} == {"cn.quiet_hours", "cn.unanswered_calls"}
    for finding in listed:
        assert set(finding) == FINDING_KEYS
        assert finding["evidence_id"] == 1 and finding["dismissed"] is None
        assert finding["state"] == "active"
        assert finding["local_time"] == "2024-12-03T22:40:00+08:00"
        assert finding["at"] == "2024-12-03T22:40:00+08:00"
        assert finding["reason"]["zh"] and finding["reason"]["en"]
    text = cli("findings", "--negotiation", "1").stdout
    assert "time zone Asia/Shanghai: 2 finding(s)" in text and "cn.quiet_hours" in text


def test_dismissing_a_finding_hides_it_and_all_shows_it_with_the_reason(cli, world):
    night = [f for f in findings(cli) if f["rule_id"] == "cn.quiet_hours"][0]
    done = cli("findings", "dismiss", night["id"][:6], "--negotiation", "1",
               "--reason", "我让他们晚上打的", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["dismissed"]["reason"] == "我让他们晚上打的"
    assert [f["rule_id"] for f in findings(cli)] == ["cn.unanswered_calls"]
    everything = {f["id"]: f for f in findings(cli, "--all")}
    assert everything[night["id"]]["dismissed"]["reason"] == "我让他们晚上打的"
    assert "1 dismissed (--all shows them)" in cli("findings", "--negotiation", "1").stdout
    again = cli("findings", "dismiss", night["id"], "--negotiation", "1", "--reason", "x")
    assert again.exit_code == 1 and "already dismissed" in again.stderr
    assert cli("verify").exit_code == 0


def test_findings_needs_a_negotiation(cli, world):
    result = cli("findings")
    assert result.exit_code == 2 and "--negotiation" in result.output


def test_contact_add_list_and_remove(cli, world):
    added = cli("contact", "add", "--negotiation", "1", "--at", "2024-12-05T10:30",
                "--channel", "call", "--what", "他们打电话给我单位领导", "--third-party",
                "employer", "--who", "王经理", "--json")
    assert added.exit_code == 0, added.output
    entry = json.loads(added.stdout)
    # Local in the negotiation's zone, with its offset (was UTC with Z).
    assert entry["occurred_at"] == "2024-12-05T10:30:00+08:00"
    assert entry["occurred_precision"] == "minute" and entry["third_party"] == "employer"
    third = [f for f in findings(cli) if f["rule_id"] == "cn.third_party"]
    assert [f["source"] for f in third] == [f"contact:{entry['id']}"]
    listed = cli("contact", "list", "--negotiation", "1").stdout
    assert "[employer: 王经理]" in listed
    bad = cli("contact", "add", "--negotiation", "1", "--at", "yesterday", "--channel", "call",
              "--what", "x")
    assert bad.exit_code == 2 and "not a date and time" in bad.output
    removed = cli("contact", "remove", str(entry["id"]), "--negotiation", "1",
                  "--reason", "录错了")
    assert removed.exit_code == 0, removed.output
    assert not [f for f in findings(cli) if f["rule_id"] == "cn.third_party"]


def test_conduct_set_rules_and_report(cli, world):
    rules = json.loads(cli("conduct", "rules", "--negotiation", "1", "--json").stdout)
    assert rules["rule_set"] == {"id": "cn", "name": rules["rule_set"]["name"], "chosen": False}
    assert all(r["enabled"] for r in rules["rules"])
    assert {"document", "article", "verified", "url"} == set(rules["rules"][0]["source"])
    assert set(rules["rules"][0]["source"]["document"]) == {"zh", "en"}
    changed = cli("conduct", "set", "--negotiation", "1", "--disable", "cn.quiet_hours",
                  "--json")
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout)["disabled_rules"] == ["cn.quiet_hours"]
    assert [f["rule_id"] for f in findings(cli)] == ["cn.unanswered_calls"]
    assert "[off] cn.quiet_hours" in cli("conduct", "rules", "--negotiation", "1").stdout
    unknown = cli("conduct", "set", "--negotiation", "1", "--disable", "cn.moon")
    assert unknown.exit_code == 1 and "has no rule “cn.moon”" in unknown.stderr
    us = cli("conduct", "set", "--negotiation", "1", "--rule-set", "us", "--timezone",
             "America/New_York", "--json")
    assert json.loads(us.stdout)["rule_set"] == "us"
    report = json.loads(cli("conduct", "report", "--negotiation", "1", "--json").stdout)
    assert report["timezone"] == {"name": "America/New_York", "from": "negotiation"}
    # 09:00-09:25 Shanghai is 20:00-20:25 New York, 22:40 Shanghai is 09:40 New York.
    assert [h["hour"] for h in report["per_hour"] if h["contacts"]] == [9, 20]
    assert [h["hour"] for h in report["per_hour"] if h["forbidden"]] == [0, 1, 2, 3, 4, 5, 6,
                                                                          7, 21, 22, 23]
    back = cli("conduct", "set", "--negotiation", "1", "--rule-set", "default", "--timezone",
               "default", "--json")
    assert json.loads(back.stdout)["rule_set"] == "cn"
