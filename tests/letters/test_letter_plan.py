"""The letter states only what the record confirms (issue 16): the four defects a new user met in
the Chinese draft, each first reproduced here, then what is uncertain is on the plan (for the
page) and never in a letter of any kind or language.

1. a note for the user addressed to the regulator ("（记录中没有方向：…请忽略此条。）"): fixed
   for the finding's own note by issue 13 (kept as a regression test); the draft still carried
   placeholders for the user ("请在此写明…", "如有，请在此补充", "check it before sending");
2. the debtor's own promise as 未履行 although a matching payment was recorded, not matched;
3. an unrelated email (its direction unknown) and an undated file among the contacts;
4. a plan without due dates as "未定期限 … 尚未到期".
"""

from __future__ import annotations

from datetime import date

import pytest

from logger.bundles.letter import draft, draft_letter
from logger.bundles.letters.plan import Section, plan_letter
from logger.bundles.letters.words import promise_kind, written_money, written_when
from logger.i18n import translate
from logger.promises.payments import match_payment, unmatched_payments
from logger.record.evidence import edit_evidence
from storage.models import Direction
from tests.support.bundles import PARTY, world  # noqa: F401  (world is a fixture)
from tests.support.letters import (KINDS, add_file, missed_promise_with_a_payment, notes_in, png,
                                   undated_plan, unknown_night_call, waiver_without_date)

TODAY = date(2024, 12, 20)


def letters(world, **kw):
    """Every kind of letter in both languages (a kind with one language gives it for both)."""
    return {(kind, language): draft_letter(world.session, world.negotiation, language=language,
                                           tz=world.tz, party=PARTY, today=TODAY, kind=kind,
                                           **kw)
            for kind in KINDS for language in ("zh", "en")}


def plan(world, language="zh"):
    return plan_letter(world.session, world.negotiation, language=language, tz=world.tz)


def test_no_letter_carries_a_note_meant_for_the_user(world, testdata):
    call = unknown_night_call(world, testdata)
    state = plan(world)
    assert [d for d in state.uncertain if d.key.startswith("finding:")], "the finding waits"
    assert ("evidence", call.id) in [d.settle for d in state.uncertain]
    for (kind, language), text in letters(world).items():
        assert notes_in(text) == [], (kind, language, notes_in(text))
        assert "23:20" not in text and "December 9" not in text, (kind, language)


def test_an_empty_letter_leaves_its_sections_out_instead_of_asking_the_user(
        services, session, owner, negotiation):
    text = draft_letter(session, negotiation, language="zh", tz=services.config.locale.zone,
                        party=PARTY, today=TODAY)
    assert notes_in(text) == []
    assert "联系经过" not in text and "违规催收" not in text and "承诺" not in text
    assert "投诉请求" in text


def test_an_own_promise_with_an_unmatched_payment_is_not_written_as_broken(world):
    promise = missed_promise_with_a_payment(world)
    key = f"promise:{promise.id}"
    zh = draft_letter(world.session, world.negotiation, language="zh", tz=world.tz,
                      party=PARTY, today=TODAY)
    assert "未履行" not in zh and "本人承诺还款" not in zh
    doubt = next(d for d in plan(world).uncertain if d.key == key)
    assert doubt.settle == ("payments", None)
    assert "人民币 1,000.00 元" in doubt.why and "2024年12月10日 11:00" in doubt.why
    # Once a person matches it, the record decides: kept, and the letter says so.
    [payment] = unmatched_payments(world.session, world.negotiation)
    match_payment(world.session, payment, promise, actor=world.owner)
    zh = draft_letter(world.session, world.negotiation, language="zh", tz=world.tz,
                      party=PARTY, today=TODAY)
    assert "2024年12月10日 12:00 本人承诺还款 人民币 1,000.00 元——已履行" in zh
    assert key not in [d.key for d in plan(world).uncertain]


def test_a_missed_promise_nothing_was_paid_for_stays_a_fact(world):
    promise = missed_promise_with_a_payment(world)
    [payment] = unmatched_payments(world.session, world.negotiation)
    world.session.delete(payment)
    world.session.commit()
    facts = plan(world).picked(Section.promise)
    assert [(f.key, f.detail["state"]) for f in facts] == [(f"promise:{promise.id}", "missed")]


