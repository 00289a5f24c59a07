"""A document stating one promise in two languages (a bilingual agreement) yields one suggestion,
holding the passages of both; two different promises, or one promise said twice in the same
language, stay apart."""

from __future__ import annotations

from decimal import Decimal

from logger.promises.suggestions import open_suggestions
from storage.models import TextSource
from tests.support.promises import add_text, local, make_item

AGREEMENT = ("还款协议\n"
             "甲方承诺于2024年12月20日前向乙方还款人民币3000元。\n"
             "Party A promises to repay RMB 3,000 to Party B by December 20, 2024.\n")


def test_one_promise_in_two_languages_is_one_suggestion(services, session, negotiation, owner):
    item = make_item(services, session, negotiation, owner, name="agreement.pdf")
    add_text(session, item, AGREEMENT, source=TextSource.pdf)
    [suggestion] = open_suggestions(session, item.id)
    assert (suggestion.amount, suggestion.currency, suggestion.due_at) == (
        Decimal("3000"), "CNY", local("2024-12-20 23:59"))
    assert suggestion.quote.splitlines() == [
        "甲方承诺于2024年12月20日前向乙方还款人民币3000元。",
        "Party A promises to repay RMB 3,000 to Party B by December 20, 2024."]
    # The same text read again (a correction) offers nothing new.
    add_text(session, item, AGREEMENT, source=TextSource.pdf)
    assert len(open_suggestions(session, item.id)) == 1


def test_two_promises_in_two_languages_stay_two(services, session, negotiation, owner):
    item = make_item(services, session, negotiation, owner, name="plan.pdf")
    add_text(session, item, "甲方承诺于2024年12月20日前向乙方还款人民币3000元。\n"
                            "Party A promises to repay RMB 2,000 to Party B by January 20, 2025.\n",
             source=TextSource.pdf)
    assert sorted(s.amount for s in open_suggestions(session, item.id)) == [
        Decimal("2000"), Decimal("3000")]


def test_the_same_words_twice_in_one_language_are_not_merged(services, session, negotiation,
                                                             owner):
    item = make_item(services, session, negotiation, owner, name="notes.txt")
    add_text(session, item, "甲方承诺于2024年12月20日前向乙方还款人民币3000元。\n"
                            "另：甲方承诺于2024年12月20日前向乙方还款3000元。\n",
             source=TextSource.text)
    assert len(open_suggestions(session, item.id)) == 2
