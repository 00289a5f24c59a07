"""The promise, plan and payment forms: typed values read from what a person entered, with a
translated message per field that cannot be read (FormProblems). Dates and times are local, in
the negotiation's time zone. A date without a time stays a date (`TimePrecision.day`): a promise is
then due by the end of that day, and a payment was made on it (at an unknown time); neither is
given a clock time it was not given."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from flask_babel import lazy_gettext

from logger.promises.due import DATE_ONLY_DUE
from logger.promises.promises import MAX_AMOUNT, MAX_INSTALMENTS, InstalmentTerms, PromiseTerms
from logger.record.moments import MIDDAY
from storage.models.promises import PaymentMethod, PromiseKind, PromiseParty
from storage.models.types import TimePrecision

# Also named on the notifications page and in reminder headlines.
KIND_LABELS = {PromiseKind.payment: lazy_gettext("Payment"),
               PromiseKind.instalment_plan: lazy_gettext("Instalment plan"),
               PromiseKind.waiver: lazy_gettext("Waiver of penalty or interest"),
               PromiseKind.settlement: lazy_gettext("Settlement for less, paid at once"),
               PromiseKind.extension: lazy_gettext("Extension of the due date"),
               PromiseKind.stop_calls: lazy_gettext("Stop to collection calls"),
               PromiseKind.other: lazy_gettext("Other promise")}

MESSAGES = {
    "party": lazy_gettext("Choose who made the promise."),
    "kind": lazy_gettext("Choose what was promised."),
    "amount": lazy_gettext("Write an amount in digits, more than 0, for example 1000 or "
                           "1500.50."),
    "amount_required": lazy_gettext("Write the amount paid, for example 1000."),
    "date": lazy_gettext("Write a date such as 2024-12-15."),
    "date_required": lazy_gettext("Give the date."),
    "time": lazy_gettext("Write a time such as 18:00."),
    "count": lazy_gettext("Give the number of instalments, from 1 to %(max)d.",
                          max=MAX_INSTALMENTS),
    "method": lazy_gettext("Choose how it was paid."),
    "receipt": lazy_gettext("Choose a receipt from this negotiation's evidence."),
    "promise": lazy_gettext("Choose one of your open payment promises."),
    "too_long": lazy_gettext("Shorten this to 2000 characters or fewer."),
}
MAX_TEXT = 2000


class FormProblems(ValueError):
    """Fields that could not be read: field name -> translated message. Nothing was stored."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(", ".join(problems))
        self.problems = problems


class _Reader:
    """Reads fields of one form, collecting a problem per field instead of stopping."""

    def __init__(self, form: Mapping[str, str], tz: ZoneInfo):
        self.form, self.tz, self.problems = form, tz, {}

    def text(self, name: str) -> str | None:
        value = (self.form.get(name) or "").strip()
        if len(value) > MAX_TEXT:
            self.problems[name] = str(MESSAGES["too_long"])
        return value or None

    def choice(self, name: str, enum, default=None):
        value = self.form.get(name) or default
        try:
            return enum(value)
        except ValueError:
            self.problems[name] = str(MESSAGES[name])
            return None

    def amount(self, name: str, *, required: bool = False) -> Decimal | None:
        raw = (self.form.get(name) or "").replace(",", "").replace("，", "").strip()
        raw = raw.lstrip("¥$￥").removesuffix("元").strip()
        if not raw:
            if required:
                self.problems[name] = str(MESSAGES["amount_required"])
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not Decimal(0) < value <= MAX_AMOUNT \
                or value.as_tuple().exponent < -2:
            self.problems[name] = str(MESSAGES["amount"])
            return None
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        raw = (self.form.get(name) or "").strip()
        if not raw:
            if required:
                self.problems[name] = str(MESSAGES["date_required"])
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problems[name] = str(MESSAGES["date"])
            return None

    def moment(self, day_name: str, time_name: str, *, required: bool = False,
               stand_in: time = DATE_ONLY_DUE) -> tuple[datetime | None, TimePrecision]:
        """The date and time typed, and whether the time was (`minute`) or only the date
        (`day`: the moment is the date at `stand_in`, a time never shown)."""
        day = self.day(day_name, required=required)
        raw = (self.form.get(time_name) or "").strip()
        clock, precision = stand_in, TimePrecision.day
        if raw:
            try:
                clock, precision = time.fromisoformat(raw), TimePrecision.minute
            except ValueError:
                self.problems[time_name] = str(MESSAGES["time"])
        if day is None:
            return None, TimePrecision.minute
        return datetime.combine(day, clock, tzinfo=self.tz), precision

    def count(self, name: str) -> int:
        try:
            value = int(self.form.get(name) or "")
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_INSTALMENTS:
            self.problems[name] = str(MESSAGES["count"])
        return value

    def done(self) -> None:
        if self.problems:
            raise FormProblems(self.problems)


