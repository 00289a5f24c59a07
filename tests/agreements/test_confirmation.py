"""The confirmation request (logger.promises.confirmation): in Chinese and English, only the
promises a person accepted and not yet in writing, dates as the reader writes them, a plan's
instalments with their dates, the account reference; the short variant and its SMS count
(logger.promises.sms); the `liuhen promises confirmation-request` command."""

from __future__ import annotations

import json
from datetime import date

import pytest

from logger.promises.confirmation import confirmation_request
from logger.promises.sms import sms_segments, sms_units
from logger.promises.suggestions import open_suggestions
from logger.promises.writing import link_written
from storage.models import Direction, EvidenceKind
from tests.support.agreements import (PLAN_WORDS, accept_first, agreement_with, call_with,
                                      stored)
from tests.support.common import make_negotiation_in

TODAY = date(2026, 11, 20)
OFFERED = "我们同意减免全部罚息。"   # found as a suggestion, never accepted


@pytest.fixture
def case(services, session, owner):
    """A negotiation with an account reference: a payment and a plan accepted from calls, and
    a waiver offered in a third call that nobody accepted."""
    negotiation = make_negotiation_in(session, owner, account_reference="6222 **** 1234")
    payment = accept_first(session, call_with(services, session, negotiation, owner), owner)
    plan = accept_first(session, call_with(services, session, negotiation, owner, PLAN_WORDS),
                        owner)
    offered = call_with(services, session, negotiation, owner, OFFERED)
    assert open_suggestions(session, offered.id), "the waiver must be on offer, not accepted"
    return negotiation, payment, plan


def test_the_chinese_request_lists_what_was_accepted_with_dates_and_instalments(session, case):
    negotiation, payment, plan = case
    drafted = confirmation_request(session, negotiation, language="zh", today=TODAY)
    assert drafted.text.splitlines() == [
        "请书面确认：",
        "关于我在信用飞的欠款（账户/合同编号：6222 **** 1234），双方约定如下：",
        "1. 我于2026年12月1日前还款人民币3,000.00元。",
        "2. 我分3期还款，共计人民币3,000.00元：",
        "   第1期：2026年12月1日前还款人民币1,000.00元",
        "   第2期：2027年1月1日前还款人民币1,000.00元",
        "   第3期：2027年2月1日前还款人民币1,000.00元",
        "请通过应用内消息、短信或邮件书面回复确认以上内容。谢谢。",
    ]
    assert drafted.promise_ids == [payment.id, plan.id]
    assert "罚息" not in drafted.text   # the waiver was only suggested


def test_the_english_request_says_the_same_with_iso_dates(session, case):
    negotiation, _, _ = case
    drafted = confirmation_request(session, negotiation, language="en", today=TODAY)
    assert drafted.text.splitlines() == [
        "Please confirm in writing:",
        "About my debt with 信用飞 (account reference 6222 **** 1234), we agreed:",
        "1. I will pay CNY 3,000.00 by 2026-12-01.",
        "2. I will pay in 3 instalments, CNY 3,000.00 in all:",
        "   instalment 1: CNY 1,000.00 by 2026-12-01",
        "   instalment 2: CNY 1,000.00 by 2027-01-01",
        "   instalment 3: CNY 1,000.00 by 2027-02-01",
        "Please reply in writing (in the app, by text message or by email) to confirm the "
        "above. Thank you.",
    ]
    assert "penalty" not in drafted.text


def test_the_short_variant_fits_one_sms_in_each_language(session, case):
    negotiation, _, _ = case
    zh = confirmation_request(session, negotiation, language="zh", today=TODAY)
    assert zh.short == ("请书面确认：我12月1日前还¥3000；分3期每期¥1000：12月1日、1月1日、2月1日。"
                        "账户6222 **** 1234。")
    assert len(zh.short) <= 70 and zh.segments == 1
    en = confirmation_request(session, negotiation, language="en", today=TODAY)
    assert en.short == ("Please confirm in writing: I pay ¥3000 by 12/1; 3 instalments of "
                        "¥1000: 12/1, 1/1, 2/1. Ref 6222 **** 1234.")
    assert sms_units(en.short) == (len(en.short), True) and en.segments == 1
    # The full Chinese text is longer than one message: it is several joined together.
    assert zh.text_segments == -(-len(zh.text) // 67) > 1


def test_a_date_a_year_away_keeps_its_year_in_the_short_variant(session, case):
    negotiation, _, _ = case
    later = confirmation_request(session, negotiation, language="zh", today=date(2025, 11, 1))
    assert "2026年12月1日前还¥3000" in later.short


def test_promises_in_writing_and_other_items_are_left_out(services, session, owner, case):
    negotiation, payment, plan = case
    reply = stored(services, session, negotiation, owner, "reply.txt", kind=EvidenceKind.chat,
                   direction=Direction.from_them)
    link_written(session, plan, reply, actor=owner)
    drafted = confirmation_request(session, negotiation, language="zh", today=TODAY)
    assert drafted.promise_ids == [payment.id] and "分3期" not in drafted.text
    only = confirmation_request(session, negotiation, language="zh", today=TODAY,
                                evidence_id=plan.source_evidence_id)
    assert only.promise_ids == [] and only.text == "" and only.segments == 0


def test_a_promise_accepted_from_an_agreement_needs_no_confirmation(services, session, owner):
    negotiation = make_negotiation_in(session, owner)
    accept_first(session, agreement_with(services, session, negotiation, owner), owner)
    assert confirmation_request(session, negotiation, language="zh",
                                today=TODAY).promise_ids == []


@pytest.mark.parametrize("text, segments", [
    ("", 0), ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2),                 # an extension character counts twice
    ("还" * 70, 1), ("还" * 71, 2), ("还" * 134, 2), ("还" * 135, 3),
    ("a" * 69 + "还", 1), ("😀" * 35, 1), ("😀" * 36, 2)])   # outside the BMP: two units
def test_sms_segments(text, segments):
    assert sms_segments(text) == segments


def test_the_command_line_drafts_the_request(cli, services_for):
    assert cli("init").exit_code == 0 and cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    with services_for() as services, services.session() as session:
        from logger.accounts import find_user
        from logger.negotiations import get_negotiation
        owner = find_user(session, "owner")
        call = call_with(services, session, get_negotiation(session, 1), owner)
        promise = accept_first(session, call, owner)
    zh = cli("promises", "confirmation-request", "1", "--lang", "zh")
    assert zh.exit_code == 0, zh.output
    assert zh.output.startswith("请书面确认：\n") and "1. 我于2026年12月1日前还款" in zh.output
    short = cli("promises", "confirmation-request", "1", "--lang", "en", "--short")
    assert "I pay ¥3000 by" in short.output and "1 SMS" in short.output
    data = json.loads(cli("promises", "confirmation-request", "1", "--json").stdout)
    assert data["promise_ids"] == [promise.id] and data["sms_segments"] == 1
    with services_for() as services, services.session() as session:
        agreement = agreement_with(services, session, get_negotiation(session, 1), owner,
                                   "只是一份书面确认。")
    linked = cli("promises", "link-writing", promise.id, agreement.id, "--json")
    assert json.loads(linked.stdout)["written_evidence_id"] == agreement.id
    assert "nothing to confirm" in cli("promises", "confirmation-request", "1").output
    refused = cli("promises", "link-writing", promise.id, call.id)
    assert refused.exit_code == 1 and "not a written item" in refused.output
    assert "not in writing" in cli("promises", "unlink-writing", promise.id).output
