"""The rules' legal sources and which rule reads each lexicon category: every category has
exactly one rule in each rule set, so a sentence gives one finding, under the rule that covers it
(a threat of arrest under the arrest rule); every rule names its document and provision in
Chinese and English and says whether the provision was checked against a published text; and
every finding carries them, to the findings page, the timeline's flags and the complaint
letter."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from logger.bundles.letter import draft_letter
from logger.bundles.letters.plan import plan_letter
from logger.conduct import checks
from logger.conduct.checks import CHECKS, Passage
from logger.conduct.lexicon import CATEGORY_WORDS, Match
from logger.conduct.report import conduct_report, configure_conduct, finding_dict
from logger.conduct.ruleset import RuleSetError, get_rule_set, parse_rule_set, rule_sets
from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from storage.models import Channel, Direction, EvidenceKind, ExtractedText, TextSource
from tests.support.web import new_browser, sign_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
COURT = "我是朝阳区人民法院的，你的案子已经立案了。"
GUIDELINE = "《金融机构个人消费类贷款催收工作指引（试行）》"
HAN = re.compile(r"[\u4e00-\u9fff]")


# --- Which rule reads each category -------------------------------------------------------------

@pytest.mark.parametrize("set_id", ["cn", "us"])
def test_every_category_is_read_by_exactly_one_rule_of_each_set(set_id):
    rule_set = get_rule_set(set_id)
    read = [category for rule in rule_set.rules for category in rule.categories]
    assert sorted(read) == sorted(CATEGORY_WORDS), "each category once, none missing"
    assert set(rule_set.category_rules()) == set(CATEGORY_WORDS)


@pytest.mark.parametrize("set_id, category, rule_id, provision", [
    ("us", "arrest", "us.arrest", "§1692e(4)"),
    ("us", "threat", "us.threats", "§1692d(1)"),
    ("us", "insult", "us.abusive_language", "§1692d(2)"),
    ("us", "disclosure", "us.public_shaming", "§1692d(3)"),
    ("us", "tell_others", "us.threat_to_tell", "§1692e(5)"),
    ("us", "impersonation", "us.false_representation", "§1692e(1), (3)"),
    ("us", "fake_legal", "us.fake_legal_process", "§1692e(2)(A), (9), (13)"),
    ("us", "false_consequence", "us.false_consequences", "§1692e(5), (8)"),
    ("us", "extra_fee", "us.unauthorized_fees", "§1692f(1)"),
    ("us", "third_party_contact", "us.third_party", "§1692c(b)"),
    ("us", "visit", "us.visit_threat", "§1692c(a)(1), (3)"),
    ("us", "borrow", "us.borrow_pressure", "§1692d"),
    ("cn", "arrest", "cn.false_consequences", "法律后果"),
    ("cn", "false_consequence", "cn.false_consequences", "虚构或夸大事实"),
    ("cn", "threat", "cn.threats", "恐吓、威胁、暴力"),
    ("cn", "insult", "cn.insults", "辱骂"),
    ("cn", "impersonation", "cn.impersonation", "冒用行政机关、司法机关"),
    ("cn", "fake_legal", "cn.fake_legal_documents", "寄送催收信函"),
    ("cn", "disclosure", "cn.public_disclosure", "张贴催收公告"),
    ("cn", "tell_others", "cn.public_disclosure", "散布他人隐私"),
    ("cn", "visit", "cn.visits", "进入住宅"),
    ("cn", "extra_fee", "cn.extra_fees", "额外费用"),
    ("cn", "borrow", "cn.borrow_to_repay", "新增借贷"),
    ("cn", "third_party_contact", "cn.third_party", "联系第三人"),
])
def test_each_category_belongs_to_the_rule_that_covers_it(set_id, category, rule_id, provision):
    rule = get_rule_set(set_id).category_rules()[category]
    assert rule.id == rule_id
    assert provision in rule.source.article["en" if set_id == "us" else "zh"]


def test_pushing_to_borrow_says_the_fdcpa_does_not_name_it():
    rule = get_rule_set("us").rule("us.borrow_pressure")
    assert "does not name it" in rule.description["en"]
    assert "没有明文禁止" in rule.description["zh"]


@pytest.mark.parametrize("set_id, zone, rule_id", [("us", NEW_YORK, "us.arrest"),
                                                   ("cn", SHANGHAI, "cn.false_consequences")])
def test_a_threat_of_arrest_is_one_finding_under_the_arrest_rule(monkeypatch, set_id, zone,
                                                                 rule_id):
    def arrest_only(text, wanted):
        return [Match("arrest", "jail", text)] if "arrest" in wanted else []
    monkeypatch.setattr(checks, "find_matches", arrest_only)
    passage = Passage(evidence_id=3, source="transcript", index=0, text="You're going to jail.")
    found = [f for rule in get_rule_set(set_id).rules
             for f in CHECKS[rule.check](rule, [], [passage], zone)]
    assert [f.rule_id for f in found] == [rule_id]
    assert found[0].legal_sources == get_rule_set(set_id).rule(rule_id).sources


RULE_FILE = """
id = "xx"
name.zh = "测试"
name.en = "Test"
timezones = []
[[rule]]
id = "xx.a"
check = "lexicon"
description.zh = "甲"
description.en = "A"
source.document.zh = "文件"
source.document.en = "Doc"
source.article.zh = "第一条"
source.article.en = "Art. 1"
source.verified = false
params.categories = ["threat"]
[[rule]]
id = "xx.b"
check = "lexicon"
description.zh = "乙"
description.en = "B"
source.document.zh = "文件"
source.document.en = "Doc"
source.article.zh = "第二条"
source.article.en = "Art. 2"
source.verified = true
source.url = "https://example.org/doc"
params.categories = ["insult"]
[[rule.also]]
document.zh = "另一文件"
document.en = "Other doc"
article.zh = "第三条"
article.en = "Art. 3"
verified = false
"""


def test_a_rule_file_with_sources_in_both_languages_parses():
    rule_set = parse_rule_set("xx.toml", RULE_FILE.encode())
    rule = rule_set.rule("xx.b")
    assert [s.article["en"] for s in rule.sources] == ["Art. 2", "Art. 3"]
    assert rule.source.verified and rule.source.url == "https://example.org/doc"
    assert rule.cite("zh") == "文件，第二条；另一文件，第三条"
    assert rule.cite("en") == "Doc, Art. 2; Other doc, Art. 3"
    assert rule.as_dict()["also"][0]["verified"] is False


@pytest.mark.parametrize("change, message", [
    (('params.categories = ["insult"]', 'params.categories = ["threat"]'),
     "“threat” is read by two rules, xx.a and xx.b"),
    (('source.article.en = "Art. 1"\n', ''), "`article` needs exactly zh and en"),
    (('source.verified = false\n', ''), "`verified` must be true or false"),
    (('source.url = "https://example.org/doc"\n', ''), "names the `url` it was checked at"),
    (('article.en = "Art. 3"\n', 'article.en = "Art. 3"\npage = 3\n'), "unknown key(s) page"),
])
def test_a_mistake_in_the_sources_or_the_categories_is_refused(change, message):
    with pytest.raises(RuleSetError) as refused:
        parse_rule_set("xx.toml", RULE_FILE.replace(*change).encode())
    assert message in str(refused.value)


def test_every_rule_cites_its_sources_in_both_languages():
    for rule_set in rule_sets().values():
        for rule in rule_set.rules:
            assert HAN.search(rule.cite("zh")), rule.id
            assert not HAN.search(rule.cite("en")), rule.id
            for source in rule.sources:
                assert source.url or not source.verified, rule.id


def test_no_article_number_of_the_chinese_guideline_is_claimed_verified():
    """Its published text was not found: its provisions are named by subject, unverified."""
    cited = [s for r in get_rule_set("cn").rules for s in r.sources
             if "个人消费类贷款催收工作指引" in s.document["zh"]]
    assert len(cited) == len(get_rule_set("cn").rules)
    for source in cited:
        assert not source.verified
        assert not re.search(r"第[一二三四五六七八九十百零〇\d]+条", source.article["zh"])
        assert not re.search(r"Article \d", source.article["en"])


# --- Findings carry them: the report, the letter, the page, the flags --------------------------

def court_call(services, session, negotiation, owner):
    """A collector's call at 14:00 Shanghai time in which they pose as a court."""
    item = ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(b"recording stand-in\n"), "call.txt"),
                  negotiation=negotiation, actor=owner, max_bytes=1 << 20, tz=SHANGHAI,
                  details=EvidenceDetails(kind=EvidenceKind.call, channel=Channel.call,
                                          direction=Direction.from_them,
                                          occurred_at=datetime(2024, 12, 3, 14, 0,
                                                               tzinfo=SHANGHAI)))
    session.add(ExtractedText(evidence_id=item.id, source=TextSource.transcript, text=COURT,
                              segments=[{"start": 5.0, "end": 9.0, "text": COURT}]))
    session.commit()
    return item


