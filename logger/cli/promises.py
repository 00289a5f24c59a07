"""CLI commands about promises: the `promises` group. `suggest` reads text without storing
anything; `list`, `add`, `suggestions`, `accept`, `dismiss`, `change`, `cancel`, `mark` work on
the stored promises; `pay`, `payments`, `match` (logger.cli.payments) on payments. Registered on
the `liuhen` group by logger.cli. `confirmation-request`, `link-writing`, `unlink-writing`
(logger.cli.writing) are about promises in writing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from logger.cli import payments as cli_payments
from logger.cli import writing as cli_writing
from logger.cli.options import LazyChoice, actor_for, parse_amount, parse_when
from logger.cli.output import emit, promise_line
from logger.errors import LiuhenError

if TYPE_CHECKING:
    from logger.promises.promises import InstalmentTerms
    from logger.promises.text import Suggestion
    from storage.models.promises import PromiseSuggestion

KINDS = LazyChoice("storage.models.promises:PromiseKind")
PARTIES = LazyChoice("storage.models.promises:PromiseParty")


@click.group("promises")
def promises() -> None:
    """Promises made by either side: payments, instalment plans, waivers, stops to calls."""


@promises.command("suggest")
@click.option("--text", required=True, help="The words said or written, e.g. 我下周五还3000.")
@click.option("--at", "at",
              help="When they were said, e.g. 2024-12-03T15:30 (local time unless it has an "
                   "offset), or the date alone; relative days such as 下周五 or 'by Friday' "
                   "count from it. Without it, and without times at the start of the text's "
                   "lines, such days are not counted (never from today).")
@click.option("--lang", type=click.Choice(["zh", "en"]),
              help="Language of the text (default: guessed from it).")
@click.option("--side", type=click.Choice(["me", "them"]),
              help="Who said it, when known (default: read from the wording).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def suggest(obj, text: str, at: str | None, lang: str | None, side: str | None,
            as_json: bool) -> None:
    """Find promise-like statements in TEXT and print them as suggestions (nothing is stored:
    a promise is only recorded once a person confirms it)."""
    if not text.strip():
        raise LiuhenError("the text is empty: pass the words to read with --text")
    from logger.promises.text import suggest_from_stamped_text, suggest_promises
    from logger.promises.text.anchors import Anchor
    tz = obj.config.locale.zone
    moment, precision = parse_when(at, tz, "--at")
    if side:
        found = suggest_promises(text, at=moment, tz=tz, language=lang, side=side,
                                 precision=precision)
    else:
        found = suggest_from_stamped_text(text, at=moment, tz=tz, language=lang,
                                          precision=precision, anchor=Anchor.given)
    lines = [_line(s) for s in found]
    emit([s.to_dict() for s in found], as_json,
         "\n".join(lines) if lines else "no promise-like statements found")


def _line(s: Suggestion) -> str:
    """One suggestion for people: who, what, how much, when, the quote; a plan's instalments
    indented under it."""
    from logger.promises.text.amounts import format_amount
    from storage.models.types import TimePrecision
    parts = [f"{s.who:<7}", f"{s.kind:<15}"]
    if s.amount is not None:
        parts.append(f"{format_amount(s.amount)} {s.currency}")
    if s.due is not None:
        parts.append(f"due {_day_or_time(s.due, s.due_precision)}")
    elif s.basis is not None and s.basis.unresolved:
        parts.append(f"“{s.basis.words}”: not counted (when was it said? give --at)")
    if s.condition:
        parts.append(f"if “{s.condition}”")
    lines = ["  ".join(parts) + f"  “{s.quote}”"]
    for p in s.instalments:
        due = _day_or_time(p.due, TimePrecision.day) if p.due else "date not said"
        amount = (f"{format_amount(p.amount)} {s.currency}" if p.amount is not None
                  else "amount not said")
        lines.append(f"    {p.number}. {due}  {amount}")
    return "\n".join(lines)


# --- Stored promises ---------------------------------------------------------------------------


@promises.command("list")
@click.option("--negotiation", "negotiation_id", type=int, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_command(obj, negotiation_id: int, as_json: bool) -> None:
    """A negotiation's promises by due time, with what was paid and the totals."""
    from logger.negotiations import get_negotiation
    from logger.promises.payments import balances_of, totals
    from logger.promises.promises import list_promises, promise_dict
    from logger.promises.text.amounts import format_amount
    services = obj.services()
    with services.session() as session:
        negotiation = get_negotiation(session, negotiation_id)
        found = list_promises(session, negotiation)
        balances = balances_of(session, found)
        sums = totals(session, negotiation)
        data = {"promises": [{**promise_dict(p), "paid": str(balances[p.id].paid),
                              "shortfall": _text(balances[p.id].shortfall)} for p in found],
                "totals": {"currency": sums.currency, "promised": str(sums.promised),
                           "paid": str(sums.paid), "outstanding": str(sums.outstanding)}}
        lines = [("    " if p.plan_id else "") + promise_line(p, balances[p.id]) for p in found]
    lines.append(f"promised {format_amount(sums.promised)}  paid {format_amount(sums.paid)}  "
                 f"outstanding {format_amount(sums.outstanding)} {sums.currency}")
    emit(data, as_json, "\n".join(lines))


