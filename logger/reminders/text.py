"""The words of a reminder, in the account's language (Chinese unless it chose English): the
subject line, the body of an email, the summary of a calendar event, the JSON of a webhook.

The web app shows notifications through Flask-Babel; this is for what leaves the app (email,
webhook, calendar), where no Flask is running. Both read the same catalogues (`logger.i18n`):
the Chinese of these texts is in `logger/translations/zh/LC_MESSAGES/reminders.po`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from logger.config import REMINDER_OFFSET
from logger.i18n import N_, NC_, translate
from logger.promises.promises import promise_dict
from storage.models import Negotiation
from storage.models.promises import Promise, PromiseKind, PromiseParty, PromiseStatus
from storage.models.types import TimePrecision

MISSED, UNMET = "missed", "unmet"
# Why a reminder went out late (late_reason).
RECORDED_LATE, NOT_RUNNING = "recorded_late", "not_running"
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}

# event -> (the headline of a payment, of any other promise). The web's notice of the same
# reminder (promises.po) is worded apart, hence the context.
HEADLINES = {
    "reminder": (NC_("reminder", "Reminder: pay %(amount)s to %(creditor)s by %(when)s"),
                 NC_("reminder", "Reminder: %(what)s by %(when)s (%(creditor)s)")),
    MISSED: (NC_("reminder", "Missed: %(amount)s to %(creditor)s was due by %(when)s"),
             NC_("reminder", "Missed: %(what)s by %(when)s (%(creditor)s)")),
    UNMET: (NC_("reminder", "Not kept by the other side: %(creditor)s promised to %(what)s by "
                            "%(when)s"),) * 2,
}
KIND_WORDS = {PromiseKind.payment: N_("pay %(amount)s"),
              PromiseKind.waiver: N_("waive penalty or interest"),
              PromiseKind.settlement: N_("settle the debt for %(amount)s"),
              PromiseKind.extension: N_("give more time to pay"),
              PromiseKind.stop_calls: N_("stop collection calls"),
              PromiseKind.other: N_("another promise")}
STATUS_WORDS = {PromiseStatus.kept: N_("kept"), PromiseStatus.missed: N_("missed")}


@dataclass(frozen=True)
class ReminderText:
    subject: str
    body: str
    payload: dict


def money(amount: Decimal | None, currency: str, language: str | None) -> str:
    if amount is None:
        return translate(language, "(amount not set)")
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def local_time(moment: datetime, promise: Promise, language: str | None,
               precision: TimePrecision | str = TimePrecision.minute) -> str:
    """`moment` in the promise's zone, as a date and time; a date alone for `precision` day."""
    local = moment.astimezone(ZoneInfo(promise.timezone))
    if precision == TimePrecision.day:
        return translate(language, "%(year)d-%(month)02d-%(day)02d", year=local.year,
                         month=local.month, day=local.day)
    return translate(language, "%(year)d-%(month)02d-%(day)02d %(time)s", year=local.year,
                     month=local.month, day=local.day, time=local.strftime("%H:%M"))


def due_words(promise: Promise, language: str | None) -> str:
    """When the promise falls due: its date and time, or its date when no time was given."""
    return local_time(promise.due_at, promise, language, promise.due_precision)


def what(promise: Promise, language: str | None) -> str:
    """The promise in a few words ("还款¥1,000.00", "waive penalty or interest")."""
    amount = money(promise.amount, promise.currency, language)
    if promise.instalment:
        return translate(language, "pay instalment %(number)s, %(amount)s",
                         number=promise.instalment, amount=amount)
    if promise.kind == PromiseKind.other and promise.description:
        return promise.description
    return translate(language, KIND_WORDS[promise.kind], amount=amount)


