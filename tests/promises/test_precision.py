"""A date without a clock time stays a date (issue 13): a payment entered as 2024-12-12 is not
given the current clock time, a promise due on a date is due by the end of that local day, a
contact on a date counts for its day and never for an hour. Shown and exported as the date;
compared as dates when payments are matched to promises; reminders and the calendar keep the
end of the day."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import icalendar
import pytest

from logger.conduct.contact_entries import add_contact_entry, entry_dict
from logger.conduct.report import conduct_report
from logger.promises.due import date_only_due, deadline, due_text
from logger.promises.payments import (balances_of, payment_dict, record_payment, settle_due,
                                      suggest_match)
from logger.promises.promises import PromiseTerms, add_promise, promise_dict
from logger.record.moments import day_moment
from logger.reminders.calendar_feed import render_calendar
from logger.reminders.reminders import ReminderSettings, send_time
from logger.reminders.text import due_words
from storage.models import Channel
from storage.models.promises import PaymentMethod, PromiseKind, PromiseParty, PromiseStatus
from storage.models.types import TimePrecision
from tests.support.promises import ZONE, local, my_payment
from tests.support.web import csrf
from web.promises.forms import read_payment, read_terms

DAY = TimePrecision.day
NOW = local("2026-11-23 06:56")   # the clock the issue saw given to a date-only payment


def due_on(session, negotiation, owner, amount: str, day: str, party=PromiseParty.me):
    """A promise due on a date, no time said."""
    return add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE, terms=PromiseTerms(
        party, PromiseKind.payment, Decimal(amount),
        due_at=date_only_due(date.fromisoformat(day), ZONE), due_precision=DAY))


def paid_on(session, negotiation, owner, amount: str, day: str, **kw):
    """A payment known only by its date."""
    return record_payment(session, negotiation=negotiation, actor=owner,
                          paid_at=day_moment(date.fromisoformat(day), ZONE), paid_precision=DAY,
                          amount=Decimal(amount), method=PaymentMethod.alipay, **kw)


# --- Reading what a person typed --------------------------------------------------------------


def test_a_payment_typed_as_a_date_is_not_given_the_current_clock_time():
    values = read_payment({"amount": "1000", "method": "alipay", "paid_date": "2024-12-12"},
                          ZONE, NOW)
    assert values["paid_precision"] == DAY
    assert values["paid_at"].astimezone(ZONE).date() == date(2024, 12, 12)
    assert values["paid_at"].astimezone(ZONE).strftime("%H:%M") != "06:56"
    timed = read_payment({"amount": "1", "method": "alipay", "paid_date": "2024-12-12",
                          "paid_time": "10:30"}, ZONE, NOW)
    assert (timed["paid_at"], timed["paid_precision"]) == (local("2024-12-12 10:30"),
                                                           TimePrecision.minute)
    untyped = read_payment({"amount": "1", "method": "alipay"}, ZONE, NOW)
    assert (untyped["paid_at"], untyped["paid_precision"]) == (NOW, TimePrecision.minute)


def test_a_due_date_typed_without_a_time_is_a_date():
    terms = read_terms({"party": "me", "kind": "payment", "due_date": "2024-12-13"}, ZONE)
    assert terms.due_precision == DAY and terms.due_at.astimezone(ZONE).date() == date(2024, 12,
                                                                                        13)
    timed = read_terms({"party": "me", "kind": "payment", "due_date": "2024-12-13",
                        "due_time": "18:00"}, ZONE)
    assert (timed.due_at, timed.due_precision) == (local("2024-12-13 18:00"),
                                                   TimePrecision.minute)


def test_the_command_line_keeps_a_bare_date_a_date(cli):
    assert cli("init").exit_code == 0 and cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    added = json.loads(cli("promises", "add", "--negotiation", "1", "--amount", "3000",
                           "--due", "2024-12-13", "--json").stdout)
    assert (added["due_at"], added["due_precision"]) == ("2024-12-13", "day")
    paid = json.loads(cli("promises", "pay", "--negotiation", "1", "--amount", "3000", "--at",
                          "2024-12-12", "--method", "alipay", "--json").stdout)
    assert (paid["paid_at"], paid["paid_precision"]) == ("2024-12-12", "day")
    listed = cli("promises", "payments", "--negotiation", "1").stdout
    assert "2024-12-12 " in listed and ":" not in listed.split("2024-12-12")[1].split("3,000")[0]
    lines = cli("promises", "list", "--negotiation", "1").stdout
    assert "due 2024-12-13 " in lines and "23:59" not in lines
    contact = json.loads(cli("contact", "add", "--negotiation", "1", "--at", "2024-12-05",
                             "--channel", "visit", "--what", "两个人上门", "--json").stdout)
    assert (contact["occurred_at"], contact["occurred_precision"]) == ("2024-12-05", "day")


# --- Shown and exported as dates ----------------------------------------------------------------


def test_a_date_only_promise_and_payment_are_exported_as_their_dates(session, negotiation,
                                                                     owner):
    promise = due_on(session, negotiation, owner, "1000", "2024-12-13")
    payment = paid_on(session, negotiation, owner, "1000", "2024-12-12")
    assert promise_dict(promise)["due_at"] == "2024-12-13"
    assert promise_dict(promise)["due_precision"] == "day"
    assert due_text(promise) == "2024-12-13"
    assert payment_dict(payment, ZONE)["paid_at"] == "2024-12-12"
    timed = my_payment(session, negotiation, owner, "500", "2024-12-20 18:00")
    assert promise_dict(timed)["due_at"] == "2024-12-20T18:00:00+08:00"
    assert due_text(timed) == "2024-12-20 18:00"


def test_reminder_texts_and_the_calendar_show_the_date_alone(session, negotiation, owner):
    promise = due_on(session, negotiation, owner, "1000", "2024-12-13")
    assert due_words(promise, "en") == "2024-12-13"
    assert due_words(promise, "zh") == "2024年12月13日"
    feed = icalendar.Calendar.from_ical(render_calendar(session, owner, ReminderSettings()))
    [event] = [c for c in feed.walk("VEVENT")]
    assert event.decoded("dtstart") == date(2024, 12, 13)
    assert "23:59" not in str(event.get("description"))


# --- Compared as dates --------------------------------------------------------------------------


def test_a_date_only_promise_is_due_at_the_end_of_its_local_day(session, negotiation, owner):
    promise = due_on(session, negotiation, owner, "1000", "2024-12-13")
    assert deadline(promise) == datetime(2024, 12, 13, 23, 59, 59, 999999, tzinfo=ZONE)
    assert settle_due(session, now=local("2024-12-13 23:59:30")) == []
    assert promise.status == PromiseStatus.pending        # still that day: not missed yet
    record_payment(session, negotiation=negotiation, actor=owner,
                   paid_at=local("2024-12-13 23:59:40"), amount=Decimal("1000"),
                   method=PaymentMethod.alipay, promise=promise,
                   now=local("2024-12-13 23:59:40"))
    assert session.get(type(promise), promise.id).status == PromiseStatus.kept


def test_a_date_only_promise_unpaid_is_missed_once_the_day_is_over(session, negotiation, owner):
    promise = due_on(session, negotiation, owner, "1000", "2024-12-13")
    assert [p.id for p in settle_due(session, now=local("2024-12-14 00:00"))] == [promise.id]


def test_a_payment_on_the_due_date_counts_even_when_its_time_is_not_known(session, negotiation,
                                                                           owner):
    timed = my_payment(session, negotiation, owner, "1000", "2024-12-13 10:00")
    payment = paid_on(session, negotiation, owner, "1000", "2024-12-13")
    assert suggest_match(session, payment).id == timed.id
    assert balances_of(session, [timed])[timed.id].paid_on_time == 0   # not matched yet
    record_payment(session, negotiation=negotiation, actor=owner,
                   paid_at=day_moment(date(2024, 12, 13), ZONE), paid_precision=DAY,
                   amount=Decimal("1"), method=PaymentMethod.alipay, promise=timed,
                   now=local("2024-12-14 09:00"))
    assert balances_of(session, [timed])[timed.id].paid_on_time == Decimal("1")
    late = due_on(session, negotiation, owner, "300", "2024-12-10")
    record_payment(session, negotiation=negotiation, actor=owner,
                   paid_at=day_moment(date(2024, 12, 11), ZONE), paid_precision=DAY,
                   amount=Decimal("300"), method=PaymentMethod.alipay, promise=late,
                   now=local("2024-12-14 09:00"))
    assert balances_of(session, [late])[late.id].paid_on_time == 0   # the day after


def test_reminders_count_back_from_the_end_of_the_due_day(session, negotiation, owner):
    promise = due_on(session, negotiation, owner, "1000", "2024-12-13")
    assert send_time(promise, "2h", 9) == local("2024-12-13 22:00")
    assert send_time(promise, "0d", 9) == local("2024-12-13 09:00")
    assert send_time(promise, "1d", 9) == local("2024-12-12 09:00")


# --- Contacts -----------------------------------------------------------------------------------


def test_a_contact_on_a_date_counts_for_its_day_but_never_for_an_hour(session, negotiation,
                                                                      owner):
    # The stand-in is midday; shown as a date, it must never be judged as 12:00 either.
    entry = add_contact_entry(session, negotiation=negotiation, actor=owner,
                              occurred_at=day_moment(date(2024, 12, 5), ZONE),
                              occurred_precision=DAY, channel=Channel.visit,
                              description="两个人上门", third_party=None)
    assert entry_dict(entry, ZONE)["occurred_at"] == "2024-12-05"
    report = conduct_report(session, negotiation, default_zone=ZONE)
    [day] = [d for d in report.per_day if d.date == date(2024, 12, 5)]
    assert day.contacts == 1 and day.outside_hours == 0
    assert sum(h.contacts for h in report.per_hour) == 0


@pytest.mark.parametrize("hour", [0, 23])
def test_a_contact_at_a_known_night_hour_is_still_judged(session, negotiation, owner, hour):
    add_contact_entry(session, negotiation=negotiation, actor=owner,
                      occurred_at=datetime(2024, 12, 5, hour, 10, tzinfo=ZONE),
                      channel=Channel.visit, description="上门")
    report = conduct_report(session, negotiation, default_zone=ZONE)
    assert [f.rule_id for f in report.active()] == ["cn.quiet_hours"]
    assert report.per_hour[hour].contacts == 1


# --- On the pages -------------------------------------------------------------------------------


def test_the_pages_show_a_date_without_a_time_and_keep_it_a_date(client, session, negotiation,
                                                                  owner):
    owner.locale = "en"
    session.add(owner)
    session.commit()
    url = f"/negotiations/{negotiation.id}/promises"
    client.post(url, data={"party": "me", "kind": "payment", "amount": "3000",
                           "due_date": "2030-12-13", "due_time": "", "csrf_token": csrf(client)})
    client.post(f"/negotiations/{negotiation.id}/payments", data={
        "amount": "1000", "method": "alipay", "paid_date": "2024-12-12", "paid_time": "",
        "csrf_token": csrf(client)})
    page = client.get(url).text
    assert 'data-testid="due" data-precision="day">Dec 13, 2030<' in page
    assert 'data-precision="day">Dec 12, 2024<' in page          # the payment: no clock time
    assert "11:59" not in page and "12:00" not in page
    timeline = client.get(f"/negotiations/{negotiation.id}").text
    assert 'data-precision="day">date only<' in timeline        # no stand-in time shown


def test_the_contact_form_takes_a_date_without_a_time(client, session, negotiation, owner):
    from storage.models import ContactEntry
    from sqlmodel import select
    reply = client.post(f"/negotiations/{negotiation.id}/findings/contacts", data={
        "occurred_date": "2024-12-05", "occurred_time": "", "channel": "visit",
        "direction": "from_them", "description": "两个人上门", "csrf_token": csrf(client)})
    assert reply.status_code == 302, reply.text
    [entry] = session.exec(select(ContactEntry)).all()
    assert entry.occurred_precision == DAY
    assert entry.occurred_at.astimezone(ZONE).date() == date(2024, 12, 5)
    timed = client.post(f"/negotiations/{negotiation.id}/findings/contacts", data={
        "occurred_date": "2024-12-05", "occurred_time": "22:30", "channel": "visit",
        "direction": "from_them", "description": "晚上又来了", "csrf_token": csrf(client)})
    assert timed.status_code == 302
    session.expire_all()
    later = session.exec(select(ContactEntry).order_by(ContactEntry.id)).all()[-1]
    assert (later.occurred_at, later.occurred_precision) == (local("2024-12-05 22:30"),
                                                             TimePrecision.minute)
