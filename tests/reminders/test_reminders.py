"""Reminders (logger.reminders, logger.reminders.scheduler): when they go out, exactly once per promise,
offset and channel (through restarts mid-send and downtime), the one active scheduler, and
delivery in the app, by email to a real SMTP server on loopback, to a webhook on loopback; the
private calendar feed parsed back; `liuhen reminders due`.

Every scheduler run is given its `now`: the tests drive the clock."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlmodel import select

from logger.accounts import add_user
from logger.config import RemindersConfig
from logger.promises.payments import record_payment
from logger.promises.promises import (PromiseTerms, add_promise, cancel_promise, change_promise)
from logger.reminders.calendar_feed import create_feed, render_calendar, revoke_feed, user_for_secret
from logger.reminders.delivery import EmailSender
from logger.reminders.notifications import list_notifications, mark_read, set_reminder_email, unread_count
from logger.reminders.reminders import CLAIM_LEASE, ReminderSettings, send_time
from logger.reminders.scheduler import ReminderScheduler, acquire_lease, start_background
from logger.services import Services
from storage.models.promises import (DeliveryStatus, Notification, PaymentMethod, PromiseKind,
                                     PromiseParty, PromiseStatus, Reminder, ReminderChannel,
                                     SchedulerLease)
from tests.support.common import PASSPHRASE
from tests.support.common import make_negotiation_in
from tests.support.promises import ZONE, local, my_payment

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


def with_reminders(services, **settings) -> Services:
    services.config = dataclasses.replace(services.config,
                                          reminders=RemindersConfig(**settings))
    return services


def with_email(services, smtp, tmp_path) -> Services:
    controller, _ = smtp
    password = tmp_path / "smtp-password"
    password.write_text("mima\n")
    return with_reminders(services, smtp_host="127.0.0.1", smtp_port=controller.port,
                          smtp_user="wo", smtp_password_file=str(password),
                          smtp_from="liuhen@example.com", smtp_starttls=False)


def sent_offsets(session, channel=ReminderChannel.app) -> list[str]:
    session.expire_all()
    return [r.offset for r in session.exec(select(Reminder).where(
        Reminder.channel == channel, Reminder.status == DeliveryStatus.sent)
        .order_by(Reminder.sent_at, Reminder.id))]


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


# --- One active scheduler -----------------------------------------------------------------------




def test_a_second_scheduler_stays_idle_and_takes_over_when_the_first_dies(any_db):
    at, lease = local("2024-12-10 09:00"), timedelta(seconds=90)
    with any_db.session() as session:
        assert acquire_lease(session, holder="a", now=at, lease=lease)
        assert not acquire_lease(session, holder="b", now=at, lease=lease)
        assert acquire_lease(session, holder="a", now=at + timedelta(seconds=60), lease=lease)
        # a renewed at +60: b waits until +150, not +90
        assert not acquire_lease(session, holder="b", now=at + timedelta(seconds=120),
                                 lease=lease)
        assert acquire_lease(session, holder="b", now=at + timedelta(seconds=150), lease=lease)
        assert not acquire_lease(session, holder="a", now=at + timedelta(seconds=151),
                                 lease=lease)
        assert session.get(SchedulerLease, "scheduler").holder == "b"


def test_two_schedulers_race_for_the_lock_and_one_wins(any_db):
    at, results = local("2024-12-10 09:00"), []

    def compete(name):
        with any_db.session() as session:
            results.append(acquire_lease(session, holder=name, now=at))

    threads = [threading.Thread(target=compete, args=(f"s{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]


def test_the_background_scheduler_runs_with_apscheduler_and_a_second_waits(
        services, session, negotiation, owner):
    """Real threads and the real clock: a promise due in a minute has its "2h" reminder due
    now; the first scheduler sends it, the second (another process's Services) stays idle
    until the first stops and gives the lock back."""
    with_reminders(services, offsets=["2h"])
    add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE, terms=PromiseTerms(
        PromiseParty.me, PromiseKind.payment, Decimal("100"),
        due_at=datetime.now(ZONE) + timedelta(minutes=10)))
    other = Services.open(services.config, PASSPHRASE)
    stop_first, stop_second = threading.Event(), threading.Event()
    first = start_background(services, stop_first, poll_s=0.2)
    wait_for(lambda: sent_offsets(session) == ["2h"])
    second = start_background(other, stop_second, poll_s=0.2)
    time.sleep(0.6)
    with services.session() as check:
        holder_before = check.get(SchedulerLease, "scheduler").holder
    stop_first.set()
    first.join(10)
    wait_for(lambda: _holder(services) not in (None, holder_before))
    stop_second.set()
    second.join(10)
    other.close()
    assert sent_offsets(session) == ["2h"]


def _holder(services) -> str | None:
    with services.session() as session:
        row = session.get(SchedulerLease, "scheduler")
        return row.holder if row and row.expires_at > datetime.now(ZONE) \
            else None


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


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


# --- The calendar feed --------------------------------------------------------------------------


def test_the_calendar_feed_lists_promises_with_alarms_and_parses_back(session, negotiation,
                                                                      owner):
    promise = my_payment(session, negotiation, owner, "1000", DUE)
    add_promise(session, negotiation=negotiation, actor=owner, tz=ZONE, terms=PromiseTerms(
        PromiseParty.them, PromiseKind.waiver, due_at=local("2024-12-20 23:59")))
    cancelled = my_payment(session, negotiation, owner, "5", "2024-12-21 12:00")
    cancel_promise(session, cancelled, actor=owner)
    calendar = icalendar.Calendar.from_ical(render_calendar(session, owner, ReminderSettings()))
    events = list(calendar.walk("VEVENT"))
    assert [str(e["UID"]) for e in events] == [f"promise-{promise.id}@liuhen",
                                               f"promise-{promise.id + 1}@liuhen"]
    mine, theirs = events
    assert mine.decoded("DTSTART").isoformat() == "2024-12-13"
    assert "¥1,000.00" in str(mine["SUMMARY"]) and "信用飞" in str(mine["SUMMARY"])
    alarms = [a.decoded("TRIGGER") for a in mine.walk("VALARM")]
    assert alarms == [local("2024-12-10 09:00"), local("2024-12-12 09:00"),
                      local("2024-12-13 09:00")]
    assert list(theirs.walk("VALARM")) == []


def test_the_feed_secret_is_shown_once_and_can_be_revoked(session, owner, other_user):
    feed, secret = create_feed(session, owner)
    assert secret not in feed.secret_hash and user_for_secret(session, secret).id == owner.id
    assert user_for_secret(session, secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    _, replacement = create_feed(session, owner)
    assert user_for_secret(session, secret) is None        # a new address retires the old
    assert revoke_feed(session, owner)
    assert user_for_secret(session, replacement) is None


# --- The command line ---------------------------------------------------------------------------


def test_reminders_due_lists_what_would_go_out_without_sending(cli, services_for):
    assert cli("init").exit_code == 0
    assert cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    added = cli("promises", "add", "--negotiation", "1", "--amount", "1000",
                "--due", "2024-12-13T23:59", "--json")
    assert added.exit_code == 0, added.output
    out = cli("reminders", "due", "--at", "2024-12-12T09:00:00+08:00", "--json")
    assert out.exit_code == 0, out.output
    due = json.loads(out.stdout)
    assert [(d["offset"], d["channel"], d["late"]) for d in due] == [("1d", "app", False)]
    # Local in the promise's zone with its offset (was UTC with Z).
    assert due[0]["send_at"] == "2024-12-12T09:00:00+08:00"
    assert due[0]["due_at"] == "2024-12-13T23:59:00+08:00" and due[0]["due_precision"] == "minute"
    late = json.loads(cli("reminders", "due", "--at", "2024-12-14T08:00", "--json").stdout)
    assert [(d["offset"], d["late"]) for d in late] == [("missed", True)]
    with services_for() as services, services.session() as session:
        assert session.exec(select(Reminder)).all() == []       # nothing stored or sent
        assert session.exec(select(Notification)).all() == []
    bad = cli("reminders", "due", "--at", "tomorrow")
    assert bad.exit_code != 0 and "2024-12-03T15:30" in bad.output


def test_offsets_in_the_config_are_checked(tmp_path):
    from logger.config import load_config
    from logger.errors import ConfigError
    path = tmp_path / "config.toml"
    path.write_text('[reminders]\noffsets = ["3 days"]\n')
    with pytest.raises(ConfigError, match="reminders.offsets"):
        load_config(path, env={})
    path.write_text('[reminders]\nsmtp_host = "mail.example.com"\n')
    with pytest.raises(ConfigError, match="smtp_from"):
        load_config(path, env={})


def test_liuhen_scheduler_runs_alone_until_stopped_and_gives_the_lock_back(
        cli, cli_env, services_for, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    assert cli("init").exit_code == 0 and cli("user", "add", "owner").exit_code == 0
    assert cli("negotiation", "add", "--creditor", "信用飞").exit_code == 0
    soon = (datetime.now(ZONE) + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    assert cli("promises", "add", "--negotiation", "1", "--amount", "10", "--due", soon
               ).exit_code == 0
    config = tmp_path / "config.toml"
    config.write_text('[reminders]\noffsets = ["1h"]\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "logger", "--config", str(config), "scheduler", "--poll", "0.3"],
        cwd=tmp_path, env={**os.environ, **cli_env}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    with process, services_for() as services, services.session() as session:
        try:
            wait_for(lambda: sent_offsets(session) == ["1h"])
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=20)
        assert process.returncode == 0 and "scheduler running" in output, output
        session.expire_all()
        lease = session.get(SchedulerLease, "scheduler")
        assert lease.expires_at <= datetime.now(ZONE)     # given back, not left to expire


def test_a_promise_found_missed_when_a_short_payment_is_matched_gets_its_notice(
        services, session, negotiation, owner):
    promise = my_payment(session, negotiation, owner, "3000", DUE)
    record_payment(session, negotiation=negotiation, actor=owner,
                   paid_at=local("2024-12-13 20:00"), amount=Decimal("1000"),
                   method=PaymentMethod.alipay, promise=promise, now=local("2024-12-15 09:00"))
    assert promise.status == PromiseStatus.missed        # decided by the match, not the run
    run = ReminderScheduler(services).run(local("2024-12-15 09:01"))
    assert [(s.offset, s.late) for s in run.sent] == [("missed", True)]
    assert ReminderScheduler(services).run(local("2024-12-16 09:00")).sent == []
