"""CLI commands about promises: the `promises` group (`promises suggest`). Registered on the
`liuhen` group by logger.cli; later commands about stored promises join the same group."""

from __future__ import annotations

from datetime import datetime

import click

from logger.errors import LiuhenError
from logger.output import emit
from logger.promise_amounts import format_amount
from logger.promise_text import Suggestion, suggest_promises


@click.group("promises")
def promises() -> None:
    """Promises made by either side: payments, instalment plans, waivers, stops to calls."""


@promises.command("suggest")
@click.option("--text", required=True, help="The words said or written, e.g. 我下周五还3000.")
@click.option("--at", "at", required=True,
              help="When they were said, e.g. 2024-12-03T15:30 (local time unless it has an "
                   "offset); relative days such as 下周五 or 'by Friday' count from it.")
@click.option("--lang", type=click.Choice(["zh", "en"]),
              help="Language of the text (default: guessed from it).")
@click.option("--side", type=click.Choice(["me", "them"]),
              help="Who said it, when known (default: read from the wording).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def suggest(obj, text: str, at: str, lang: str | None, side: str | None, as_json: bool) -> None:
    """Find promise-like statements in TEXT and print them as suggestions (nothing is stored:
    a promise is only recorded once a person confirms it)."""
    if not text.strip():
        raise LiuhenError("the text is empty: pass the words to read with --text")
    tz = obj.config.locale.zone
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise click.BadParameter(f"{at!r} is not a date and time like 2024-12-03T15:30",
                                 param_hint="--at") from None
    found = suggest_promises(text, at=moment, tz=tz, language=lang, side=side)
    lines = [_line(s) for s in found]
    emit([s.to_dict() for s in found], as_json,
         "\n".join(lines) if lines else "no promise-like statements found")


def _line(s: Suggestion) -> str:
    """One suggestion for people: who, what, how much, when, the quote; a plan's instalments
    indented under it."""
    parts = [f"{s.who:<7}", f"{s.kind:<15}"]
    if s.amount is not None:
        parts.append(f"{format_amount(s.amount)} {s.currency}")
    if s.due is not None:
        parts.append(f"due {s.due:%Y-%m-%d %H:%M}")
    if s.condition:
        parts.append(f"if “{s.condition}”")
    lines = ["  ".join(parts) + f"  “{s.quote}”"]
    for p in s.instalments:
        due = f"{p.due:%Y-%m-%d %H:%M}" if p.due else "date not said"
        amount = (f"{format_amount(p.amount)} {s.currency}" if p.amount is not None
                  else "amount not said")
        lines.append(f"    {p.number}. {due}  {amount}")
    return "\n".join(lines)


def register(cli: click.Group) -> None:
    cli.add_command(promises)
