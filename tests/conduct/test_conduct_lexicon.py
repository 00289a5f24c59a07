"""The threat / insult / impersonation lexicons in Chinese and English: what a collector says is
found and quoted with its sentence; near-misses (the borrower's own words, negations, the same
word in a harmless sentence) are not."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from logger.conduct.checks import CHECKS, Passage
from logger.conduct.lexicon import (LexiconError, find_matches, lexicons, parse_lexicon,
                                    split_sentences)
from logger.conduct.ruleset import get_rule_set

ALL = frozenset({"threat", "insult", "impersonation", "fake_legal", "false_consequence",
                 "disclosure", "extra_fee", "borrow"})


def categories_in(text: str) -> set[str]:
    return {m.category for m in find_matches(text, ALL)}


def test_every_lexicon_example_matches_its_own_category():
    checked = 0
    for lexicon in lexicons():
        for phrase in lexicon.phrases:
            assert phrase.category in categories_in(phrase.example), \
                f"{lexicon.language}: {phrase.pattern.pattern!r} misses {phrase.example!r}"
            checked += 1
    assert checked > 40
    assert {lexicon.language for lexicon in lexicons()} == {"zh", "en"}


@pytest.mark.parametrize("sentence, category", [
    ("喂，我是海淀区人民法院的，你在信用飞的欠款已经到我们这里了。", "impersonation"),
    ("这边是市公安局经侦大队，你涉嫌恶意透支，需要配合调查。", "impersonation"),
    ("你今天下午五点前不还清，我们就打电话给你所有通讯录，让你的同事都知道。", "disclosure"),
    ("再拖下去，我们的人明天就去你单位闹，看你还怎么上班。", "threat"),
    ("欠钱不还的老赖，你还有脸接电话？", "insult"),
    ("先交800块服务费，我这边才能给你申请停催。", "extra_fee"),
    ("你自己想办法，去别的平台借点钱先把这期还上。", "borrow"),
    ("法院的传票已经发出来了，你等着上门吧。", "fake_legal"),
    ("这会影响你儿子以后政审和考公务员。", "false_consequence"),
    ("Hi, this is Officer Reynolds, I'm calling about an unpaid account in your name.",
     "impersonation"),
    ("If we don't receive a payment today, you will be arrested at your workplace.",
     "false_consequence"),
    ("We know where you live, and we know where your kids go to school.", "threat"),
    ("Listen, you deadbeat, nobody forced you to take this loan.", "insult"),
    ("We'll contact your employer about this debt first thing tomorrow.", "disclosure"),
    ("There is a $35 convenience fee for card payments over the phone.", "extra_fee"),
    ("Just take out a payday loan and clear this today.", "borrow"),
])
def test_collector_sentences_are_found(sentence, category):
    assert category in categories_in(sentence)


@pytest.mark.parametrize("sentence", [
    "我是信用飞的催收专员，工号1024，今天打电话是提醒您还款。",
    "您也可以去法院起诉我们，这是您的权利。",
    "如果你收到法院的传票，可以先联系我们协商。",
    "我们不会联系你的家人，这个你放心。",
    "我不是老赖，我只是现在失业了，暂时没钱。",
    "欠网贷不会坐牢吧？",
    "我们不收任何手续费，减免申请是免费的。",
    "路上小心点，到家了给我回个电话。",
    "我已经把还款截图发给你了。",
    "This is an attempt to collect a debt by a debt collector.",
    "We will not contact your employer or your family about this account.",
    "I'm not a deadbeat, I lost my job in March.",
    "You won't be arrested for a credit card debt, that's a civil matter.",
    "Should I call the police about these calls?",
    "There is no fee if you pay online through the portal.",
    "I took out the loan in 2019 to pay for my car.",
])
def test_near_misses_are_not_found(sentence):
    assert categories_in(sentence) == set()


def test_a_negation_only_covers_its_own_clause():
    text = "我们不会联系你的家人，但是明天会去你单位闹。"
    assert categories_in(text) == {"threat"}
    assert categories_in("We won't call the police, but we'll call your boss.") == {"disclosure"}


def test_the_quote_is_the_sentence_and_a_sentence_counts_once_per_category():
    text = ("您好，这里是催收部。你就是个老赖，老赖就该挂到网上！下周再说吧。"
            "We know where you live. Have a nice day.")
    matches = find_matches(text, ALL)
    quoted = [(m.category, m.sentence) for m in matches]
    assert ("insult", "你就是个老赖，老赖就该挂到网上！") in quoted
    assert ("disclosure", "你就是个老赖，老赖就该挂到网上！") in quoted
    assert ("threat", "We know where you live.") in quoted
    assert len([q for q in quoted if q[0] == "insult"]) == 1


def test_sentences_split_on_chinese_and_english_punctuation():
    assert split_sentences("第一句。第二句！Third one. Fourth?\n第五句") == [
        "第一句。", "第二句！", "Third one.", "Fourth?", "第五句"]


def test_a_lexicon_rule_quotes_the_sentence_with_its_second_in_the_recording():
    rule = get_rule_set("cn").rule("cn.impersonation")
    passage = Passage(evidence_id=7, source="transcript", index=3, start_s=83.4,
                      text="你好。我是朝阳区人民法院的，你的案子已经立案了。")
    found = CHECKS["lexicon"](rule, [], [passage], ZoneInfo("Asia/Shanghai"))
    assert len(found) == 1
    finding = found[0]
    assert finding.quote == "我是朝阳区人民法院的，你的案子已经立案了。"
    assert finding.offset_s == 83.4 and finding.evidence_id == 7
    assert "1:23" in finding.reason["en"] and "1:23" in finding.reason["zh"]
    # The same passage gives the same id next time.
    assert CHECKS["lexicon"](rule, [], [passage], ZoneInfo("Asia/Shanghai"))[0].id == finding.id


@pytest.mark.parametrize("body, message", [
    ('[[phrase]]\ncategory = "threat"\npattern = "(unclosed"\nexample = "x"\n',
     "not a valid regular expression"),
    ('[[phrase]]\ncategory = "gossip"\npattern = "x"\nexample = "x"\n', "unknown category"),
    ('[[phrase]]\ncategory = "threat"\npattern = "x"\n', "needs exactly"),
])
def test_a_broken_lexicon_entry_is_refused_by_name(body, message):
    head = 'language = "zh"\nnegations = ["不会"]\nnegation_window = 4\n'
    with pytest.raises(LexiconError) as refused:
        parse_lexicon("lexicon_zh.toml", (head + body).encode())
    assert message in str(refused.value) and "lexicon_zh.toml, phrase #1" in str(refused.value)
