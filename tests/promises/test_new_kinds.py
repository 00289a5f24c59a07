"""Settlements and extensions (issue 15) are kinds of promise like the others: suggested,
accepted and stored with their kind, proposed as the other side's when the speaker is unknown,
and named in reminders, bundles and the web's forms in both languages."""

from __future__ import annotations

from decimal import Decimal

from logger.bundles.items import PROMISE_PURPOSES
from logger.bundles.letters.words import PROMISE_KINDS
from logger.i18n import translate
from logger.promises.suggestions import accept_suggestion, open_suggestions, suggested_terms
from logger.reminders.text import KIND_WORDS, what
from storage.models.promises import PromiseKind, PromiseParty
from tests.support.promises import add_text, make_item


def test_a_settlement_suggestion_becomes_a_settlement_promise(services, session, negotiation,
                                                              owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "只要你这周内一次性结清，我们可以减到七千六。")
    [suggestion] = open_suggestions(session, item.id)
    assert (suggestion.kind, suggestion.party, suggestion.amount) == (
        PromiseKind.settlement, "them", Decimal("7600"))
    promise = accept_suggestion(session, suggestion, actor=owner)
    assert (promise.kind, promise.party) == (PromiseKind.settlement, PromiseParty.them)
    assert what(promise, "zh") != what(promise, "en")   # translated


def test_an_extension_of_an_unknown_speaker_is_proposed_as_theirs(services, session,
                                                                   negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "延期到下个月10号，可以。")
    [suggestion] = open_suggestions(session, item.id)
    assert suggestion.kind == PromiseKind.extension
    assert suggested_terms(suggestion).party == PromiseParty.them


def test_every_kind_has_words_in_both_languages():
    for kind in PromiseKind:
        assert str(kind) in PROMISE_KINDS and str(kind) in PROMISE_PURPOSES
        if kind != PromiseKind.instalment_plan:   # a plan is named by its instalments
            assert kind in KIND_WORDS
            english = translate("en", KIND_WORDS[kind], amount="¥1")
            assert translate("zh", KIND_WORDS[kind], amount="¥1") != english
