"""A reminder that goes out after its time says the true reason: the promise was recorded only
after its due date (or after the reminder's time), or the reminder service was not running
then. Told apart by when the promise was recorded; the scheduler runs on an injected clock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from logger.reminders.scheduler import ReminderScheduler
from logger.reminders.text import NOT_RUNNING, RECORDED_LATE, compose, late_reason
from tests.support.promises import local, my_payment
from tests.support.web import page_text

DUE = "2024-12-13 23:59"


def recorded_at(session, promise, when: str):
    promise.created_at = local(when)
    session.add(promise)
    session.commit()
    return promise


@pytest.mark.parametrize("recorded, run_at, offset, reason, words", [
    # Written down on the 15th, two days after it was due: the missed notice could not be sooner.
    ("2024-12-15 10:00", "2024-12-15 10:05", "missed", RECORDED_LATE,
     "sent late: the promise was recorded after its due date"),
    # Written down on the 12th at noon, after the 3-day reminder's time (the 10th, 9:00).
    ("2024-12-12 12:00", "2024-12-12 12:05", "1d", RECORDED_LATE,
     "sent late: the promise was recorded after the time of this reminder"),
    # Written down on the 1st; nothing ran from before the 10th until the 12th.
    ("2024-12-01 10:00", "2024-12-12 15:00", "1d", NOT_RUNNING,
     "sent late: reminders were not running at the time"),
])
def test_a_late_notification_says_why(app, client, services, session, negotiation, owner,
                                      recorded, run_at, offset, reason, words):
    owner.locale = "en"
    session.add(owner)
    promise = recorded_at(session, my_payment(session, negotiation, owner, "1000", DUE),
                          recorded)
    run = ReminderScheduler(services).run(local(run_at))
    [sent] = [s for s in run.sent if s.channel == "app"]
    assert (sent.offset, sent.late) == (offset, True)
    from storage.models.promises import Reminder
    row = session.get(Reminder, sent.reminder_id)
    assert late_reason(promise, row.send_at) == reason
    text = page_text(client.get("/notifications"))
    assert words in text
    assert ("not running" in text) == (reason == NOT_RUNNING)


def test_the_email_of_a_late_reminder_gives_the_same_reason(session, negotiation, owner):
    promise = recorded_at(session, my_payment(session, negotiation, owner, "1000", DUE),
                          "2024-12-15 10:00")
    for language, expected in (("en", "the promise was recorded after its due date"),
                               ("zh", "这项承诺是在到期日之后才记录的")):
        text = compose(promise=promise, negotiation=negotiation, offset="missed", late=True,
                       language=language, reminder_id=1, paid=Decimal(0),
                       shortfall=Decimal(1000), send_at=promise.due_at).body
        assert expected in text and "not running" not in text and "没有运行" not in text
