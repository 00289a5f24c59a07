"""The confirmation request a borrower sends after a call (请书面确认：…): what was agreed, in
Chinese or English, to paste into the lender's app chat, an SMS or an email, so that the other
side's answer puts it in writing.

It lists only what a person confirmed (promises and plans on record, never an open suggestion)
and only what is not yet in writing (logger.promises.writing): who, what, the amount with its
currency, the due date as the reader writes dates, a plan's instalments with their dates and
amounts, and the account reference. The short variant says the same in as few characters as
it can, for one SMS (`segments` says how many it takes: logger.promises.sms).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from logger.i18n import NC_, N_, translate
from logger.promises.due import zone_of
from logger.promises.promises import instalments_of
from logger.promises.sms import sms_segments
from logger.promises.writing import not_in_writing
from storage.models import Negotiation
from storage.models.promises import Promise, PromiseKind, PromiseParty, PromiseStatus
from storage.models.types import TimePrecision

WHO = {PromiseParty.me: NC_("confirm", "I"), PromiseParty.them: NC_("confirm", "You")}
# kind -> (what is promised with an amount, without one); %(who)s, %(amount)s, %(due)s.
ACTIONS = {
    PromiseKind.payment: (
        NC_("confirm", "%(who)s will pay %(amount)s%(due)s."),
        NC_("confirm", "%(who)s will make a payment%(due)s.")),
    PromiseKind.waiver: (
        NC_("confirm", "%(who)s agreed to waive %(amount)s of penalty or interest%(due)s."),
        NC_("confirm", "%(who)s agreed to waive the penalty or interest%(due)s.")),
    PromiseKind.settlement: (
        NC_("confirm", "%(who)s agreed to close the whole debt for %(amount)s paid at "
                       "once%(due)s."),
        NC_("confirm", "%(who)s agreed to close the whole debt for less, paid at once%(due)s.")),
    PromiseKind.extension: (
        NC_("confirm", "%(who)s agreed to give more time to pay %(amount)s%(until)s."),
        NC_("confirm", "%(who)s agreed to give more time to pay%(until)s.")),
    PromiseKind.stop_calls: (
        NC_("confirm", "%(who)s agreed to stop collection calls%(due)s."),) * 2,
}
# who made the plan -> (with its total, without one); the instalments are always the debtor's.
PLANS = {
    PromiseParty.me: (NC_("confirm", "I will pay in %(count)d instalments, %(total)s in all:"),
                      NC_("confirm", "I will pay in %(count)d instalments:")),
    PromiseParty.them: (NC_("confirm", "You agreed that I pay in %(count)d instalments, "
                                       "%(total)s in all:"),
                        NC_("confirm", "You agreed that I pay in %(count)d instalments:")),
}
OTHER = NC_("confirm", "%(who)s agreed: %(what)s")
SHORT = {
    PromiseKind.payment: (NC_("confirm", "%(who)s pay %(amount)s%(due)s"),
                          NC_("confirm", "%(who)s pay%(due)s")),
    PromiseKind.waiver: (NC_("confirm", "waive %(amount)s penalty"),
                         NC_("confirm", "waive the penalty")),
    PromiseKind.settlement: (NC_("confirm", "settle all for %(amount)s at once"),
                             NC_("confirm", "settle for less at once")),
    PromiseKind.extension: (NC_("confirm", "more time%(until)s"),) * 2,
    PromiseKind.stop_calls: (NC_("confirm", "stop collection calls"),) * 2,
}
SHORT_YEARLESS_DAYS = 300
SHORT_WHO = {PromiseParty.me: NC_("confirm short", "I"),
             PromiseParty.them: NC_("confirm short", "you")}


@dataclass(frozen=True)
class ConfirmationRequest:
    """The request in one language: `text` in full, `short` for one SMS, with the number of
    SMS messages each takes, and the ids of the promises and plans it lists."""

    language: str
    text: str = ""
    short: str = ""
    promise_ids: list[int] = field(default_factory=list)

    @property
    def segments(self) -> int:
        return sms_segments(self.short)

    @property
    def text_segments(self) -> int:
        return sms_segments(self.text)


def confirmation_request(session: Session, negotiation: Negotiation, *, language: str,
                         today: date, evidence_id: int | None = None) -> ConfirmationRequest:
    """The request for every open promise and plan of the negotiation not yet in writing (only
    those made in item `evidence_id` when given), in `language` ("zh" or "en"). `today` dates
    the short variant (a date of this year, or in the next 300 days, is written without its
    year). An empty request
    (no promise listed) when everything is in writing."""
    promises = not_in_writing(session, negotiation, evidence_id)
    promises.sort(key=lambda p: (p.due_at is None, p.due_at or p.created_at, p.id))
    if not promises:
        return ConfirmationRequest(language)
    lines = [translate(language, NC_("confirm", "Please confirm in writing:")),
             _about(negotiation, language)]
    for number, promise in enumerate(promises, start=1):
        lines.append(f"{number}. {_sentence(session, promise, language)}")
        lines += [f"   {line}" for line in _instalment_lines(session, promise, language)]
    lines.append(translate(language, NC_("confirm", "Please reply in writing (in the app, by "
                                                    "text message or by email) to confirm the "
                                                    "above. Thank you.")))
    short = _short(session, negotiation, promises, language, today)
    return ConfirmationRequest(language, "\n".join(lines), short, [p.id for p in promises])


# --- The full text ------------------------------------------------------------------------------


def _about(negotiation: Negotiation, language: str) -> str:
    if negotiation.account_reference:
        return translate(language, NC_("confirm", "About my debt with %(creditor)s (account "
                                                  "reference %(reference)s), we agreed:"),
                         creditor=negotiation.creditor, reference=negotiation.account_reference)
    return translate(language, NC_("confirm", "About my debt with %(creditor)s, we agreed:"),
                     creditor=negotiation.creditor)


def _sentence(session: Session, promise: Promise, language: str) -> str:
    who = translate(language, WHO.get(promise.party, WHO[PromiseParty.me]))
    if promise.kind == PromiseKind.instalment_plan:
        parts = [p for p in instalments_of(session, promise)
                 if p.status != PromiseStatus.cancelled]
        with_total, without = PLANS.get(promise.party, PLANS[PromiseParty.them])
        message = with_total if promise.amount is not None else without
        sentence = translate(language, message, count=len(parts),
                             total=money(promise.amount, promise.currency, language))
    elif promise.kind in ACTIONS:
        with_amount, without = ACTIONS[promise.kind]
        due = _due(promise, language)
        sentence = translate(
            language, with_amount if promise.amount is not None else without, who=who,
            amount=money(promise.amount, promise.currency, language),
            due=translate(language, NC_("confirm", " by %(when)s"), when=due) if due else "",
            until=translate(language, NC_("confirm", ", until %(when)s"), when=due) if due else "")
    else:   # other, or a kind this module does not know yet
        what = promise.description or promise.source_quote or str(promise.kind)
        sentence = translate(language, OTHER, who=who, what=what)
    if promise.conditions:
        sentence += translate(language, NC_("confirm", " (conditions: %(conditions)s)"),
                              conditions=promise.conditions)
    return sentence


def _instalment_lines(session: Session, promise: Promise, language: str) -> list[str]:
    if promise.kind != PromiseKind.instalment_plan:
        return []
    lines = []
    for part in instalments_of(session, promise):
        if part.status == PromiseStatus.cancelled:
            continue
        due = _due(part, language)
        values = {"number": part.instalment,
                  "amount": money(part.amount, part.currency, language), "when": due}
        message = (NC_("confirm", "instalment %(number)s: %(amount)s by %(when)s") if due
                   else NC_("confirm", "instalment %(number)s: %(amount)s, date not set"))
        lines.append(translate(language, message, **values))
    return lines


def money(amount: Decimal | None, currency: str, language: str) -> str:
    """"人民币3,000.00元" / "CNY 3,000.00"; another currency by its code."""
    if amount is None:
        return ""
    figure = f"{amount:,.2f}"
    if currency == "CNY":
        return translate(language, NC_("confirm", "CNY %(amount)s"), amount=figure)
    return f"{currency} {figure}"


def _due(promise: Promise, language: str) -> str | None:
    """The due date (and time, when one was given) in the promise's zone, as the reader writes
    dates: "2026年12月1日" / "2026-12-01"."""
    if promise.due_at is None:
        return None
    local = promise.due_at.astimezone(zone_of(promise))
    if promise.due_precision == TimePrecision.day:
        return translate(language, N_("%(year)d-%(month)02d-%(day)02d"), year=local.year,
                         month=local.month, day=local.day)
    return translate(language, N_("%(year)d-%(month)02d-%(day)02d %(time)s"), year=local.year,
                     month=local.month, day=local.day, time=local.strftime("%H:%M"))


# --- The short variant --------------------------------------------------------------------------


def _short(session: Session, negotiation: Negotiation, promises: list[Promise], language: str,
           today: date) -> str:
    parts = [_short_part(session, p, language, today) for p in promises]
    text = translate(language, NC_("confirm", "Please confirm in writing: %(items)s."),
                     items=translate(language, NC_("confirm", "; ")).join(parts))
    if negotiation.account_reference:
        text += translate(language, NC_("confirm", " Ref %(reference)s."),
                          reference=negotiation.account_reference)
    return text


def _short_part(session: Session, promise: Promise, language: str, today: date) -> str:
    who = translate(language, SHORT_WHO.get(promise.party, SHORT_WHO[PromiseParty.me]))
    if promise.kind == PromiseKind.instalment_plan:
        parts = [p for p in instalments_of(session, promise)
                 if p.status != PromiseStatus.cancelled]
        comma = translate(language, NC_("confirm", ", "))
        amounts = {(p.amount, p.currency) for p in parts}
        if len(amounts) == 1 and None not in next(iter(amounts)):
            return translate(language, NC_("confirm", "%(count)d instalments of %(amount)s: "
                                                      "%(dates)s"),
                             count=len(parts), amount=_short_money(*next(iter(amounts))),
                             dates=comma.join(_short_date(p, language, today) or "?"
                                              for p in parts))
        listed = comma.join(
            translate(language, NC_("confirm", "%(amount)s on %(when)s"),
                      amount=_short_money(p.amount, p.currency),
                      when=_short_date(p, language, today) or "?") for p in parts)
        return translate(language, NC_("confirm", "%(count)d instalments: %(parts)s"),
                         count=len(parts), parts=listed)
    if promise.kind not in SHORT:
        return promise.description or promise.source_quote or str(promise.kind)
    with_amount, without = SHORT[promise.kind]
    when = _short_date(promise, language, today)
    return translate(language, with_amount if promise.amount is not None else without, who=who,
                     amount=_short_money(promise.amount, promise.currency),
                     due=translate(language, NC_("confirm short", " by %(when)s"), when=when)
                     if when else "",
                     until=translate(language, NC_("confirm short", " until %(when)s"), when=when)
                     if when else "")


def _short_money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "?"
    figure = format(amount.normalize(), "f") if amount == amount.to_integral() else \
        f"{amount:.2f}"
    return f"¥{figure}" if currency == "CNY" else f"{currency}{figure}"


def _short_date(promise: Promise, language: str, today: date) -> str | None:
    if promise.due_at is None:
        return None
    day = promise.due_at.astimezone(zone_of(promise)).date()
    # Without its year when no one can mistake which year: this year's, or in the coming months.
    if day.year != today.year and not 0 <= (day - today).days < SHORT_YEARLESS_DAYS:
        return translate(language, N_("%(year)d-%(month)02d-%(day)02d"), year=day.year,
                         month=day.month, day=day.day)
    return translate(language, NC_("confirm", "%(month)d/%(day)d"), month=day.month, day=day.day)
