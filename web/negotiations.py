"""Negotiations: the overview (the home page), create and edit; and the template helpers the
negotiation header (`negotiations/_header.html`) uses on other blueprints' pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import (format_currency, format_timedelta, get_timezone, gettext as _,
                         lazy_gettext)
from sqlmodel import select

from logger.negotiations import (COMMON_CREDITORS, NegotiationInvalid, NegotiationStatus,
                                 add_negotiation, edit_negotiation, negotiation_statuses,
                                 parse_fields)
from logger.sharing import shared_with, visible_ids
from storage.models import Negotiation
from web.access import current_user, db, negotiation_for

bp = Blueprint("negotiations", __name__)

COMMON_CURRENCIES = ("CNY", "HKD", "MOP", "TWD", "USD", "EUR", "GBP", "SGD", "JPY")
PROBLEM_MESSAGES = {
    "required": lazy_gettext("Name the creditor, for example 信用飞 or your bank card."),
    "too_long": lazy_gettext("Shorten this to 200 characters or fewer."),
    "not_an_amount": lazy_gettext("Write an amount in digits, for example 12345.67."),
    "negative": lazy_gettext("An amount cannot be negative."),
    "too_precise": lazy_gettext("Use at most two decimals (fen / cents)."),
    "too_large": lazy_gettext("This amount is too large; check the number of zeros."),
    "bad_currency": lazy_gettext("Use a three-letter currency code such as CNY."),
    "not_a_date": lazy_gettext("Write a date such as 2024-12-03."),
    "in_future": lazy_gettext("This date is in the future; the debt cannot be overdue yet."),
    "bad_language": lazy_gettext("Choose Chinese, English or automatic."),
}


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    """Whether a page exists (the header links to other parts' pages only once they do)."""
    return endpoint in current_app.view_functions


@bp.app_template_global()
def negotiation_status(negotiation: Negotiation) -> NegotiationStatus:
    return negotiation_statuses(db(), [negotiation], today=local_today(), with_counts=False)[0]


@bp.app_template_global()
def money(amount: Decimal | None, currency: str) -> str:
    """An amount in the reader's locale ("¥12,000.00"), or a dash when unknown."""
    return "—" if amount is None else format_currency(amount, currency)


@bp.app_template_global()
def ago(moment: datetime) -> str:
    """How long ago, in words ("3 days ago"). (Flask-Babel's timedeltaformat filter subtracts
    an aware time from a naive one.)"""
    return format_timedelta(moment - datetime.now(UTC), add_direction=True)


def local_today() -> date:
    """Today in the page's time zone (web.zone: the negotiation's on its pages, else the
    reader's): days overdue change at that midnight, not UTC's."""
    return datetime.now(get_timezone()).date()


@bp.get("/")
def overview():
    # The active ones; `?archived=1` the archived ones (web.tidy archives and reopens).
    archived = request.args.get("archived") == "1"
    visible = select(Negotiation).where(Negotiation.id.in_(visible_ids(current_user())))
    negotiations = list(db().exec(visible.where(
        Negotiation.archived_at.is_not(None) if archived else Negotiation.archived_at.is_(None))))
    archived_count = len(db().exec(visible.where(Negotiation.archived_at.is_not(None))).all())
    statuses = negotiation_statuses(db(), _by_urgency(negotiations), today=local_today())
    return render_template("negotiations/overview.html", statuses=statuses,
                           shared=shared_with(db(), current_user()), archived=archived,
                           archived_count=archived_count)


def _by_urgency(negotiations: list[Negotiation]) -> list[Negotiation]:
    """Longest overdue first, then those without a date, newest first among equals."""
    return sorted(negotiations, key=lambda n: (n.overdue_since is None,
                                               n.overdue_since or date.max, -n.id))


@bp.route("/negotiations/new", methods=["GET", "POST"])
def create():
    form: Mapping[str, str] = request.form if request.method == "POST" else {"currency": "CNY"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            values = parse_fields(request.form, today=local_today())
        except NegotiationInvalid as e:
            errors = _messages(e)
        else:
            negotiation = add_negotiation(db(), owner=current_user(), **values)
            flash(_("Negotiation with %(creditor)s started. Add the first evidence: a call "
                    "recording, a screenshot, an email or a letter.",
                    creditor=negotiation.creditor), "success")
            return redirect(_negotiation_home(negotiation))
    return _render_form("negotiations/form.html", form, errors, negotiation=None)


@bp.route("/negotiations/<int:negotiation_id>/edit", methods=["GET", "POST"])
def edit(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "edit")
    form: Mapping[str, str] = request.form if request.method == "POST" else _as_form(negotiation)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            values = parse_fields(request.form, today=local_today())
        except NegotiationInvalid as e:
            errors = _messages(e)
        else:
            changed = edit_negotiation(db(), negotiation, actor=current_user(), values=values)
            if changed:
                flash(_("Saved. The change is recorded in the custody log."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(_negotiation_home(negotiation))
    return _render_form("negotiations/form.html", form, errors, negotiation=negotiation)


def _render_form(template: str, form: Mapping[str, str], errors: dict[str, str], *,
                 negotiation: Negotiation | None):
    return render_template(template, form=form, errors=errors, negotiation=negotiation,
                           creditors=COMMON_CREDITORS, currencies=COMMON_CURRENCIES,
                           today=local_today().isoformat()), 400 if errors else 200


def _messages(error: NegotiationInvalid) -> dict[str, str]:
    return {name: str(PROBLEM_MESSAGES[code]) for name, code in error.problems.items()}


def problem_text(error: NegotiationInvalid) -> str:
    """Every problem of the fields, in the reader's language, as one line (the JSON API's
    message; the domain's own message is English, for the CLI and logs)."""
    return " ".join(_messages(error).values())


def _as_form(negotiation: Negotiation) -> dict[str, str]:
    """The stored values as the form shows them."""
    return {
        "creditor": negotiation.creditor,
        "collection_agency": negotiation.collection_agency or "",
        "account_reference": negotiation.account_reference or "",
        "principal": "" if negotiation.principal is None else str(negotiation.principal),
        "outstanding": "" if negotiation.outstanding is None else str(negotiation.outstanding),
        "currency": negotiation.currency,
        "overdue_since": negotiation.overdue_since.isoformat() if negotiation.overdue_since
        else "",
        "language": negotiation.language or "auto",
    }


def _negotiation_home(negotiation: Negotiation) -> str:
    if has_endpoint("timeline.show"):
        return url_for("timeline.show", negotiation_id=negotiation.id)
    return url_for("negotiations.overview")