@pytest.fixture
def call(services, session, negotiation, owner):
    return court_call(services, session, negotiation, owner)


def conduct_section(session, negotiation, language: str) -> str:
    text = draft_letter(session, negotiation, language=language, tz=SHANGHAI, party="张三")
    heading = {"en": "Collection conduct that breaks the rules", "zh": "、违规催收行为"}
    return text.split(heading[language])[1].split("\n\n")[0]


def test_a_finding_carries_its_rules_sources(session, negotiation, call):
    [finding] = conduct_report(session, negotiation, default_zone=SHANGHAI).active()
    rule = get_rule_set("cn").rule("cn.impersonation")
    assert finding.rule_id == rule.id and finding.legal_sources == rule.sources
    shown = finding_dict(finding, SHANGHAI)["legal_sources"]
    assert shown[0]["document"]["zh"].startswith(GUIDELINE)
    assert shown[0]["article"]["en"].startswith("Forbidden collection acts")
    assert shown[0]["verified"] is False


def test_the_letter_writes_each_findings_source_in_its_language(session, negotiation, call):
    english = conduct_section(session, negotiation, "en")
    line = next(s for s in english.splitlines() if s.startswith("1. "))
    assert ("(rule: China Banking Association, Guideline on the Collection of Personal "
            "Consumer Loans") in line
    assert "acting in the name of administrative or judicial bodies)" in line
    # Not checked against the document's text: said on the page, never in the letter.
    assert "not yet checked" not in english and "*" not in english
    plan = plan_letter(session, negotiation, language="en", tz=SHANGHAI)
    assert any("administrative or judicial bodies" in s for s in plan.unchecked_sources)
    chinese = conduct_section(session, negotiation, "zh")
    line = next(s for s in chinese.splitlines() if s.startswith("1. "))
    assert f"（依据：{GUIDELINE}" in line and "冒用行政机关、司法机关等名义" in line
    assert "该条款尚未与文件的发布文本核对" not in chinese and "*" not in chinese


