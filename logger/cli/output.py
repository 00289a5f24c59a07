"""How the CLI prints: JSON for scripts, lines for people (a promise's line is shared by the
`promises` commands and the payment commands)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click


def emit(data: object, as_json: bool, text: str | None = None) -> None:
    """Print `data` as JSON (UTF-8, not escaped), or `text` for people."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif text is not None:
        click.echo(text)


def promise_line(promise, balance=None, tz: ZoneInfo | None = None) -> str:
    """One promise for people: id, who, what, how much, when, status (and what is missing)."""
    from logger.promises.due import due_text  # the promise text parsers: only when needed
    from logger.promises.text.amounts import format_amount
    parts = [f"#{promise.id:<4}", f"{promise.party:<4}",
             f"{promise.kind}" + (f" {promise.instalment}" if promise.instalment else "")]
    if promise.amount is not None:
        parts.append(f"{format_amount(promise.amount)} {promise.currency}")
    if promise.due_at is not None:
        parts.append(f"due {due_text(promise, tz)}")
    parts.append(str(promise.status))
    if balance is not None and balance.paid and balance.shortfall:
        parts.append(f"(paid {format_amount(balance.paid)}, "
                     f"{format_amount(balance.shortfall)} short)")
    if promise.conditions:
        parts.append(f"if “{promise.conditions}”")
    return "  ".join(parts)