def test_an_email_of_unknown_direction_and_an_undated_file_are_no_contacts(world):
    undated = add_file(world, png(), "screenshot.png")           # a chat, time unknown
    email = world.items["email"]                                   # direction unknown
    zh = draft_letter(world.session, world.negotiation, language="zh", tz=world.tz,
                      party=PARTY, today=TODAY)
    contacts = zh.split("联系经过")[1].split("\n\n")[0]
    assert "电子邮件" not in contacts and "聊天记录截图" not in contacts
    assert contacts.count("\n") == 3  # the two calls and the letter, of known direction
    doubts = {d.key: d for d in plan(world).uncertain}
    assert doubts[f"evidence:{undated.id}"].why == "记录中没有这次联系的时间。"
    assert doubts[f"evidence:{email.id}"].settle == ("evidence", email.id)
    # A person says who sent the email: it is a contact, and in the letter.
    edit_evidence(world.session, email, actor=world.owner,
                  changes={"direction": Direction.from_them})
    zh = draft_letter(world.session, world.negotiation, language="zh", tz=world.tz,
                      party=PARTY, today=TODAY)
    assert "2024年12月1日 09:00 电子邮件（对方发起" in zh


def test_a_plan_without_due_dates_is_uncertain_and_a_dateless_promise_has_no_state(world):
    plan_ = undated_plan(world)
    waiver = waiver_without_date(world)
    for (kind, language), text in letters(world).items():
        assert notes_in(text) == [], (kind, language)
        assert "尚未到期" not in text and "not yet due" not in text, (kind, language)
        assert "3,000.00" not in text and "1,500.00" not in text, (kind, language)
    doubts = {d.key: d for d in plan(world).uncertain}
    assert doubts[f"promise:{plan_.id}"].settle == ("promises", None)
    zh = letters(world)[("generic", "zh")]
    assert "1. 对方承诺减免罚息或费用\n" in zh  # confirmed, no date, no state
    assert f"promise:{waiver.id}" in plan(world).keys()


def test_the_user_picks_what_goes_in(world):
    state, drafted = draft(world.session, world.negotiation, language="zh", tz=world.tz,
                           party=PARTY, today=TODAY)
    [finding] = state.picked(Section.finding)
    assert "08:00–22:00" in drafted.text
    keys = [k for k in state.keys() if k != finding.key]
    for kind in KINDS:
        _state, fewer = draft(world.session, world.negotiation, language="zh", tz=world.tz,
                              party=PARTY, today=TODAY, kind=kind, picks=keys)
        assert "08:00–22:00" not in fewer.text, kind
    _state, none = draft(world.session, world.negotiation, language="zh", tz=world.tz,
                         party=PARTY, today=TODAY, picks=[])
    assert "13800138000" not in none.text and "投诉请求" in none.text


@pytest.mark.parametrize(("language", "expected"), [
    ("zh", ("2024年12月3日 22:30", "2024年12月3日", "人民币 2,000.00 元", "2,000.00 USD")),
    ("en", ("December 3, 2024, 22:30", "December 3, 2024", "CNY 2,000.00", "$2,000.00"))])
def test_dates_and_amounts_are_written_for_the_reader(world, language, expected):
    from decimal import Decimal
    moment = world.items["night_call"].occurred_at
    assert (written_when(moment, world.tz, "minute", language),
            written_when(moment, world.tz, "day", language),
            written_money(Decimal(2000), "CNY", language),
            written_money(Decimal(2000), "USD", language)) == expected
    assert written_when(moment, world.tz, "minute", "en", twelve_hour=True) == \
        "December 3, 2024, 10:30 p.m."


def test_a_promise_kind_the_letter_does_not_know_reads_as_something_else():
    assert translate("zh", promise_kind("a_kind_added_later")) == "其他约定"
    for kind in ("settlement", "extension"):  # issue 15's kinds
        assert translate("en", promise_kind(kind)) != "something else"


@pytest.mark.parametrize(("kind", "language", "expected"), [
    ("settlement", "en", "They promised to settle the debt for CNY 8,000.00"),
    ("settlement", "zh", "对方承诺以人民币 8,000.00 元一次性结清全部欠款"),
    ("waiver", "en", "They promised to waive interest or fees on a payment of CNY 8,000.00"),
    ("payment", "en", "They promised to pay CNY 8,000.00")])
def test_a_settlement_or_waiver_names_its_sum_in_the_words(kind, language, expected):
    from decimal import Decimal
    from types import SimpleNamespace

    from logger.bundles.letters.plan import _promise_text
    promise = SimpleNamespace(amount=Decimal(8000), currency="CNY", instalment=None, kind=kind,
                              party="them")
    assert _promise_text(promise, language) == expected


def test_the_cfpb_narrative_tells_each_contact_as_a_sentence(world):
    text = draft_letter(world.session, world.negotiation, language="en", tz=world.tz,
                        party=PARTY, today=TODAY, kind="cfpb")
    contacts = [line for line in text.splitlines()
                if line.startswith("On ") and "goes against the rule" not in line]
    assert contacts and not [line for line in contacts if ": Call recording (" in line], text
    assert "I called them." in text or " called me." in text, text
