"""Option values the command groups share, parsed in one place: a moment (`--at`, `--due`), an
amount (`--amount`) and the account to act as (`--user`). Errors name the option."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import click

from logger import accounts


def parse_moment(value: str | None, tz: ZoneInfo, option: str) -> datetime | None:
    """An ISO date and time (local in `tz` unless it has an offset); a bare date is 23:59."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date and time like 2024-12-03T15:30",
                                 param_hint=option) from None
    if len(value) == 10:
        moment = moment.replace(hour=23, minute=59)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


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
