"""Option values the command groups share, parsed in one place: a moment (`--at`, `--due`), an
amount (`--amount`), the account to act as (`--user`), a new password or passphrase (from
the environment or typed twice) and a choice among values found late (`LazyChoice`). Errors name
the option. A bare date stays a date: `parse_when` says so (`TimePrecision.day`) rather than
invent a clock time.

Like every module of logger.cli, it imports the storage and domain layers where they are used,
not at the top: a command's module is loaded for its `--help`, which needs none of them."""

from __future__ import annotations

import enum
import functools
import importlib
import os
import sys
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from logger.errors import LiuhenError

if TYPE_CHECKING:
    from storage.models.types import TimePrecision

END_OF_DAY = time(23, 59)


class LazyChoice(click.Choice):
    """A choice among the values of `source`, "module:name": an enum's values, or what a
    function returns (`only`: some of them), imported when the choices are first needed, to
    parse the option or show its help. The enums live beside the tables (storage.models) or in
    the domain, which a command's module does not load."""

    def __init__(self, source: str, *, only: tuple[str, ...] = ()) -> None:
        self.source, self.only = source, only
        self.case_sensitive = True

    @functools.cached_property
    def choices(self) -> tuple[str, ...]:
        module, name = self.source.split(":")
        found = getattr(importlib.import_module(module), name)
        values = [m.value for m in found] if isinstance(found, enum.EnumType) else found()
        return tuple(v for v in values if not self.only or v in self.only)


def parse_when(value: str | None, tz: ZoneInfo, option: str, *, stand_in: time | None = None
               ) -> tuple[datetime | None, TimePrecision]:
    """An ISO date and time (local in `tz` unless it has an offset) with `minute` precision,
    or a bare date with `day` precision: that date at `stand_in` (a time never shown; midday
    unless given)."""
    from logger.record.moments import MIDDAY
    from storage.models.types import TimePrecision
    stand_in = MIDDAY if stand_in is None else stand_in
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
    from logger import accounts
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
