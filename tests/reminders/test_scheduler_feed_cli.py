"""Reminders: the one active scheduler (a lease in the database, taken over when its holder
dies), the private calendar feed parsed back, and the command line (`liuhen reminders due`,
`liuhen scheduler`).

Every scheduler run is given its `now`: the tests drive the clock."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import icalendar
import pytest
from sqlmodel import select

from logger.promises.payments import record_payment
from logger.promises.promises import PromiseTerms, add_promise, cancel_promise
from logger.reminders.calendar_feed import (create_feed, render_calendar, revoke_feed,
                                            user_for_secret)
from logger.reminders.reminders import ReminderSettings
from logger.reminders.scheduler import ReminderScheduler, acquire_lease, start_background
from logger.services import Services
from storage.models.promises import (Notification, PaymentMethod, PromiseKind, PromiseParty,
                                     PromiseStatus, Reminder, SchedulerLease)
from tests.support.common import PASSPHRASE, wait_for
from tests.support.promises import ZONE, local, my_payment, sent_offsets, with_reminders

DUE = "2024-12-13 23:59"


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
    with services.session() as check:
        lease = check.get(SchedulerLease, "scheduler")
        holder_before, renewed_before = lease.holder, lease.expires_at
    second = start_background(other, stop_second, poll_s=0.2)
    # the first renews its lease while the second polls: the second keeps waiting
    wait_for(lambda: _lease(services).expires_at != renewed_before)
    assert _lease(services).holder == holder_before
    stop_first.set()
    first.join(10)
    wait_for(lambda: _holder(services) not in (None, holder_before))
    stop_second.set()
    second.join(10)
    other.close()
    assert sent_offsets(session) == ["2h"]


def _lease(services) -> SchedulerLease:
    with services.session() as session:
        return session.get(SchedulerLease, "scheduler")


def _holder(services) -> str | None:
    with services.session() as session:
        row = session.get(SchedulerLease, "scheduler")
        return row.holder if row and row.expires_at > datetime.now(ZONE) \
            else None


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