def headline(promise: Promise, negotiation: Negotiation, event: str,
             language: str | None) -> str:
    """One line: what is due (or was missed), to whom, by when."""
    pay = promise.kind == PromiseKind.payment and not promise.instalment
    return translate(language, HEADLINES[event][0 if pay else 1],
                     when=due_words(promise, language),
                     creditor=negotiation.creditor, what=what(promise, language),
                     amount=money(promise.amount, promise.currency, language))


def offset_words(offset: str, language: str | None) -> str:
    match = REMINDER_OFFSET.match(offset)
    if match is None:
        return ""
    n, unit = int(match.group(1)), match.group(2)
    if unit == "h":
        return translate(language, "due in %(n)s hours", n=n)
    if n == 0:
        return translate(language, "due today")
    return translate(language, "due in %(n)s days", n=n)


def details(promise: Promise, language: str | None) -> list[str]:
    """The promise's conditions and the words it was made in, a line each where known."""
    lines = []
    if promise.conditions:
        lines.append(translate(language, "Conditions: %(conditions)s",
                               conditions=promise.conditions))
    if promise.source_quote:
        lines.append(translate(language, "Said: “%(quote)s”", quote=promise.source_quote))
    return lines


def compose(*, promise: Promise, negotiation: Negotiation, offset: str, late: bool,
            language: str | None, reminder_id: int, paid: Decimal,
            shortfall: Decimal | None, send_at: datetime | None = None) -> ReminderText:
    """The reminder `offset` ("3d", or MISSED / UNMET) of `promise`, in `language`; a `late`
    one says why (`late_reason` of its `send_at`)."""
    event = offset if offset in (MISSED, UNMET) else "reminder"
    subject = headline(promise, negotiation, event, language)
    if event == "reminder":
        subject += f" · {offset_words(offset, language)}"
    lines = [subject, ""]
    if event == MISSED and shortfall:
        lines.append(translate(language, "Paid %(paid)s; %(shortfall)s is still missing.",
                               paid=money(paid, promise.currency, language),
                               shortfall=money(shortfall, promise.currency, language)))
    lines += details(promise, language)
    if late:
        lines.append(late_note(late_reason(promise, send_at), offset, language))
    lines += ["", translate(language, "— Liuhen")]
    payload = {"event": event, "reminder_id": reminder_id, "offset": offset, "late": late,
               "subject": subject, "text": "\n".join(lines),
               "promise": promise_dict(promise),
               "negotiation": {"id": negotiation.id, "creditor": negotiation.creditor,
                               "collection_agency": negotiation.collection_agency},
               "shortfall": str(shortfall) if shortfall is not None else None}
    return ReminderText(subject, "\n".join(lines), payload)


def late_reason(promise: Promise, send_at: datetime | None) -> str:
    """Why a reminder went out after its time: RECORDED_LATE when the promise was recorded
    only after that time (a due date already near or past when it was written down: nothing
    could have sent it sooner), else NOT_RUNNING (no scheduler ran at the time)."""
    if send_at is not None and promise.created_at is not None and promise.created_at >= send_at:
        return RECORDED_LATE
    return NOT_RUNNING


def late_note(reason: str, offset: str, language: str | None) -> str:
    """The line of a late reminder that says why it is late."""
    if reason == RECORDED_LATE and offset in (MISSED, UNMET):
        return translate(language, "(Sent late: the promise was recorded after its due date.)")
    if reason == RECORDED_LATE:
        return translate(language, "(Sent late: the promise was recorded after the time of "
                                   "this reminder.)")
    return translate(language, "(Sent late: the reminder service was not running at the "
                               "time.)")


def made_by(promise: Promise, language: str | None) -> str:
    if promise.party == PromiseParty.me:
        return translate(language, "Your promise")
    return translate(language, "Their promise")


def status_word(promise: Promise, language: str | None) -> str:
    """"kept" or "missed"; KeyError for a promise still pending or withdrawn."""
    return translate(language, STATUS_WORDS[promise.status])


def calendar_name(language: str | None) -> str:
    return translate(language, "Liuhen: promises and payments")
