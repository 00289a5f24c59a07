"""Reminders (logger.reminders, logger.reminders.scheduler): when they go out, exactly once per
promise, offset and channel (through restarts mid-send and downtime), and delivery in the app, by
email to a real SMTP server on loopback, to a webhook on loopback. The one active scheduler, the
calendar feed and `liuhen reminders`: test_scheduler_feed_cli.py.

Every scheduler run is given its `now`: the tests drive the clock."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from datetime import timedelta
from decimal import Decimal
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlmodel import select

from logger.accounts import add_user
from logger.promises.payments import record_payment
from logger.promises.promises import (PromiseTerms, add_promise, cancel_promise, change_promise)
from logger.reminders.delivery import EmailSender
from logger.reminders.notifications import list_notifications, mark_read, set_reminder_email, unread_count
from logger.reminders.reminders import CLAIM_LEASE, ReminderSettings, send_time
from logger.reminders.scheduler import ReminderScheduler
from logger.services import Services
from storage.models.promises import (DeliveryStatus, Notification, PaymentMethod, PromiseKind,
                                     PromiseParty, Reminder, ReminderChannel)
from tests.support.common import make_negotiation_in
from tests.support.promises import ZONE, local, my_payment, sent_offsets, with_reminders

DUE = "2024-12-13 23:59"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What a real SMTP server on loopback (aiosmtpd) received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(make_header(decode_header(m["Subject"]))) for m in self.messages]


@pytest.fixture
def smtp():
    """An SMTP server on loopback that accepts the login wo / mima without TLS."""
    mailbox = Mailbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"wo", b"mima"),
                          handled=False)

    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(),
                            authenticator=authenticate, auth_require_tls=False)
    controller.start()
    yield controller, mailbox
    controller.stop()


def with_email(services, smtp, tmp_path) -> Services:
    controller, _ = smtp
    password = tmp_path / "smtp-password"
    password.write_text("mima\n")
    return with_reminders(services, smtp_host="127.0.0.1", smtp_port=controller.port,
                          smtp_user="wo", smtp_password_file=str(password),
                          smtp_from="liuhen@example.com", smtp_starttls=False)


class Crash(BaseException):
    """The scheduler process dying in the middle of a send."""


class CrashingSender:
    """Dies before sending, or right after the server accepted the message."""

    def __init__(self, real, *, after_send: bool):
        self.real, self.after_send, self.channel = real, after_send, real.channel

    def send(self, outgoing):
        if self.after_send:
            self.real.send(outgoing)
        raise Crash()


# --- When ---------------------------------------------------------------------------------------


def test_default_offsets_are_three_days_one_day_and_the_day_at_nine(session, negotiation,
                                                                    owner):
    promise = my_payment(session, negotiation, owner, "1000", DUE)
    hour = ReminderSettings().hour
    assert [send_time(promise, o, hour) for o in ReminderSettings().offsets] == [
        local("2024-12-10 09:00"), local("2024-12-12 09:00"), local("2024-12-13 09:00")]
    assert send_time(promise, "2h", hour) == local("2024-12-13 21:59")
    early = my_payment(session, negotiation, owner, "1000", "2024-12-13 08:00")
    assert send_time(early, "0d", hour) is None   # 09:00 on the day is after it is due


def test_each_reminder_goes_out_once_at_its_time_then_the_missed_notice(any_db):
    services = any_db
    session = services.session()
    owner = add_user(session, "owner", "owner-password")
    negotiation = make_negotiation_in(session, owner)
    my_payment(session, negotiation, owner, "1000", DUE)
    scheduler = ReminderScheduler(services)
    steps = [("2024-12-10 08:59", []), ("2024-12-10 09:00", ["3d"]), ("2024-12-10 09:05", []),
             ("2024-12-12 09:00", ["1d"]), ("2024-12-13 09:00", ["0d"]),
             ("2024-12-13 23:58", []), ("2024-12-14 00:00", ["missed"]),
             ("2024-12-20 00:00", [])]
    for moment, expected in steps:
        run = scheduler.run(local(moment))
        assert run.active and [s.offset for s in run.sent] == expected, moment
        assert not any(s.late for s in run.sent)
    assert sent_offsets(session) == ["3d", "1d", "0d", "missed"]
    assert unread_count(session, owner) == 4
    newest = list_notifications(session, owner)[0]
    assert newest.reminder.offset == "missed" and newest.negotiation.id == negotiation.id
    assert mark_read(session, owner, newest.notification.id) == 1
    assert unread_count(session, owner) == 3
    session.close()


def test_a_promise_made_to_me_that_passes_unmet_is_flagged(services, session, negotiation,
                                                           owner):
    add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE, terms=PromiseTerms(
        PromiseParty.them, PromiseKind.waiver, due_at=local(DUE)))
    scheduler = ReminderScheduler(services)
    assert scheduler.run(local("2024-12-10 09:00")).sent == []   # no reminders for theirs
    assert [s.offset for s in scheduler.run(local("2024-12-14 00:00")).sent] == ["unmet"]


def test_a_promise_paid_in_full_gets_no_more_reminders(services, session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "1000", DUE)
    scheduler = ReminderScheduler(services)
    scheduler.run(local("2024-12-10 09:00"))
    record_payment(session, negotiation=negotiation, actor=owner,
                   paid_at=local("2024-12-11 10:00"), amount=Decimal("1000"),
                   method=PaymentMethod.bank_transfer, promise=promise,
                   now=local("2024-12-11 10:00"))
    for moment in ("2024-12-12 09:00", "2024-12-13 09:00", "2024-12-14 00:00"):
        assert scheduler.run(local(moment)).sent == []
    assert sent_offsets(session) == ["3d"]


def test_changing_or_cancelling_a_promise_reschedules_or_cancels_its_reminders(
        services, session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "1000", DUE)
    other = my_payment(session, negotiation, owner, "500", DUE)
    scheduler = ReminderScheduler(services)
    scheduler.run(local("2024-12-09 12:00"))       # rows planned for both
    later = change_promise(session, promise, actor=owner, terms=PromiseTerms(
        PromiseParty.me, PromiseKind.payment, Decimal("1000"), due_at=local("2024-12-20 23:59")))
    cancel_promise(session, other, actor=owner)
    assert scheduler.run(local("2024-12-10 09:00")).sent == []
    assert scheduler.run(local("2024-12-14 00:00")).sent == []   # neither is missed
    run = scheduler.run(local("2024-12-17 09:00"))
    assert [(s.promise_id, s.offset) for s in run.sent] == [(later.id, "3d")]


# --- Exactly once -------------------------------------------------------------------------------


def test_downtime_sends_the_latest_overdue_reminder_once_marked_late(services, session,
                                                                     negotiation, owner):
    my_payment(session, negotiation, owner, "1000", DUE)
    scheduler = ReminderScheduler(services)
    run = scheduler.run(local("2024-12-12 15:00"))   # down since before the 3d reminder
    assert [(s.offset, s.late) for s in run.sent] == [("1d", True)]
    assert scheduler.run(local("2024-12-12 15:01")).sent == []
    statuses = {r.offset: r.status for r in session.exec(select(Reminder))}
    assert statuses == {"3d": DeliveryStatus.skipped, "1d": DeliveryStatus.sent,
                        "0d": DeliveryStatus.scheduled}
    [row] = session.exec(select(Reminder).where(Reminder.offset == "1d")).all()
    assert row.late


def test_down_past_the_due_time_sends_only_the_missed_notice(services, session, negotiation,
                                                            owner):
    my_payment(session, negotiation, owner, "1000", DUE)
    run = ReminderScheduler(services).run(local("2024-12-15 09:00"))
    assert [(s.offset, s.late) for s in run.sent] == [("missed", True)]


def test_a_scheduler_that_dies_before_sending_is_replaced_and_the_email_goes_once(
        services, session, negotiation, owner, smtp, tmp_path):
    _, mailbox = smtp
    with_email(services, smtp, tmp_path)
    set_reminder_email(session, owner, "wo@example.com")
    my_payment(session, negotiation, owner, "1000", DUE)
    first = ReminderScheduler(services, lease=timedelta(seconds=90))
    first.senders[ReminderChannel.email] = CrashingSender(first.senders[ReminderChannel.email],
                                                          after_send=False)
    at = local("2024-12-10 09:00")
    with pytest.raises(Crash):
        first.run(at)
    assert mailbox.messages == [] and sent_offsets(session) == ["3d"]   # in the app: done
    second = ReminderScheduler(services, lease=timedelta(seconds=90))
    assert not second.run(at + timedelta(seconds=60)).active       # the lock is still held
    run = second.run(at + timedelta(seconds=120))                  # the lock has expired
    assert run.active and run.sent == []                           # the claim is still young
    run = second.run(at + CLAIM_LEASE + timedelta(seconds=1))
    assert [(s.channel, s.outcome) for s in run.sent] == [(ReminderChannel.email, "sent")]
    for later in (timedelta(minutes=30), timedelta(hours=5)):
        second.run(at + later)
    assert len(mailbox.messages) == 1 and sent_offsets(session, ReminderChannel.email) == ["3d"]
    assert mailbox.messages[0]["To"] == "wo@example.com"
    assert "信用飞" in mailbox.subjects()[0] and "¥1,000.00" in mailbox.subjects()[0]


def test_a_scheduler_that_dies_after_the_server_accepted_is_sent_again_with_the_same_id(
        services, session, negotiation, owner, smtp, tmp_path):
    """The documented at-least-once case: the duplicate carries the same Message-ID."""
    _, mailbox = smtp
    with_email(services, smtp, tmp_path)
    set_reminder_email(session, owner, "wo@example.com")
    my_payment(session, negotiation, owner, "1000", DUE)
    first = ReminderScheduler(services)
    first.senders[ReminderChannel.email] = CrashingSender(first.senders[ReminderChannel.email],
                                                          after_send=True)
    at = local("2024-12-10 09:00")
    with pytest.raises(Crash):
        first.run(at)
    second = ReminderScheduler(services)
    second.run(at + timedelta(minutes=10))
    second.run(at + timedelta(minutes=20))
    assert len(mailbox.messages) == 2
    assert mailbox.messages[0]["Message-ID"] == mailbox.messages[1]["Message-ID"]


def test_the_app_notification_is_written_once_even_when_two_schedulers_run(
        services, session, negotiation, owner):
    """Both believe they are active (each with its own lock name would be a bug, but the
    reminder rows are claimed one by one anyway)."""
    my_payment(session, negotiation, owner, "1000", DUE)
    at = local("2024-12-10 09:00")
    a, b = ReminderScheduler(services), ReminderScheduler(services)
    from logger.reminders.reminders import send_due
    sent_a = send_due(services.session, a.settings, a.senders, holder=a.holder, now=at)
    sent_b = send_due(services.session, b.settings, b.senders, holder=b.holder, now=at)
    assert [s.outcome for s in sent_a] == ["sent"] and sent_b == []
    assert len(session.exec(select(Notification)).all()) == 1


# --- Channels -----------------------------------------------------------------------------------


def test_email_needs_starttls_when_configured_and_says_so(services, session, negotiation,
                                                          owner, smtp, tmp_path):
    with_email(services, smtp, tmp_path)
    services.config = dataclasses.replace(services.config, reminders=dataclasses.replace(
        services.config.reminders, smtp_starttls=True))
    set_reminder_email(session, owner, "wo@example.com")
    my_payment(session, negotiation, owner, "1000", DUE)
    run = ReminderScheduler(services).run(local("2024-12-10 09:00"))
    [failed] = [s for s in run.sent if s.channel == ReminderChannel.email]
    assert failed.outcome == "failed" and "does not offer STARTTLS" in failed.error
    [row] = session.exec(select(Reminder).where(Reminder.channel == ReminderChannel.email,
                                                Reminder.offset == "3d")).all()
    assert row.status == DeliveryStatus.scheduled and "STARTTLS" in row.error


def test_a_wrong_smtp_password_is_reported(services, smtp, tmp_path):
    with_email(services, smtp, tmp_path)
    (tmp_path / "smtp-password").write_text("wrong\n")
    from logger.reminders.delivery import Outgoing, ReminderDeliveryError
    from logger.reminders.text import ReminderText
    sender = EmailSender(services.config.reminders)
    with pytest.raises(ReminderDeliveryError, match="refused the login of 'wo'"):
        sender.send(Outgoing(1, ReminderText("s", "b", {}), "wo@example.com"))


class Hook(BaseHTTPRequestHandler):
    received: list = []
    answers: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), json.loads(body)))
        status = Hook.answers.pop(0) if Hook.answers else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Hook.received, Hook.answers = [], []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_the_webhook_gets_json_and_a_failed_post_is_retried_once_it_may(
        services, session, negotiation, owner, webhook):
    with_reminders(services, webhook_url=webhook)
    promise = my_payment(session, negotiation, owner, "1000", DUE)
    Hook.answers = [500]
    scheduler = ReminderScheduler(services)
    at = local("2024-12-10 09:00")
    [failed] = [s for s in scheduler.run(at).sent if s.channel == ReminderChannel.webhook]
    assert failed.outcome == "failed" and "answered 500" in failed.error
    assert scheduler.run(at + timedelta(minutes=1)).sent == []       # waits before retrying
    [sent] = scheduler.run(at + CLAIM_LEASE + timedelta(seconds=1)).sent
    assert sent.outcome == "sent"
    assert len(Hook.received) == 2
    headers, payload = Hook.received[-1]
    assert headers["Idempotency-Key"] == f"liuhen-reminder-{sent.reminder_id}"
    assert payload["event"] == "reminder" and payload["offset"] == "3d"
    assert payload["promise"]["id"] == promise.id and payload["promise"]["amount"] == "1000"
    assert payload["negotiation"]["creditor"] == "信用飞"

