"""The conduct lexicons in Chinese and English (issue 21): what a collector says is found under
its category and quoted with its sentence, by words and their relations rather than exact
strings: polite and plain forms, passive and subjectless sentences, the noun before the verb;
negations (不/别/请勿/不建议, not/never) and lawful options are not findings, and neither are the
same words in a harmless sentence."""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest

from logger.conduct.checks import CHECKS, Passage
from logger.conduct.language.tokens import english
from logger.conduct.lexicon import (CATEGORY_WORDS, LexiconError, categories, find_matches,
                                    lexicons, parse_lexicon, split_sentences)
from logger.conduct.ruleset import get_rule_set

ALL = frozenset(CATEGORY_WORDS)


def categories_in(text: str) -> set[str]:
    return {m.category for m in find_matches(text, ALL)}


def test_every_pattern_example_matches_its_own_category():
    checked = 0
    for lexicon in lexicons():
        for pattern in lexicon.patterns:
            assert pattern.category in categories_in(pattern.example), \
                f"{lexicon.language}: {pattern.text!r} misses {pattern.example!r}"
            checked += 1
    assert checked > 150
    assert {lexicon.language for lexicon in lexicons()} == {"zh", "en"}


def test_every_category_has_patterns_in_both_languages_and_a_translatable_name():
    assert categories() == set(CATEGORY_WORDS)
    for lexicon in lexicons():
        assert {p.category for p in lexicon.patterns} == set(CATEGORY_WORDS), lexicon.language
        assert "1692" in lexicon.source or "指引" in lexicon.source
    assert {"arrest", "visit", "tell_others", "third_party_contact"} <= set(CATEGORY_WORDS)


def test_every_word_class_is_used_by_a_pattern_or_a_suggestion():
    for lexicon in lexicons():
        used = {name.lstrip("=") for p in lexicon.patterns
                for names in (*p.alternatives, p.need, p.unless, p.unless_sentence)
                for name in names}
        used |= {name for names in lexicon.suggest.values() for name in names}
        used |= set(lexicon.suggest_unless)
        used |= {part.strip()[1:] for name in lexicon.classes if name.startswith("=")
                 for part in name[1:].split("|") if part.strip().startswith("@")}
        named = {name for name in lexicon.classes if not name.startswith("=")}
        assert named <= used, (lexicon.language, sorted(named - used))


# --- issue 21: what the old patterns missed ---------------------------------------------------

@pytest.mark.parametrize("sentence, category", [
    # 坐牢 need not follow 要/会/得/就 directly; criminal liability, detention, the police
    ("你就等着坐牢吧。", "arrest"),
    ("你就等着被抓吧。", "arrest"),
    ("您的行为已涉嫌恶意透支，我们将依法追究您的刑事责任。", "arrest"),
    ("再不还，明天就让派出所把你拘留。", "arrest"),
    ("警察明天就会上门找你。", "arrest"),
    ("明天就让法院来抓你。", "arrest"),
    # visits
    ("外访人员已经到你单位楼下了。", "visit"),
    ("明天就安排人上门。", "visit"),
    # the noun first; a collector's lawyer's letter and case notices are documents
    ("法院传票已经寄到你户籍地了。", "fake_legal"),
    ("律师函已经给你寄出去了，注意查收。", "fake_legal"),
    ("立案通知已经下来了，你自己看着办。", "fake_legal"),
    # 支队的, not only 大队/这边
    ("我们是市公安局经侦支队的。", "impersonation"),
    # blacklists, credit and children's futures
    ("不还就把你列入失信黑名单。", "false_consequence"),
    ("你的征信会被永久拉黑。", "false_consequence"),
    ("你孩子以后政审过不了。", "false_consequence"),
    # the polite form, no 你 at all
    ("我们将通知您的家人和紧急联系人。", "tell_others"),
    # veiled threats
    ("你走夜路注意安全。", "threat"),
    ("你家里人也别想好过。", "threat"),
    # English
    ("We'll post your name on Facebook so everyone in your town sees it.", "disclosure"),
    ("We're going to post your name, your photo and every cent you owe us on Facebook.",
     "disclosure"),
    ("We'll contact all your family members.", "tell_others"),
    ("We'll call your boss.", "tell_others"),
    ("You're going to jail.", "arrest"),
    ("We'll have the police come arrest you.", "arrest"),
])
def test_what_collectors_actually_say_is_found(sentence, category):
    assert category in categories_in(sentence)


def test_the_english_examples_fall_under_categories_the_us_rules_ask_for():
    asked = {c for rule in get_rule_set("us").rules for c in rule.params.get("categories", ())}
    for sentence in ("We'll contact all your family members.", "We'll call your boss.",
                     "You're going to jail.", "We'll have the police come arrest you."):
        assert categories_in(sentence) & asked, sentence


