"""The domain's way into the shared catalogues (logger.i18n): a message in a language chosen by
the caller, with its values, contexts and words translated inside it. That every message has its
Chinese is checked in tests/web/test_web_i18n.py, for the web and the domain alike."""

import pytest
from babel.messages.extract import extract_from_dir

from logger.i18n import (KEYWORDS, LANGUAGES, NC_, InEachLanguage, N_, Text, in_language,
                         merged_catalogues, translate)


def test_a_message_is_chinese_for_zh_and_as_written_for_en():
    assert translate("zh", "List of Evidence") == "证据目录"
    assert translate("en", "List of Evidence") == "List of Evidence"


def test_chinese_is_the_default_for_no_language_or_an_unknown_one():
    assert translate(None, "List of Evidence") == "证据目录"
    assert translate("fr", "List of Evidence") == "证据目录"


def test_values_fill_the_placeholders_of_each_language():
    assert translate("zh", "Page %(page)s of %(pages)s", page=2, pages=9) == "第 2 页，共 9 页"
    assert translate("en", "Page %(page)s of %(pages)s", page=2, pages=9) == "Page 2 of 9"
    # A format of its own in each language.
    assert translate("zh", "%(year)d-%(month)02d-%(day)02d", year=2024, month=3,
                     day=7) == "2024年3月7日"
    assert translate("en", "%(year)d-%(month)02d-%(day)02d", year=2024, month=3,
                     day=7) == "2024-03-07"


def test_a_message_without_values_is_not_formatted():
    assert translate("en", "100% sure") == "100% sure"


def test_a_message_nobody_translated_comes_out_as_written():
    assert translate("zh", "A sentence nobody translated, %(who)s", who="x") == \
        "A sentence nobody translated, x"
    assert translate("zh", "") == ""  # not the catalogue's header


def test_a_context_keeps_one_english_word_apart_from_another():
    assert translate("zh", NC_("bundle", "Email")) == "电子邮件"  # formal, for a court
    assert translate("zh", "Email") == "邮件"  # the web's
    assert translate("en", NC_("bundle", "Email")) == "Email"


def test_a_text_is_written_later_in_each_language_with_the_words_inside_it():
    reason = Text("%(channel)s (evidence #%(id)s)", channel=Text(N_("call")), id=3)
    assert reason.to("zh") == "电话（证据 #3）"
    assert reason.in_each_language() == {"zh": "电话（证据 #3）", "en": "call (evidence #3)"}


def test_a_value_written_in_each_language_gives_its_own():
    rule = {"zh": "夜间催收", "en": "calls at night"}
    text = Text("Shows a breach of the collection rules: %(rule)s", rule=rule)
    assert text.to("zh") == "证明催收方存在违规催收行为：夜间催收"
    assert text.to("en") == "Shows a breach of the collection rules: calls at night"
    assert in_language(rule, "en") == "calls at night"
    assert in_language(rule, None) == "夜间催收"
    assert in_language({"zh": "只有中文"}, "en") == ""


def test_a_table_in_each_language_is_made_when_asked_for():
    made = []

    def make(language):
        made.append(language)
        return translate(language, NC_("evidence list", "No."))

    table = InEachLanguage(make)
    assert made == []
    assert dict(table) == {"zh": "序号", "en": "No."}
    assert list(table) == list(LANGUAGES)
    with pytest.raises(KeyError):
        table["fr"]


def test_the_same_translation_in_two_catalogues_merges(tmp_path):
    source = tmp_path / "zh" / "LC_MESSAGES"
    source.mkdir(parents=True)
    for name in ("a", "b"):
        (source / f"{name}.po").write_text(
            'msgid ""\nmsgstr ""\n"Language: zh\\n"\n\nmsgid "Negotiations"\nmsgstr "协商"\n\n'
            f'msgctxt "{name}"\nmsgid "Email"\nmsgstr "邮件{name}"\n', encoding="utf-8")
    merged = merged_catalogues(tmp_path)["zh"]
    assert merged.get("Negotiations").string == "协商"
    assert merged.get("Email", "a").string == "邮件a"  # a context is a message of its own
    assert merged.get("Email", "b").string == "邮件b"


def test_extraction_finds_every_way_of_marking_a_message(tmp_path):
    (tmp_path / "marked.py").write_text(
        'WORDS = {"a": N_("a word"), "b": NC_("file name", "email")}\n'
        'translate(language, "Page %(page)s", page=1)\n'
        'translate(language, WORDS["a"])\n'
        'REASON = Text("in evidence #%(id)s", id=3)\n', encoding="utf-8")
    found = {(context, message) for _path, _line, message, _comments, context
             in extract_from_dir(tmp_path, [("**.py", "python")], keywords=KEYWORDS)}
    assert found == {(None, "a word"), ("file name", "email"), (None, "Page %(page)s"),
                     (None, "in evidence #%(id)s")}
