"""Promises and payments of one negotiation: the page (due next, plans, history, payments,
totals), adding and changing promises, recording and matching payments; and accepting or
dismissing the suggestions shown on an evidence page (promises/_suggestions.html, which loads
them itself through `promise_suggestions(evidence)`).

The notification list, the calendar feed and the reminder settings live in
web.promises.notifications, on this blueprint. Ids other than the negotiation's or the item's
come in the form and must belong to that negotiation or item (404 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import (abort, flash, g, redirect, render_template, request, url_for)
from flask_babel import gettext as _, lazy_gettext
from sqlmodel import select

from logger.errors import NotFound
from logger.promises.payments import (Balance, balances_of, get_payment, list_payments, match_payment,
                             payments_by_promise, record_payment, suggest_match, totals)
from logger.promises.promises import (OPEN_STATUSES, PromiseError, PromiseTerms, add_plan,
                             add_promise, cancel_promise, change_promise, get_promise,
                             instalments_of, list_promises, mark_promise)
from logger.promises.suggestions import (accept_suggestion, dismiss_suggestion, get_suggestion,
                                        open_suggestions, suggested_instalments,
                                        suggested_terms)
from logger.record.trash import live
from logger.reminders.notifications import unread_count
from storage.models import Evidence, Negotiation
from storage.models.promises import (PaymentMethod, Promise, PromiseKind, PromiseParty,
                                     PromiseStatus, PromiseSuggestion, SuggestionStatus)
from web.access import current_user, db, evidence_for, negotiation_for
from web.promises.basis import counted_from
from web.promises.forms import (KIND_LABELS, FormProblems, read_payment, read_plan,
                               read_plan_rows, read_terms)
from web.promises.times import due_when, local_parts, when
from web.sessions import now
from web.state import app_state
from web.zone import page_zone, zone_of

from web.promises import bp

PARTY_LABELS = {PromiseParty.me: lazy_gettext("You"),
                PromiseParty.them: lazy_gettext("The other side")}
STATUS_LABELS = {PromiseStatus.pending: lazy_gettext("Pending"),
                 PromiseStatus.kept: lazy_gettext("Kept"),
                 PromiseStatus.missed: lazy_gettext("Not kept"),
                 PromiseStatus.cancelled: lazy_gettext("Cancelled"),
                 PromiseStatus.superseded: lazy_gettext("Replaced")}
METHOD_LABELS = {PaymentMethod.bank_transfer: lazy_gettext("Bank transfer"),
                 PaymentMethod.alipay: lazy_gettext("Alipay (支付宝)"),
                 PaymentMethod.wechat: lazy_gettext("WeChat Pay (微信)"),
                 PaymentMethod.app: lazy_gettext("Repayment in the lender's app"),
                 PaymentMethod.other: lazy_gettext("Other")}


@dataclass
class Ledger:
    """What the promises page shows, grouped."""

    due_next: list[Promise] = field(default_factory=list)
    undated: list[Promise] = field(default_factory=list)
    plans: list[tuple[Promise, list[Promise]]] = field(default_factory=list)
    history: list[Promise] = field(default_factory=list)
    withdrawn: list[Promise] = field(default_factory=list)
    balances: dict[int, Balance] = field(default_factory=dict)


def unread_notifications() -> int:
    """How many of the signed-in account's notifications are unread (for base.html)."""
    user = g.get("user")
    if user is None or app_state().services is None:
        return 0
    return unread_count(db(), user)


def promise_suggestions(evidence: Evidence) -> list[PromiseSuggestion]:
    """The item's open suggestions (promises/_suggestions.html; the item is already the
    reader's: the evidence page loaded it through evidence_for)."""
    return open_suggestions(db(), evidence.id)


@bp.record_once
def template_globals(state) -> None:
    """Functions every template may call (imported macros see globals, not context)."""
    state.app.jinja_env.globals.update(
        unread_notifications=unread_notifications, promise_suggestions=promise_suggestions,
        local_parts=local_parts, when=when, due_when=due_when, counted_from=counted_from,
        suggested_instalments=suggested_instalments,
        suggested_terms=suggested_terms,
        party_label=lambda v: PARTY_LABELS.get(v, _("Not known")),
        kind_label=lambda v: KIND_LABELS.get(v, v),
        status_label=lambda v: STATUS_LABELS.get(v, v),
        method_label=lambda v: METHOD_LABELS.get(v, v),
        promise_kinds=[k for k in PromiseKind if k != PromiseKind.instalment_plan],
        payment_methods=list(PaymentMethod))


@bp.get("/negotiations/<int:negotiation_id>/promises")
def show(negotiation_id: int):
    return _render(negotiation_for(negotiation_id, "view"))