@promises.command("add")
@click.option("--negotiation", "negotiation_id", type=int, required=True)
@click.option("--party", type=PARTIES, default="me", show_default=True,
              help="Who promised: me (the debtor) or them (the creditor or its agency).")
@click.option("--kind", type=KINDS, default="payment", show_default=True)
@click.option("--amount", help="How much, e.g. 3000.")
@click.option("--currency", help="Default: the negotiation's.")
@click.option("--due", help="When it falls due, e.g. 2024-12-13T18:00 (local time), or a bare "
                            "date, 2024-12-13: due by the end of that day.")
@click.option("--instalment", "instalments", multiple=True, metavar="DUE=AMOUNT",
              help="For --kind instalment_plan, each instalment, e.g. 2024-12-15=1000.")
@click.option("--conditions", help="What it depends on, e.g. “if the penalty is waived”.")
@click.option("--description", help="What was promised, in words (for --kind other).")
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def add_command(obj, negotiation_id, party, kind, amount, currency, due, instalments,
                conditions, description, user_name, as_json) -> None:
    """Record a promise by hand (an instalment plan with one --instalment per payment)."""
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.promises.promises import PromiseTerms, add_plan, add_promise, promise_dict
    from storage.models.promises import PromiseKind, PromiseParty
    services = obj.services()
    with services.session() as session:
        negotiation = get_negotiation(session, negotiation_id)
        tz = negotiation_zone(session, negotiation, default_zone=services.config.locale.zone)
        actor = actor_for(session, user_name)
        if kind == PromiseKind.instalment_plan:
            if not instalments:
                raise LiuhenError("an instalment plan needs its instalments: --instalment "
                                  "2024-12-15=1000 --instalment 2025-01-15=1000 ...")
            promise = add_plan(session, negotiation=negotiation, actor=actor,
                               party=PromiseParty(party), tz=tz, currency=currency,
                               conditions=conditions,
                               instalments=[_instalment(i, tz) for i in instalments])
        else:
            when, precision = _due(due, tz, "--due")
            promise = add_promise(session, negotiation=negotiation, actor=actor, tz=tz,
                                  terms=PromiseTerms(
                                      PromiseParty(party), PromiseKind(kind),
                                      parse_amount(amount, "--amount"), currency,
                                      when, conditions, description, precision))
        emit(promise_dict(promise, tz), as_json, f"recorded {promise_line(promise, tz=tz)}")


