"""The hardship page's forms read into typed values: every field that cannot be read gets a
message naming it (FormProblems), and then nothing is stored. Amounts are exact decimals
("3500", "3,500.50", "3500元" all read as 3500); a field left empty is None."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from logger.hardship.application import Circumstances
from storage.models import Channel
from storage.models.hardship import HardshipCause, HardshipRequest, PlanKind

MAX_AMOUNT = Decimal("1000000000")  # a billion: beyond any personal budget, a typo
_CURRENCY_MARKS = re.compile(r"[,，\s¥￥元]|^(CNY|RMB)", re.IGNORECASE)


class FormProblems(ValueError):
    """field name -> the message shown beside it."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(", ".join(problems))
        self.problems = problems


class _Reader:
    def __init__(self, form: Mapping[str, str]):
        self.form, self.problems = form, {}

    def text(self, name: str) -> str | None:
        return " ".join(self.form.get(name, "").split()) or None

    def long_text(self, name: str) -> str | None:
        return self.form.get(name, "").strip() or None

    def amount(self, name: str) -> Decimal | None:
        raw = self.form.get(name, "").strip()
        if not raw:
            return None
        try:
            value = Decimal(_CURRENCY_MARKS.sub("", raw))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or abs(value) >= MAX_AMOUNT:
            self.problems[name] = _("“%(value)s” is not an amount: write digits, for example "
                                    "3500 or 3500.50.", value=raw)
            return None
        if value < 0:
            self.problems[name] = _("An amount cannot be negative: write 0 or more.")
            return None
        return value

    def whole(self, name: str, *, low: int, high: int) -> int | None:
        raw = self.form.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit() or not low <= int(raw) <= high:
            self.problems[name] = _("“%(value)s” is not a whole number from %(low)s to "
                                    "%(high)s.", value=raw, low=low, high=high)
            return None
        return int(raw)

    def day(self, name: str) -> date | None:
        raw = self.form.get(name, "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problems[name] = _("“%(value)s” is not a date such as 2026-12-15.", value=raw)
            return None

    def choice(self, name: str, enum, *, required: bool = False):
        raw = self.form.get(name, "").strip()
        if not raw:
            if required:
                self.problems[name] = _("Choose one.")
            return None
        try:
            return enum(raw)
        except ValueError:
            self.problems[name] = _("Choose one of the choices offered.")
            return None

    def done(self) -> None:
        if self.problems:
            raise FormProblems(self.problems)


def read_circumstances(form: MultiDict) -> Circumstances:
    """The circumstances form. Raises FormProblems."""
    r = _Reader(form)
    requests = []
    for value in form.getlist("requests"):
        try:
            requests.append(HardshipRequest(value))
        except ValueError:
            r.problems["requests"] = _("Choose one of the choices offered.")
    margin = r.amount("safety_margin_percent")
    values = Circumstances(
        applicant_name=r.text("applicant_name"), monthly_income=r.amount("monthly_income"),
        income_source=r.text("income_source"), essential_expenses=r.amount("essential_expenses"),
        dependants=r.whole("dependants", low=0, high=30), other_debts=r.long_text("other_debts"),
        other_debt_payments=r.amount("other_debt_payments"),
        cause=r.choice("cause", HardshipCause), hardship_since=r.day("hardship_since"),
        hardship_details=r.long_text("hardship_details"), requests=requests,
        safety_margin_percent=margin if margin is not None else Decimal(20))
    r.done()
    return values


def read_plan(form: Mapping[str, str]) -> dict:
    """The plan form: the keyword arguments of `save_plan`. The instalment and the count count
    as typed only when they differ from what the form showed (`shown_amount`,
    `shown_count`), so changing one computes the other. Raises FormProblems."""
    r = _Reader(form)
    kind = r.choice("plan_kind", PlanKind, required=True)
    amount, count = r.amount("instalment_amount"), r.whole("instalment_count", low=1, high=120)
    shown = _Reader({"a": form.get("shown_amount", ""), "c": form.get("shown_count", "")})
    shown_amount, shown_count = shown.amount("a"), shown.whole("c", low=1, high=10 ** 6)
    values = dict(kind=kind, start_date=r.day("start_date"),
                  settlement_percent=r.amount("settlement_percent"),
                  pause_months=r.whole("pause_months", low=1, high=24),
                  amount=amount if amount != shown_amount else None,
                  count=count if count != shown_count else None,
                  use_proposal=bool(form.get("use_proposal")))
    if values["settlement_percent"] is not None and values["settlement_percent"] == 0:
        r.problems["settlement_percent"] = _("Write a percentage more than 0, up to 100.")
    r.done()
    if values["use_proposal"]:
        values.update(amount=None, count=None)
    return values


def read_sent(form: Mapping[str, str]) -> dict:
    """The "mark as sent" form: day, channel, language, format. Raises FormProblems."""
    r = _Reader(form)
    sent_on = r.day("sent_on")
    if sent_on is None and "sent_on" not in r.problems:
        r.problems["sent_on"] = _("Give the day you sent it.")
    channel = r.choice("channel", Channel, required=True)
    language = form.get("language", "")
    file_format = form.get("format", "")
    if language not in ("zh", "en"):
        r.problems["language"] = _("Choose one of the choices offered.")
    if file_format not in ("pdf", "docx"):
        r.problems["format"] = _("Choose one of the choices offered.")
    r.done()
    return dict(sent_on=sent_on, channel=channel, language=language, file_format=file_format)
