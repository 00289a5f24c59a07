"""The promise pages (web/promises.py): the negotiation's promises and payments, suggestions
accepted or dismissed from an evidence page; another account gets 404; every page speaks
Chinese in zh. Notifications and the calendar feed: test_web_reminders.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import select

from logger.promises.payments import record_payment
from logger.promises.promises import PromiseTerms, add_promise
from logger.promises.suggestions import open_suggestions
from logger.reminders.scheduler import ReminderScheduler
from storage.models.promises import (Payment, PaymentMethod, Promise, PromiseKind, PromiseParty,
                                     PromiseStatus, PromiseSuggestion, SuggestionStatus)
from tests.support.common import make_negotiation_in
from tests.support.promises import ZONE, add_text, local, make_item, my_payment
from tests.support.promise_pages import browser, english, host_app, post  # noqa: F401
from tests.support.web import WebClock, new_browser, page_text, sign_in, visible_text

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
# Not words to translate: zone names, acronyms (CNY, SMTP), file names, addresses, and the
# name of a configuration section ([reminders]).
NOT_PROSE = re.compile(r"[A-Za-z_]+/[\w/+-]+|\b[A-Z]{2,5}\b|\S+\.\w{2,4}\b|https?://\S+"
                       r"|\[[a-z_]+\]")


def promises_of(session, negotiation) -> list[Promise]:
    session.expire_all()
    return list(session.exec(select(Promise).where(Promise.negotiation_id == negotiation.id)
                             .order_by(Promise.id)))


# --- The promises page --------------------------------------------------------------------------


def test_an_empty_page_says_what_to_do(client, negotiation):
    reply = client.get(f"/negotiations/{negotiation.id}/promises")
    assert reply.status_code == 200
    text = page_text(reply)
    assert "Nothing is due" in text and "No payment recorded yet" in text
    assert "Add a promise" in text and 'data-testid="promise-totals"' in reply.text


def test_adding_a_promise_by_hand(client, session, negotiation):
    reply = post(client, f"/negotiations/{negotiation.id}/promises", {
        "party": "me", "kind": "payment", "amount": "3,000", "due_date": "2030-12-13",
        "due_time": "", "conditions": "if they stop calling my mother"})
    assert reply.status_code == 302
    [promise] = promises_of(session, negotiation)
    assert (promise.amount, promise.due_at, promise.conditions) == \
        (Decimal("3000"), local("2030-12-13 23:59"), "if they stop calling my mother")
    page = client.get(f"/negotiations/{negotiation.id}/promises")
    assert f'data-testid="promise-{promise.id}"' in page.text
    assert "¥3,000.00" in page_text(page)


def test_a_bad_amount_is_shown_on_the_form_and_nothing_is_stored(client, session, negotiation):
    reply = post(client, f"/negotiations/{negotiation.id}/promises",
                 {"party": "me", "kind": "payment", "amount": "three", "due_date": "2030-13-45"})
    assert reply.status_code == 400
    assert 'data-testid="error-new-amount"' in reply.text
    assert 'data-testid="error-new-due_date"' in reply.text
    assert promises_of(session, negotiation) == []


def test_a_plan_by_hand_becomes_its_instalments(client, session, negotiation):
    reply = post(client, f"/negotiations/{negotiation.id}/promises/plan", {
        "party": "them", "count": "3", "each": "1000", "first_date": "2030-01-31",
        "every": "month"})
    assert reply.status_code == 302
    plan, *parts = promises_of(session, negotiation)
    assert plan.kind == PromiseKind.instalment_plan and plan.amount == Decimal("3000")
    assert [p.due_at for p in parts] == [local("2030-01-31 23:59"), local("2030-02-28 23:59"),
                                         local("2030-03-31 23:59")]
    page = client.get(f"/negotiations/{negotiation.id}/promises")
    assert f'data-testid="plan-{plan.id}"' in page.text and 'instalment-3' in page.text


def test_changing_cancelling_and_marking(client, session, negotiation, owner):
    mine = my_payment(session, negotiation, owner, "1000", "2030-12-13 23:59")
    waiver = add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE,
                         terms=PromiseTerms(PromiseParty.them, PromiseKind.waiver))
    url = f"/negotiations/{negotiation.id}/promises"
    assert post(client, f"{url}/change", {"promise_id": mine.id, "party": "me",
                                          "kind": "payment", "amount": "800",
                                          "due_date": "2030-12-13", "due_time": "23:59"}
                ).status_code == 302
    assert post(client, f"{url}/mark", {"promise_id": waiver.id, "status": "kept"}
                ).status_code == 302
    assert post(client, f"{url}/cancel", {"promise_id": mine.id}).status_code == 302
    session.expire_all()
    assert (session.get(Promise, mine.id).amount, session.get(Promise, mine.id).status) == \
        (Decimal("800"), PromiseStatus.cancelled)
    assert session.get(Promise, waiver.id).status == PromiseStatus.kept
    elsewhere = my_payment(session, make_negotiation_in(session, owner, creditor="借呗"), owner,
                           "5", "2030-01-01 12:00")
    assert post(client, f"{url}/cancel", {"promise_id": elsewhere.id}).status_code == 404


def test_a_payment_with_its_receipt_then_the_suggested_match_confirmed(
        services, client, session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "1000", "2030-12-13 23:59")
    receipt = make_item(services, session, negotiation, owner, name="转账截图.txt")
    reply = post(client, f"/negotiations/{negotiation.id}/payments", {
        "amount": "1000", "method": "alipay", "paid_date": "2030-12-10", "paid_time": "10:30",
        "reference": "2030121012345", "receipt_id": receipt.id})
    assert reply.status_code == 302
    [payment] = session.exec(select(Payment)).all()
    assert (payment.receipt_evidence_id, payment.promise_id) == (receipt.id, None)
    page = client.get(f"/negotiations/{negotiation.id}/promises")
    assert f'data-testid="confirm-match-{payment.id}"' in page.text
    assert post(client, f"/negotiations/{negotiation.id}/payments/match",
                {"payment_id": payment.id, "promise_id": promise.id}).status_code == 302
    session.expire_all()
    assert session.get(Payment, payment.id).promise_id == promise.id
    assert session.get(Promise, promise.id).status == PromiseStatus.kept
    totals = page_text(client.get(f"/negotiations/{negotiation.id}/promises"))
    assert "You paid CN¥1,000.00" in totals


def test_a_payment_without_a_date_is_dated_by_the_apps_clock(services, session, negotiation,
                                                            owner):
    """"No date: now" is the app's clock (the one tests move), not the machine's."""
    app = host_app(services)
    clock = WebClock(datetime(2030, 12, 10, 2, 0, tzinfo=UTC)).on(app)
    client = sign_in(app.test_client(), "owner", "owner-password")
    assert post(client, f"/negotiations/{negotiation.id}/payments",
                {"amount": "10", "method": "wechat"}).status_code == 302
    [payment] = session.exec(select(Payment)).all()
    assert payment.paid_at.astimezone(UTC) == clock.now


def test_a_receipt_of_another_negotiation_is_refused(services, client, session, negotiation,
                                                     owner):
    other = make_negotiation_in(session, owner, creditor="借呗")
    foreign = make_item(services, session, other, owner)
    reply = post(client, f"/negotiations/{negotiation.id}/payments",
                 {"amount": "10", "method": "wechat", "receipt_id": foreign.id})
    assert reply.status_code == 400 and "Choose a receipt from this negotiation" in reply.text
    assert session.exec(select(Payment)).all() == []


def test_a_partial_payment_shows_the_shortfall(client, session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "3000", "2030-12-13 23:59")
    record_payment(session, negotiation=negotiation, actor=owner, paid_at=local("2030-12-01 09:00"),
                   amount=Decimal("1000"), method=PaymentMethod.bank_transfer, promise=promise,
                   now=local("2030-12-01 09:00"))
    text = page_text(client.get(f"/negotiations/{negotiation.id}/promises"))
    assert "Paid CN¥1,000.00 · CN¥2,000.00 still missing" in text


def test_a_form_without_the_csrf_token_changes_nothing(client, session, negotiation):
    reply = client.post(f"/negotiations/{negotiation.id}/promises",
                        data={"party": "me", "kind": "payment", "amount": "5"})
    assert reply.status_code == 400 and promises_of(session, negotiation) == []


# --- Suggestions on the evidence page -----------------------------------------------------------


def test_suggestions_are_offered_with_their_quote_and_accepted_with_edits(
        services, browser, session, negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "", segments=[{"start": 12.0, "end": 15.0,
                                           "text": "我下周五还你3000"}])
    [suggestion] = open_suggestions(session, item.id)
    page = browser.get(f"/stand-in/evidence/{item.id}")
    assert f'data-testid="suggestion-{suggestion.id}"' in page.text
    assert "我下周五还你3000" in page_text(page) and 'href="?t=12.0"' in page.text
    reply = post(browser, f"/evidence/{item.id}/suggestions/accept", {
        "suggestion_id": suggestion.id, "party": "me", "kind": "payment", "amount": "2500",
        "due_date": "2024-12-13", "due_time": "18:00"})
    assert reply.status_code == 302 and reply.location.endswith(
        f"/evidence/{item.id}#promise-suggestions")
    [promise] = promises_of(session, negotiation)
    assert (promise.amount, promise.due_at, promise.source_start) == \
        (Decimal("2500"), local("2024-12-13 18:00"), 12.0)
    assert 'data-testid="promise-suggestions"' not in browser.get(
        f"/stand-in/evidence/{item.id}").text                     # nothing left to decide


def test_a_plan_suggestion_is_accepted_as_its_rows(services, browser, session, negotiation,
                                                   owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "我们可以给你分3期，每月15号还1000")
    [suggestion] = open_suggestions(session, item.id)
    page = browser.get(f"/stand-in/evidence/{item.id}")
    assert f'data-testid="s{suggestion.id}-inst-3-amount"' in page.text
    reply = post(browser, f"/evidence/{item.id}/suggestions/accept", {
        "suggestion_id": suggestion.id, "party": "them",
        "inst-1-date": "2024-12-15", "inst-1-amount": "1000",
        "inst-2-date": "2025-01-15", "inst-2-amount": "1200",
        "inst-3-date": "", "inst-3-amount": ""})
    assert reply.status_code == 302
    plan, *parts = promises_of(session, negotiation)
    assert plan.kind == PromiseKind.instalment_plan and plan.party == PromiseParty.them
    assert [(p.amount, p.due_at) for p in parts] == [
        (Decimal("1000"), local("2024-12-15 23:59")), (Decimal("1200"), local("2025-01-15 23:59"))]


def test_dismissing_a_suggestion(services, browser, session, negotiation, owner):
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "我下周五还你3000")
    [suggestion] = open_suggestions(session, item.id)
    assert post(browser, f"/evidence/{item.id}/suggestions/dismiss",
                {"suggestion_id": suggestion.id}).status_code == 302
    session.expire_all()
    assert session.get(PromiseSuggestion, suggestion.id).status == SuggestionStatus.dismissed
    assert promises_of(session, negotiation) == []


def test_a_suggestion_of_another_item_is_404(services, browser, session, negotiation, owner):
    first, second = (make_item(services, session, negotiation, owner) for _ in range(2))
    add_text(session, first, "我下周五还你3000")
    [suggestion] = open_suggestions(session, first.id)
    reply = post(browser, f"/evidence/{second.id}/suggestions/accept",
                 {"suggestion_id": suggestion.id, "party": "me", "kind": "payment"})
    assert reply.status_code == 404 and promises_of(session, negotiation) == []


# --- Isolation and language ---------------------------------------------------------------------


def test_another_account_gets_404_on_every_route_with_my_ids(services, other_client, session,
                                                             negotiation, owner):
    promise = my_payment(session, negotiation, owner, "1000", "2030-12-13 23:59")
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "我下周五还你3000")
    suggestion = open_suggestions(session, item.id)[0]
    n = negotiation.id
    assert other_client.get(f"/negotiations/{n}/promises").status_code == 404
    for url, data in ((f"/negotiations/{n}/promises", {"amount": "1"}),
                      (f"/negotiations/{n}/promises/plan", {}),
                      (f"/negotiations/{n}/promises/change", {"promise_id": promise.id}),
                      (f"/negotiations/{n}/promises/cancel", {"promise_id": promise.id}),
                      (f"/negotiations/{n}/promises/mark", {"promise_id": promise.id}),
                      (f"/negotiations/{n}/payments", {"amount": "1"}),
                      (f"/negotiations/{n}/payments/match", {"promise_id": promise.id}),
                      (f"/evidence/{item.id}/suggestions/accept",
                       {"suggestion_id": suggestion.id}),
                      (f"/evidence/{item.id}/suggestions/dismiss",
                       {"suggestion_id": suggestion.id})):
        assert post(other_client, url, data).status_code == 404, url
    session.expire_all()
    assert session.get(Promise, promise.id).status == PromiseStatus.pending
    assert session.get(PromiseSuggestion, suggestion.id).status == SuggestionStatus.open


def test_the_pages_speak_chinese_in_zh(services, session, negotiation, owner):
    owner.locale = "zh"
    session.add(owner)
    session.commit()
    promise = my_payment(session, negotiation, owner, "3000", "2024-12-13 23:59")
    record_payment(session, negotiation=negotiation, actor=owner, paid_at=local("2024-12-01 09:00"),
                   amount=Decimal("1000"), method=PaymentMethod.alipay, promise=promise,
                   now=local("2024-12-01 09:00"))
    add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE, terms=PromiseTerms(
        PromiseParty.them, PromiseKind.waiver, due_at=local("2024-12-20 23:59")))
    item = make_item(services, session, negotiation, owner)
    add_text(session, item, "我们可以给你分3期，每月15号还1000。我下周五还你3000。")
    ReminderScheduler(services).run(local("2024-12-21 09:00"))
    app = host_app(services)
    browser = sign_in(new_browser(app, language="zh"), "owner", "owner-password")
    pages = {"promises": browser.get(f"/negotiations/{negotiation.id}/promises"),
             "refused": post(browser, f"/negotiations/{negotiation.id}/promises",
                             {"amount": "x", "due_date": "y"}),
             "evidence": browser.get(f"/stand-in/evidence/{item.id}"),
             "notifications": browser.get("/notifications"),
             "settings": browser.get("/stand-in/settings"),
             "calendar": post(browser, "/settings/calendar")}
    for what, reply in pages.items():
        assert reply.status_code in (200, 201, 400), what
        texts = [NOT_PROSE.sub("", t.replace("owner", ""))
                 for t in visible_text(reply.get_data(as_text=True))]
        english = [t for t in texts if ENGLISH_WORD.search(t)]
        assert not english, (what, english)
    assert "未履行" in page_text(pages["notifications"]) or "未兑现" in page_text(
        pages["notifications"])
    url = re.search(r'value="(http[^"]+\.ics)"', pages["calendar"].text).group(1)
    calendar = app.test_client().get(url.split("localhost", 1)[1])
    assert "还款" in calendar.get_data(as_text=True)          # the feed speaks the account's