@promises.command("suggestions")
@click.option("--evidence", "evidence_id", type=int, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def suggestions_command(obj, evidence_id: int, as_json: bool) -> None:
    """The promise-like statements found in an item's text, waiting to be accepted or
    dismissed."""
    from logger.promises.suggestions import open_suggestions, suggestion_dict
    from logger.record.evidence import get_evidence
    with obj.services().session() as session:
        found = open_suggestions(session, get_evidence(session, evidence_id).id)
        data = [suggestion_dict(s) for s in found]
    lines = [f"#{d['id']:<4} {d['who']:<7} {d['kind']:<15} "
             + (f"{d['amount']} {d['currency']}  " if d["amount"] else "")
             + (f"due {d['due_at']}  " if d["due_at"] else "") + f"“{d['quote']}”" for d in data]
    emit(data, as_json, "\n".join(lines) if lines else "no open suggestions")


@promises.command("accept")
@click.argument("suggestion_id", type=int)
@click.option("--party", type=PARTIES, help="Correct who promised.")
@click.option("--kind", type=KINDS, help="Correct what was promised.")
@click.option("--amount", help="Correct the amount.")
@click.option("--due", help="Correct the due time (local).")
@click.option("--conditions", help="Correct the conditions.")
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def accept_command(obj, suggestion_id, party, kind, amount, due, conditions, user_name,
                   as_json) -> None:
    """Confirm a suggestion as a promise (a plan becomes its dated instalments), with any
    corrections given."""
    from logger.promises.promises import PromiseTerms, promise_dict
    from logger.promises.suggestions import accept_suggestion, suggested_terms
    from storage.models.promises import PromiseKind, PromiseParty
    services = obj.services()
    tz = services.config.locale.zone
    with services.session() as session:
        suggestion = _suggestion(session, suggestion_id)
        terms = suggested_terms(suggestion)
        when, precision = _due(due, ZoneInfo(suggestion.timezone), "--due")
        edits = {"party": PromiseParty(party) if party else None,
                 "kind": PromiseKind(kind) if kind else None,
                 "amount": parse_amount(amount, "--amount"),
                 "due_at": when, "due_precision": precision if when else None,
                 "conditions": conditions}
        terms = PromiseTerms(**{**vars(terms), **{k: v for k, v in edits.items() if v}})
        promise = accept_suggestion(session, suggestion, actor=actor_for(session, user_name),
                                    terms=terms)
        emit(promise_dict(promise, tz), as_json, f"accepted as {promise_line(promise, tz=tz)}")


@promises.command("dismiss")
@click.argument("suggestion_id", type=int)
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def dismiss_command(obj, suggestion_id: int, user_name: str | None, as_json: bool) -> None:
    """Record that a suggestion is not a promise."""
    from logger.promises.suggestions import dismiss_suggestion, suggestion_dict
    with obj.services().session() as session:
        suggestion = dismiss_suggestion(session, _suggestion(session, suggestion_id),
                                        actor=actor_for(session, user_name))
        emit(suggestion_dict(suggestion), as_json, f"dismissed suggestion #{suggestion.id}")


@promises.command("change")
@click.argument("promise_id", type=int)
@click.option("--amount", help="The new amount.")
@click.option("--due", help="The new due time (local); a new date supersedes the promise.")
@click.option("--conditions", help="The new conditions.")
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def change_command(obj, promise_id, amount, due, conditions, user_name, as_json) -> None:
    """Change a pending promise; its reminders follow."""
    from logger.promises.promises import PromiseTerms, change_promise, get_promise, promise_dict
    services = obj.services()
    with services.session() as session:
        promise = get_promise(session, promise_id)
        tz = ZoneInfo(promise.timezone)
        when, precision = _due(due, tz, "--due")
        terms = PromiseTerms(promise.party, promise.kind,
                             parse_amount(amount, "--amount") or promise.amount,
                             promise.currency, when or promise.due_at,
                             conditions if conditions is not None else promise.conditions,
                             promise.description,
                             precision if when else promise.due_precision)
        changed = change_promise(session, promise, actor=actor_for(session, user_name),
                                 terms=terms)
        emit(promise_dict(changed, tz), as_json, f"now {promise_line(changed, tz=tz)}")


@promises.command("cancel")
@click.argument("promise_id", type=int)
@click.option("--reason", help="Why, for the record.")
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def cancel_command(obj, promise_id, reason, user_name, as_json) -> None:
    """Withdraw a promise (a plan with its open instalments); its reminders are cancelled."""
    from logger.promises.promises import cancel_promise, get_promise, promise_dict
    with obj.services().session() as session:
        promise = cancel_promise(session, get_promise(session, promise_id),
                                 actor=actor_for(session, user_name), reason=reason)
        emit(promise_dict(promise), as_json, f"cancelled {promise_line(promise)}")


@promises.command("mark")
@click.argument("promise_id", type=int)
@click.argument("status", type=LazyChoice("storage.models.promises:PromiseStatus",
                                          only=("kept", "missed")))
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def mark_command(obj, promise_id, status, user_name, as_json) -> None:
    """Say a promise was kept (the waiver did appear) or missed."""
    from logger.promises.promises import get_promise, mark_promise, promise_dict
    from storage.models.promises import PromiseStatus
    with obj.services().session() as session:
        promise = mark_promise(session, get_promise(session, promise_id),
                               actor=actor_for(session, user_name),
                               status=PromiseStatus(status))
        emit(promise_dict(promise), as_json, f"marked {promise_line(promise)}")


def _instalment(value: str, tz: ZoneInfo) -> InstalmentTerms:
    from logger.promises.promises import InstalmentTerms
    due, sep, amount = value.partition("=")
    if not sep:
        raise click.BadParameter(f"{value!r} is not DUE=AMOUNT like 2024-12-15=1000",
                                 param_hint="--instalment")
    when, precision = _due(due, tz, "--instalment")
    return InstalmentTerms(when, parse_amount(amount, "--instalment"), precision)


def _due(value: str | None, tz: ZoneInfo, option: str):
    """A due date (`day` precision, due by the end of it) or a due date and time."""
    from logger.promises.due import DATE_ONLY_DUE
    return parse_when(value, tz, option, stand_in=DATE_ONLY_DUE)


def _day_or_time(moment: datetime, precision: str) -> str:
    from storage.models.types import TimePrecision
    return f"{moment:%Y-%m-%d}" if precision == TimePrecision.day else f"{moment:%Y-%m-%d %H:%M}"


def _suggestion(session, suggestion_id: int) -> PromiseSuggestion:
    from storage.models.promises import PromiseSuggestion
    suggestion = session.get(PromiseSuggestion, suggestion_id)
    if suggestion is None:
        raise LiuhenError(f"no suggestion #{suggestion_id} (see `liuhen promises suggestions "
                          "--evidence ID`)")
    return suggestion


def _text(value) -> str | None:
    return str(value) if value is not None else None


def register(cli: click.Group) -> None:
    cli_payments.register(promises)
    cli_writing.register(promises)
    cli.add_command(promises)