@bp.post("/negotiations/<int:negotiation_id>/promises")
def add(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    try:
        terms = read_terms(request.form, zone_of(negotiation))
    except FormProblems as e:
        return _render(negotiation, errors=e.problems, form="promise")
    add_promise(db(), negotiation=negotiation, actor=current_user(), terms=terms,
                tz=zone_of(negotiation))
    flash(_("The promise was recorded. Reminders of yours go out before it is due."), "success")
    return _back(negotiation)


@bp.post("/negotiations/<int:negotiation_id>/promises/plan")
def add_instalment_plan(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    try:
        party, instalments, conditions = read_plan(request.form, zone_of(negotiation))
    except FormProblems as e:
        return _render(negotiation, errors=e.problems, form="plan")
    add_plan(db(), negotiation=negotiation, actor=current_user(), party=party,
             instalments=instalments, tz=zone_of(negotiation), conditions=conditions)
    flash(_("The plan was recorded with %(count)d instalments.", count=len(instalments)),
          "success")
    return _back(negotiation)


@bp.post("/negotiations/<int:negotiation_id>/promises/change")
def change(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    promise = _promise_in(negotiation, request.form.get("promise_id"))
    try:
        terms = read_terms(request.form, zone_of(negotiation))
    except FormProblems as e:
        return _render(negotiation, errors=e.problems, form=f"change-{promise.id}")
    try:
        changed = change_promise(db(), promise, actor=current_user(), terms=terms)
    except PromiseError:
        flash(_("This promise can no longer be changed."), "error")
        return _back(negotiation)
    flash(_("Saved. A new date replaces the promise with a new one; the old one stays in the "
            "history.") if changed.id != promise.id else _("Saved."), "success")
    return _back(negotiation)


@bp.post("/negotiations/<int:negotiation_id>/promises/cancel")
def cancel(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    promise = _promise_in(negotiation, request.form.get("promise_id"))
    try:
        cancel_promise(db(), promise, actor=current_user(),
                       reason=request.form.get("reason") or None)
    except PromiseError:
        flash(_("This promise can no longer be cancelled."), "error")
        return _back(negotiation)
    flash(_("The promise was cancelled; its reminders will not go out."), "success")
    return _back(negotiation)


@bp.post("/negotiations/<int:negotiation_id>/promises/mark")
def mark(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    promise = _promise_in(negotiation, request.form.get("promise_id"))
    status = request.form.get("status")
    if status not in (PromiseStatus.kept, PromiseStatus.missed):
        abort(400)
    try:
        mark_promise(db(), promise, actor=current_user(), status=PromiseStatus(status))
    except PromiseError:
        flash(_("This promise can no longer be marked."), "error")
        return _back(negotiation)
    flash(_("Marked as kept.") if status == PromiseStatus.kept else _("Marked as missed."),
          "success")
    return _back(negotiation)


@bp.post("/negotiations/<int:negotiation_id>/payments")
def pay(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    try:
        values = read_payment(request.form, zone_of(negotiation), now())
        receipt, promise = _receipt_and_promise(negotiation, values)
    except FormProblems as e:
        return _render(negotiation, errors=e.problems, form="payment")
    payment = record_payment(db(), negotiation=negotiation, actor=current_user(),
                             paid_at=values["paid_at"], paid_precision=values["paid_precision"],
                             amount=values["amount"],
                             method=values["method"], reference=values["reference"],
                             note=values["note"], receipt=receipt, promise=promise)
    if promise is None and suggest_match(db(), payment) is not None:
        flash(_("The payment was recorded. Check the promise it seems to pay and confirm it "
                "below."), "success")
    else:
        flash(_("The payment was recorded."), "success")
    return _back(negotiation, anchor="payments")


@bp.post("/negotiations/<int:negotiation_id>/payments/match")
def match(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    promise = _promise_in(negotiation, request.form.get("promise_id"))
    try:
        payment = get_payment(db(), _int(request.form.get("payment_id")),
                              negotiation=negotiation)
        match_payment(db(), payment, promise, actor=current_user())
    except NotFound:
        abort(404)
    except PromiseError:
        flash(_("A payment can only pay one of your open payment promises."), "error")
        return _back(negotiation, anchor="payments")
    flash(_("The payment is now counted toward that promise."), "success")
    return _back(negotiation, anchor="payments")


@bp.post("/evidence/<int:evidence_id>/suggestions/accept")
def accept(evidence_id: int):
    evidence = evidence_for(evidence_id, "edit")
    suggestion = _suggestion_of(evidence)
    tz = page_zone()
    try:
        if suggestion.kind == PromiseKind.instalment_plan:
            party, plan, conditions = read_plan_rows(request.form, tz,
                                                     len(suggestion.instalments))
            terms = PromiseTerms(party, PromiseKind.instalment_plan,
                                 currency=suggestion.currency, conditions=conditions)
        else:   # the currency said (¥, $) is kept; the form does not ask for it
            terms = replace(read_terms(request.form, tz), currency=suggestion.currency)
            plan = None
    except FormProblems as e:
        flash(" ".join(e.problems.values()), "error")
        return _back_to_item(evidence)
    try:
        accept_suggestion(db(), suggestion, actor=current_user(), terms=terms,
                          instalments=plan)
    except PromiseError:
        flash(_("This suggestion was already decided."), "error")
        return _back_to_item(evidence)
    flash(_("Recorded as a promise. It is on the promises page of this negotiation."),
          "success")
    return _back_to_item(evidence)


@bp.post("/evidence/<int:evidence_id>/suggestions/dismiss")
def dismiss(evidence_id: int):
    evidence = evidence_for(evidence_id, "edit")
    try:
        dismiss_suggestion(db(), _suggestion_of(evidence), actor=current_user())
    except PromiseError:
        flash(_("This suggestion was already decided."), "error")
        return _back_to_item(evidence)
    flash(_("Dismissed: it will not be suggested again."), "success")
    return _back_to_item(evidence)


# --- Helpers -----------------------------------------------------------------------------------


def _render(negotiation: Negotiation, *, errors: dict[str, str] | None = None,
            form: str | None = None):
    session = db()
    ledger = _ledger(negotiation)
    payments = list_payments(session, negotiation)
    suggestions = session.exec(select(PromiseSuggestion, Evidence).join(Evidence).where(
        Evidence.negotiation_id == negotiation.id, live(),
        PromiseSuggestion.status == SuggestionStatus.open)
        .order_by(PromiseSuggestion.id)).all()
    receipts = session.exec(select(Evidence).where(Evidence.negotiation_id == negotiation.id, live())
                            .order_by(Evidence.id.desc()).limit(200)).all()
    payable = [p for p in list_promises(session, negotiation)
               if p.party == PromiseParty.me and p.kind == PromiseKind.payment
               and p.status in OPEN_STATUSES]
    return render_template(
        "promises/page.html", negotiation=negotiation, ledger=ledger,
        totals=totals(session, negotiation), payments=payments,
        paid_toward=payments_by_promise(session, negotiation),
        likely={p.id: suggest_match(session, p) for p in payments if p.promise_id is None},
        suggestions=suggestions, receipts=receipts, payable=payable, errors=errors or {},
        open_form=form, values=request.form if errors else {},
        now=now()), 400 if errors else 200


def _ledger(negotiation: Negotiation) -> Ledger:
    session = db()
    promises = list_promises(session, negotiation)
    ledger = Ledger(balances=balances_of(session, promises))
    for p in promises:
        if p.kind == PromiseKind.instalment_plan:
            if p.status in OPEN_STATUSES or p.status == PromiseStatus.kept:
                ledger.plans.append((p, instalments_of(session, p)))
            else:
                ledger.withdrawn.append(p)
        elif p.status == PromiseStatus.pending:
            (ledger.due_next if p.due_at else ledger.undated).append(p)
        elif p.status in (PromiseStatus.kept, PromiseStatus.missed):
            ledger.history.append(p)
        else:
            ledger.withdrawn.append(p)
    ledger.history.sort(key=lambda p: p.settled_at or p.created_at, reverse=True)
    return ledger


def _promise_in(negotiation: Negotiation, raw_id: str | None) -> Promise:
    try:
        return get_promise(db(), _int(raw_id), negotiation=negotiation)
    except NotFound:
        abort(404)


def _suggestion_of(evidence: Evidence) -> PromiseSuggestion:
    try:
        return get_suggestion(db(), _int(request.form.get("suggestion_id")), evidence=evidence)
    except NotFound:
        abort(404)


def _receipt_and_promise(negotiation: Negotiation, values: dict
                         ) -> tuple[Evidence | None, Promise | None]:
    """The chosen receipt and promise, each of this negotiation (else a form problem)."""
    problems = {}
    receipt = promise = None
    if values["receipt_id"] is not None:
        receipt = db().get(Evidence, values["receipt_id"])
        if receipt is None or receipt.negotiation_id != negotiation.id:
            problems["receipt_id"] = _("Choose a receipt from this negotiation's evidence.")
    if values["promise_id"] is not None:
        promise = db().get(Promise, values["promise_id"])
        if promise is None or promise.negotiation_id != negotiation.id or \
                promise.party != PromiseParty.me or promise.kind != PromiseKind.payment or \
                promise.status not in OPEN_STATUSES:
            problems["promise_id"] = _("Choose one of your open payment promises.")
    if problems:
        raise FormProblems(problems)
    return receipt, promise


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        abort(404)


def _back(negotiation: Negotiation, anchor: str | None = None):
    return redirect(url_for("promises.show", negotiation_id=negotiation.id, _anchor=anchor))


def _back_to_item(evidence: Evidence):
    return redirect(url_for("evidence.show", evidence_id=evidence.id,
                            _anchor="promise-suggestions"))