def test_a_third_party_is_found_and_quoted_with_the_sentence_that_names_the_debt():
    text = "您是张伟的同事吧？他欠我们五千块一直不还。"
    [match] = [m for m in find_matches(text, ALL) if m.category == "third_party_contact"]
    assert match.sentence == text and match.phrase == "您是张伟的同事"
    assert "third_party_contact" in categories_in("Is this John's mother? Your son owes us $900.")
    assert "third_party_contact" in categories_in("你儿子在我们平台欠了两万块。")
    # what a pattern needs may stand in the sentence before, too
    text = "你老婆不是有信用卡吗？ 让她刷一下。"
    [match] = find_matches(text, {"borrow"})
    assert match.sentence == text and match.phrase == "让她刷"
    # the debtor asked for by name, nothing said about a debt
    assert categories_in("请问您认识李娜吗？如果您能联系到她，请让她回电，谢谢。") == set()
    assert categories_in("Is this John's mother? Could you ask him to call Mark back?") == set()


# --- negation, lawful options ------------------------------------------------------------------

@pytest.mark.parametrize("sentence", [
    "我们不建议您通过借新还旧的方式还款。",
    "请勿借新还旧。",
    "别去借网贷还我们的钱，我们可以给您做分期。",
    "不要以贷养贷，这样只会越欠越多。",
    "禁止催收人员诱导客户借新还旧。",
    "我们不会联系你的家人，这个你放心。",
    "我们绝对不会上门，请您放心。",
    "欠网贷不会坐牢吧？",
    "您不用担心会被抓，欠钱不还不是刑事犯罪。",
    "坐牢是不可能的，这是民事纠纷。",
    "We will not contact your employer or your family about this account.",
    "We'll never call your boss.",
    "You won't be arrested for a credit card debt, that's a civil matter.",
    "Nobody is going to come to your house.",
    "Do not take out a payday loan to pay us.",
    "We don't recommend taking out a new loan to pay this balance.",
])
def test_a_negation_calls_the_match_off(sentence):
    assert categories_in(sentence) == set()


def test_a_negation_covers_its_own_clause_and_scope_only():
    assert categories_in("我们不会联系你的家人，但是明天会去你单位闹。") == {"threat", "visit"}
    assert categories_in("We won't call the police, but we'll call your boss.") == {"tell_others"}
    # 不还 is the debtor's failure, not a negation of what follows
    assert "arrest" in categories_in("你不还钱就等着坐牢。")
    assert "tell_others" in categories_in("你不还我们就通知你家人。")
    # "别以为 ... 不敢": a negation after it says the opposite
    assert "visit" in categories_in("别以为我们不敢上门。")
    # the words that hold a negation are the threat itself
    assert "threat" in categories_in("你家里人也别想好过。")
    assert "false_consequence" in categories_in("你孩子以后不能考公务员。")


@pytest.mark.parametrize("lawful, threat, category", [
    ("如协商不成，我们将依法向法院提起诉讼，这是我们的权利。", "明天就让法院来抓你。", "arrest"),
    ("如果您遇到冒充我们公司的诈骗电话，请及时报警。", "我们已经报警了，你等着吧。", "arrest"),
    ("法院判决后如果仍不履行，可能会被列为失信被执行人。", "不还就把你列入失信黑名单。",
     "false_consequence"),
    ("经您同意后，我们可以安排专员上门协助办理。", "明天就安排人上门。", "visit"),
    ("If a court enters a judgment, wages may be garnished as allowed by law.",
     "We'll garnish your wages next week.", "false_consequence"),
    ("You have the right to file a complaint with the CFPB.", "We're filing a criminal complaint "
     "with the police today.", "arrest"),
])
def test_a_lawful_option_is_kept_apart_from_a_threat(lawful, threat, category):
    assert categories_in(lawful) == set()
    assert category in categories_in(threat)


# --- the older examples, kept ------------------------------------------------------------------

@pytest.mark.parametrize("sentence, category", [
    ("喂，我是海淀区人民法院的，你在信用飞的欠款已经到我们这里了。", "impersonation"),
    ("这边是市公安局经侦大队，你涉嫌恶意透支，需要配合调查。", "impersonation"),
    ("你今天下午五点前不还清，我们就打电话给你所有通讯录，让你的同事都知道。", "disclosure"),
    ("你今天下午五点前不还清，我们就打电话给你所有通讯录，让你的同事都知道。", "tell_others"),
    ("再拖下去，我们的人明天就去你单位闹，看你还怎么上班。", "threat"),
    ("欠钱不还的老赖，你还有脸接电话？", "insult"),
    ("先交800块服务费，我这边才能给你申请停催。", "extra_fee"),
    ("你自己想办法，去别的平台借点钱先把这期还上。", "borrow"),
    ("法院的传票已经发出来了，你等着上门吧。", "fake_legal"),
    ("这会影响你儿子以后政审和考公务员。", "false_consequence"),
    ("Hi, this is Officer Reynolds, I'm calling about an unpaid account in your name.",
     "impersonation"),
    ("If we don't receive a payment today, you will be arrested at your workplace.", "arrest"),
    ("We know where you live, and we know where your kids go to school.", "threat"),
    ("Listen, you deadbeat, nobody forced you to take this loan.", "insult"),
    ("We'll contact your employer about this debt first thing tomorrow.", "tell_others"),
    ("There is a $35 convenience fee for card payments over the phone.", "extra_fee"),
    ("Just take out a payday loan and clear this today.", "borrow"),
])
def test_collector_sentences_are_found(sentence, category):
    assert category in categories_in(sentence)