def test_a_us_letter_cites_the_fdcpa_section(session, negotiation, owner, call):
    configure_conduct(session, negotiation, actor=owner, default_zone=SHANGHAI, rule_set="us")
    english = conduct_section(session, negotiation, "en")
    line = next(s for s in english.splitlines() if s.startswith("1. "))
    assert ("(rule: Fair Debt Collection Practices Act (15 U.S.C. §1692 et seq.), §1692e(1), "
            "(3): false affiliation with the government; posing as an attorney)") in line
    assert "not yet checked" not in english  # every source cited here was read in the statute


def test_the_page_and_the_flags_show_the_sources(app, negotiation, call):
    browser = sign_in(new_browser(app, language="en"), "owner", "owner-password")
    page = browser.get(f"/negotiations/{negotiation.id}/findings").get_data(as_text=True)
    finding = re.search(r'<li class="finding"[^>]*data-rule="cn.impersonation".*?</li>', page,
                        re.S).group(0)
    assert 'data-testid="finding-source"' in finding
    assert "China Banking Association, Guideline on the Collection" in finding
    assert "(not checked against the published text)" in finding
    assert 'data-testid="rule-source"' in page
    flags = browser.get(f"/evidence/{call.id}").get_data(as_text=True)
    flag = re.search(r'<a class="badge badge-late"[^>]*data-testid="conduct-flag"[^>]*>', flags)
    assert flag and "China Banking Association" in flag.group(0)
    assert "acting in the name of administrative or judicial bodies" in flag.group(0)
    chinese = sign_in(new_browser(app, language="zh"), "owner", "owner-password")
    page = chinese.get(f"/negotiations/{negotiation.id}/findings").get_data(as_text=True)
    assert f"{GUIDELINE}（中国银行业协会，2026年1月30日发布），催收禁止行为" in page
    assert "催收禁止行为：冒用行政机关、司法机关等名义（未与发布文本核对）" in page