def read_terms(form: Mapping[str, str], tz: ZoneInfo) -> PromiseTerms:
    """A single promise: party, kind, amount, due date and time, conditions, description."""
    read = _Reader(form, tz)
    party = read.choice("party", PromiseParty, "me")
    kind = read.choice("kind", PromiseKind, "payment")
    if kind == PromiseKind.instalment_plan:
        read.problems["kind"] = str(MESSAGES["kind"])
    due, precision = read.moment("due_date", "due_time")
    terms = PromiseTerms(party, kind, read.amount("amount"), None, due,
                         read.text("conditions"), read.text("description"), precision)
    read.done()
    return terms


def read_plan(form: Mapping[str, str], tz: ZoneInfo
              ) -> tuple[PromiseParty, list[InstalmentTerms], str | None]:
    """A plan typed as a rule: `count` instalments of `each`, the first on `first_date`, then
    every month (or week, `every` = "week")."""
    read = _Reader(form, tz)
    party = read.choice("party", PromiseParty, "me")
    count, each = read.count("count"), read.amount("each", required=True)
    first, precision = read.moment("first_date", "due_time", required=True)
    conditions = read.text("conditions")
    read.done()
    step = relativedelta(weeks=1) if form.get("every") == "week" else relativedelta(months=1)
    return party, [InstalmentTerms(_nth(first, step, i), each, precision)
                   for i in range(count)], conditions


def read_plan_rows(form: Mapping[str, str], tz: ZoneInfo, count: int
                   ) -> tuple[PromiseParty, list[InstalmentTerms], str | None]:
    """A suggested plan as a person corrected it: who made it, its conditions, and its
    instalments as rows `inst-<n>-date` / `inst-<n>-time` / `inst-<n>-amount` (n from 1); a
    row left blank is dropped."""
    read = _Reader(form, tz)
    party, conditions = read.choice("party", PromiseParty, "me"), read.text("conditions")
    rows = []
    for n in range(1, count + 1):
        due, precision = read.moment(f"inst-{n}-date", f"inst-{n}-time")
        amount = read.amount(f"inst-{n}-amount")
        if due is not None or amount is not None:
            rows.append(InstalmentTerms(due, amount, precision))
    if not rows:
        read.problems["inst-1-date"] = str(MESSAGES["date_required"])
    read.done()
    return party, rows, conditions


def read_payment(form: Mapping[str, str], tz: ZoneInfo, now: datetime) -> dict:
    """A payment: when, amount, method, reference, receipt and promise ids. No date: now (it
    is being recorded as it is made); a date without a time: that date, `paid_precision` day
    (never the current clock time); a time without a date: today at that time."""
    read = _Reader(form, tz)
    paid_at, precision = read.moment("paid_date", "paid_time", stand_in=MIDDAY)
    if paid_at is None:
        raw = (form.get("paid_time") or "").strip()
        clock = _clock(raw) if raw else None
        if raw and clock is None:
            read.problems["paid_time"] = str(MESSAGES["time"])
        local_now = now.astimezone(tz)
        paid_at = datetime.combine(local_now.date(), clock, tzinfo=tz) if clock else now
        precision = TimePrecision.minute
    values = {"paid_at": paid_at, "paid_precision": precision,
              "amount": read.amount("amount", required=True),
              "method": read.choice("method", PaymentMethod),
              "reference": read.text("reference"), "note": read.text("note"),
              "receipt_id": _id(form.get("receipt_id")),
              "promise_id": _id(form.get("promise_id"))}
    read.done()
    return values


def _clock(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return None


def _id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _nth(first: datetime, step: relativedelta, index: int) -> datetime:
    """The index-th date after `first`, keeping its local time (a month later on the 31st is
    the month's last day)."""
    local = first.replace(tzinfo=None) + step * index
    return local.replace(tzinfo=first.tzinfo)