@pytest.mark.parametrize("sentence", [
    "我是信用飞的催收专员，工号1024，今天打电话是提醒您还款。",
    "您也可以去法院起诉我们，这是您的权利。",
    "如果你收到法院的传票，可以先联系我们协商。",
    "我不是老赖，我只是现在失业了，暂时没钱。",
    "我们不收任何手续费，减免申请是免费的。",
    "路上小心点，到家了给我回个电话。",
    "我已经把还款截图发给你了。",
    "请您抓紧时间还款，以免产生更多罚息。",
    "您在我们平台的借款已逾期，请尽快处理。",
    "逾期记录会按规定报送人民银行征信系统。",
    "This is an attempt to collect a debt by a debt collector.",
    "I'm not a deadbeat, I lost my job in March.",
    "Should I call the police about these calls?",
    "There is no fee if you pay online through the portal.",
    "I took out the loan in 2019 to pay for my car.",
    "We may report late payments to the credit bureaus.",
])
def test_near_misses_are_not_found(sentence):
    assert categories_in(sentence) == set()


def test_one_character_words_are_found_only_as_words():
    # 抓 in 抓紧, 借 in 借款, 交 in 外交 are other words
    assert "arrest" in categories_in("让警察来抓你。")
    assert categories_in("请抓紧时间处理，公安提醒您谨防诈骗。") == set()
    assert "borrow" not in categories_in("您在别的平台的借款我们不清楚。")


def test_the_quote_is_the_sentence_and_a_sentence_counts_once_per_category():
    text = ("您好，这里是催收部。你就是个老赖，老赖就该挂到网上！下周再说吧。"
            "We know where you live. Have a nice day.")
    matches = find_matches(text, ALL)
    quoted = [(m.category, m.sentence) for m in matches]
    assert ("insult", "你就是个老赖，老赖就该挂到网上！") in quoted
    assert ("disclosure", "你就是个老赖，老赖就该挂到网上！") in quoted
    assert ("threat", "We know where you live.") in quoted
    assert len([q for q in quoted if q[0] == "insult"]) == 1
    assert [m.phrase for m in matches if m.category == "insult"] == ["老赖"]


def test_sentences_split_on_chinese_and_english_punctuation():
    assert split_sentences("第一句。第二句！Third one. Fourth?\n第五句") == [
        "第一句。", "第二句！", "Third one.", "Fourth?", "第五句"]


def test_english_words_are_spelled_out():
    assert [t.text for t in english("We'll, won't, can't; John's mom")] == [
        "we", "will", ",", "will", "not", ",", "can", "not", ";", "john", "'s", "mom"]


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


def test_matching_is_fast_enough_for_ten_thousand_items():
    texts = ["您好，您在我们平台的借款已逾期15天，请尽快还款，如有困难可以申请分期。",
             "我们将通知您的家人和紧急联系人，明天就安排人上门，你就等着坐牢吧。",
             "Hi, this is a reminder that your payment of $120 is past due. We'll call your boss.",
             "收到，我下周五发工资后还两千。"] * 50
    find_matches(texts[1], ALL)  # loads jieba once
    start = time.perf_counter()
    for text in texts:
        find_matches(text, ALL)
    per_text = (time.perf_counter() - start) / len(texts)
    assert per_text < 0.005, f"{per_text * 1000:.2f} ms per text"


HEAD = ('language = "zh"\nsource = "x"\n[negation]\ncues = ["不"]\nwindow = 4\n'
        '[words]\nyou = ["你"]\n')


@pytest.mark.parametrize("body, message", [
    ('[[pattern]]\ncategory = "gossip"\nmatch = ["@you"]\nexample = "x"\n', "unknown category"),
    ('[[pattern]]\ncategory = "threat"\nmatch = ["@them"]\nexample = "x"\n',
     "unknown word class"),
    ('[[pattern]]\ncategory = "threat"\nmatch = ["@you"]\n', "needs `category`"),
    ('[[pattern]]\ncategory = "threat"\nmatch = ["?@you"]\nexample = "x"\n',
     "a slot that is not optional"),
])
def test_a_broken_lexicon_entry_is_refused_by_name(body, message):
    with pytest.raises(LexiconError) as refused:
        parse_lexicon("lexicon_zh.toml", (HEAD + body).encode())
    assert message in str(refused.value) and "lexicon_zh.toml, pattern #1" in str(refused.value)


def test_a_lexicon_without_its_source_is_refused():
    with pytest.raises(LexiconError, match="source"):
        parse_lexicon("lexicon_zh.toml", HEAD.replace('source = "x"\n', "").encode())
