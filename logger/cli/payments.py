"""CLI commands about payments, in the `promises` group: `pay` (record one, with its receipt),
`payments` (list them) and `match` (confirm which promise one pays)."""

from __future__ import annotations

import click

from logger.cli.options import LazyChoice, actor_for, parse_amount, parse_when
from logger.cli.output import emit, promise_line


@click.command("pay")
@click.option("--negotiation", "negotiation_id", type=int, required=True)
@click.option("--amount", required=True, help="How much was paid, e.g. 1000.")
@click.option("--at", "paid_at", required=True,
              help="When, e.g. 2024-12-12T10:30 (local time unless it has an offset), or the "
                   "date alone, 2024-12-12, when the time is not known (kept as a date).")
@click.option("--method", type=LazyChoice("storage.models.promises:PaymentMethod"),
              required=True,
              help="bank_transfer, alipay (支付宝), wechat (微信), app (the lender's app), other.")
@click.option("--reference", help="The transfer's reference number.")
@click.option("--receipt", "receipt_id", type=int,
              help="The evidence item holding the receipt (import it first).")
@click.option("--promise", "promise_id", type=int,
              help="The promise it pays; without it, the likely one is suggested.")
@click.option("--currency", help="Default: the negotiation's.")
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def pay(obj, negotiation_id, amount, paid_at, method, reference, receipt_id, promise_id,
        currency, user_name, as_json) -> None:
    """Record a payment you made."""
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.promises.payments import payment_dict, record_payment, suggest_match
    from logger.promises.promises import get_promise, promise_dict
    from logger.promises.text.amounts import format_amount
    from logger.record.evidence import get_evidence
    from storage.models.promises import PaymentMethod
    services = obj.services()
    with services.session() as session:
        negotiation = get_negotiation(session, negotiation_id)
        tz = negotiation_zone(session, negotiation, default_zone=services.config.locale.zone)
        when, precision = parse_when(paid_at, tz, "--at")
        receipt = get_evidence(session, receipt_id) if receipt_id else None
        promise = get_promise(session, promise_id, negotiation=negotiation) if promise_id \
            else None
        payment = record_payment(session, negotiation=negotiation,
                                 actor=actor_for(session, user_name),
                                 paid_at=when, paid_precision=precision,
                                 amount=parse_amount(amount, "--amount"),
                                 method=PaymentMethod(method), currency=currency,
                                 reference=reference, receipt=receipt, promise=promise)
        likely = None if promise else suggest_match(session, payment)
        data = {**payment_dict(payment, tz),
                "suggested_promise": promise_dict(likely, tz) if likely else None}
        line = f"recorded payment #{payment.id} of {format_amount(payment.amount)} " \
               f"{payment.currency}"
        if likely:
            line += (f"\nit looks like it pays {promise_line(likely, tz=tz)}\nconfirm with: "
                     f"liuhen promises match {payment.id} {likely.id}")
        emit(data, as_json, line)


@click.command("payments")
@click.option("--negotiation", "negotiation_id", type=int, required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def payments(obj, negotiation_id: int, as_json: bool) -> None:
    """A negotiation's payments, newest first."""
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.promises.payments import list_payments, payment_dict
    from logger.promises.text.amounts import format_amount
    from logger.record.moments import human_time
    services = obj.services()
    with services.session() as session:
        negotiation = get_negotiation(session, negotiation_id)
        tz = negotiation_zone(session, negotiation, default_zone=services.config.locale.zone)
        found = list_payments(session, negotiation)
        data = [payment_dict(p, tz) for p in found]
    lines = [f"#{p.id:<4} {human_time(p.paid_at, tz, p.paid_precision):<16}  "
             f"{format_amount(p.amount)} {p.currency}  {p.method}"
             + (f"  ref {p.reference}" if p.reference else "")
             + (f"  pays #{p.promise_id}" if p.promise_id else "  (not matched)")
             for p in found]
    emit(data, as_json, "\n".join(lines) if lines else "no payments yet")


@click.command("match")
@click.argument("payment_id", type=int)
@click.argument("promise_id", type=int)
@click.option("--user", "user_name", help="Act as this account (default: the owner).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def match(obj, payment_id: int, promise_id: int, user_name: str | None, as_json: bool) -> None:
    """Confirm that payment PAYMENT_ID pays promise PROMISE_ID."""
    from logger.conduct.zone import negotiation_zone
    from logger.negotiations import get_negotiation
    from logger.promises.payments import get_payment, match_payment, payment_dict
    from logger.promises.promises import get_promise
    services = obj.services()
    with services.session() as session:
        promise = get_promise(session, promise_id)
        negotiation = get_negotiation(session, promise.negotiation_id)
        tz = negotiation_zone(session, negotiation, default_zone=services.config.locale.zone)
        payment = get_payment(session, payment_id, negotiation=negotiation)
        match_payment(session, payment, promise, actor=actor_for(session, user_name))
        emit(payment_dict(payment, tz), as_json,
             f"payment #{payment.id} pays {promise_line(session.get(type(promise), promise.id))}")


def register(group: click.Group) -> None:
    for command in (pay, payments, match):
        group.add_command(command)
