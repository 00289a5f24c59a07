"""Option values the command groups share, parsed in one place: a moment (`--at`, `--due`), an
amount (`--amount`), the account to act as (`--user`) and a new password or passphrase (from
the environment or typed twice). Errors name the option. A bare date
stays a date: `parse_when` says so (`TimePrecision.day`) rather than invent a clock time."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import click

from logger import accounts
from logger.errors import LiuhenError
from logger.record.moments import MIDDAY
from storage.models.types import TimePrecision

END_OF_DAY = time(23, 59)


def parse_when(value: str | None, tz: ZoneInfo, option: str, *, stand_in: time = MIDDAY
               ) -> tuple[datetime | None, TimePrecision]:
    """An ISO date and time (local in `tz` unless it has an offset) with `minute` precision,
    or a bare date with `day` precision: that date at `stand_in` (a time never shown)."""
    if value is None:
        return None, TimePrecision.minute
    text = value.strip()
    try:
        if len(text) == 10:
            return (datetime.combine(date.fromisoformat(text), stand_in, tzinfo=tz),
                    TimePrecision.day)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date and time like 2024-12-03T15:30, "
                                 "nor a date like 2024-12-03", param_hint=option) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)), TimePrecision.minute


def parse_moment(value: str | None, tz: ZoneInfo, option: str) -> datetime | None:
    """A moment to act at (`reminders due --at`): an ISO date and time, local in `tz` unless
    it has an offset; a bare date means its last minute, 23:59."""
    return parse_when(value, tz, option, stand_in=END_OF_DAY)[0]


def parse_amount(value: str | None, option: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount (for example 3000 or 1,500.50)",
                                 param_hint=option) from None


def actor_for(session, user_name: str | None):
    """The account named by `--user`, else the owner."""
    return accounts.find_user(session, user_name) if user_name else \
        accounts.default_user(session)


def prompt_if_terminal(confirm: bool = False):
    if not sys.stdin.isatty():
        return None
    return lambda label: click.prompt(label, hide_input=True, confirmation_prompt=confirm)


def new_secret(variable: str, label: str, what: str, error: type[LiuhenError] = LiuhenError
               ) -> str:
    """A new password or passphrase: from the environment `variable`, else typed twice at a
    terminal; `error` when neither is there."""
    secret = os.environ.get(variable)
    if secret:
        return secret
    prompt = prompt_if_terminal(confirm=True)
    if prompt is None:
        raise error(f"{what} is needed: run in a terminal or set {variable}")
    return prompt(label)
