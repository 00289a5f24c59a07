"""Negotiations: one debt, one creditor, everything said and paid about it.

Besides creating and finding them: reading what a person types for their fields (every problem
reported at once, each with a `code` the web app translates), editing them with a custody event
for every change, and the status line the overview shows (days overdue, stage, last contact,
evidence counts).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum, auto
from typing import TYPE_CHECKING

from sqlmodel import Session, func, select

from logger import sharing
from logger.errors import LiuhenError, NotFound
from logger.record import custody
from logger.record.evidence import CONTACT_KINDS
from logger.record.trash import live
from storage.models import CustodyAction, Evidence, EvidenceKind, Negotiation, User
from storage.models.types import TimePrecision

if TYPE_CHECKING:  # the promise tables are defined by the commands that read promises
    from storage.models.promises import Promise

# The fields a person sets, in the order forms show them.
FIELDS = ("creditor", "collection_agency", "account_reference", "principal", "outstanding",
          "currency", "overdue_since", "language")
TEXT_FIELDS = ("creditor", "collection_agency", "account_reference")
AMOUNT_FIELDS = ("principal", "outstanding")
MAX_TEXT_CHARS = 200
# Larger than any consumer debt, small enough that a typo of many zeros is caught.
MAX_AMOUNT = Decimal("1000000000000")
# Languages a negotiation's recordings can be transcribed in; None (typed "auto") detects it.
TRANSCRIPTION_LANGUAGES = ("zh", "en")
# The common platforms and cards (DOMAIN.md), offered as suggestions when typing a creditor.
COMMON_CREDITORS = ("信用飞", "网商贷", "借呗", "花呗", "微粒贷", "京东金条", "分期乐", "招联金融",
                    "招商银行信用卡", "建设银行信用卡", "工商银行信用卡", "中国银行信用卡",
                    "交通银行信用卡", "浦发银行信用卡", "中信银行信用卡", "广发银行信用卡",
                    "平安银行信用卡")
# What each problem code means, for the CLI and logs (the web app has its own translations).
PROBLEM_TEXT = {
    "required": "is needed",
    "too_long": f"is longer than {MAX_TEXT_CHARS} characters",
    "not_an_amount": "is not an amount (write it like 12345.67)",
    "negative": "cannot be negative",
    "too_precise": "has more than two decimals",
    "too_large": f"is more than {MAX_AMOUNT:,}",
    "bad_currency": "must be a three-letter currency code such as CNY",
    "not_a_date": "is not a date (write it like 2024-12-03)",
    "in_future": "is in the future",
    "bad_language": "must be zh, en or auto",
}
_DATE_FORMS = (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
               re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"))
_AMOUNT_NOISE = re.compile(r"[\s,_]|^[¥$€£]|元$|^CNY|^RMB", re.IGNORECASE)


class NegotiationInvalid(LiuhenError):
    """What was typed for a negotiation cannot be stored; `problems` maps each field to a code
    of PROBLEM_TEXT. Nothing was changed."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{name.replace('_', ' ')} {PROBLEM_TEXT[code]}"
                                   for name, code in problems.items()))
        self.problems = problems


def add_negotiation(session: Session, *, owner: User, creditor: str,
                    collection_agency: str | None = None, account_reference: str | None = None,
                    principal: Decimal | None = None, outstanding: Decimal | None = None,
                    currency: str = "CNY", overdue_since: date | None = None,
                    language: str | None = None) -> Negotiation:
    """Create a negotiation owned by `owner` and commit."""
    creditor = creditor.strip()
    if not creditor:
        raise ValueError("the creditor's name is needed (for example 信用飞 or 招商银行信用卡)")
    negotiation = Negotiation(
        owner_id=owner.id, creditor=creditor, collection_agency=collection_agency or None,
        account_reference=account_reference or None, principal=principal,
        outstanding=outstanding, currency=currency.upper(), overdue_since=overdue_since,
        language=language)
    session.add(negotiation)
    session.commit()
    return negotiation


def get_negotiation(session: Session, negotiation_id: int, *, owner: User | None = None
                    ) -> Negotiation:
    """The negotiation with that id, if `owner` (when given) may see it; else NotFound.
    Another account's negotiation looks exactly like a missing one."""
    negotiation = session.get(Negotiation, negotiation_id)
    if negotiation is None or (owner is not None and negotiation.owner_id != owner.id):
        raise NotFound(f"no negotiation #{negotiation_id}")
    return negotiation


def list_negotiations(session: Session, *, owner: User | None = None
                      ) -> list[tuple[Negotiation, int]]:
    """Negotiations (those `owner` owns or was shared, or all) with their evidence counts,
    newest first."""
    counts = (select(Evidence.negotiation_id, func.count(Evidence.id).label("n"))
              .where(live()).group_by(Evidence.negotiation_id).subquery())
    query = (select(Negotiation, func.coalesce(counts.c.n, 0))
             .join(counts, counts.c.negotiation_id == Negotiation.id, isouter=True)
             .order_by(Negotiation.id.desc()))
    if owner is not None:
        query = query.where(Negotiation.id.in_(sharing.visible_ids(owner)))
    return [(n, count) for n, count in session.exec(query)]


# --- Reading what a person typed ---------------------------------------------------------------


def parse_fields(raw: Mapping[str, str], *, today: date) -> dict[str, object]:
    """Turn typed text (a form, a script) into the values of FIELDS. Empty optional fields
    become None; currency defaults to CNY; language "auto" or empty becomes None.

    Raises NegotiationInvalid naming every problem at once."""
    values: dict[str, object] = {}
    problems: dict[str, str] = {}
    for name in FIELDS:
        # Text fields keep what was typed; numbers and dates also accept full-width digits.
        form = "NFC" if name in TEXT_FIELDS else "NFKC"
        text = unicodedata.normalize(form, raw.get(name) or "").strip()
        try:
            values[name] = _PARSERS[name](text, today)
        except _Problem as problem:
            problems[name] = problem.code
    if problems:
        raise NegotiationInvalid(problems)
    return values


class _Problem(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _text(required: bool):
    def parse(text: str, _today: date) -> str | None:
        if not text and required:
            raise _Problem("required")
        if len(text) > MAX_TEXT_CHARS:
            raise _Problem("too_long")
        return text or None
    return parse


def _amount(text: str, _today: date) -> Decimal | None:
    if not text:
        return None
    try:
        amount = Decimal(_AMOUNT_NOISE.sub("", text))
    except InvalidOperation:
        raise _Problem("not_an_amount") from None
    if not amount.is_finite():
        raise _Problem("not_an_amount")
    if amount < 0:
        raise _Problem("negative")
    if amount.as_tuple().exponent < -2:
        raise _Problem("too_precise")
    if amount > MAX_AMOUNT:
        raise _Problem("too_large")
    return amount


def _currency(text: str, _today: date) -> str:
    code = text.upper() or "CNY"
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise _Problem("bad_currency")
    return code


def _date(text: str, today: date) -> date | None:
    if not text:
        return None
    for form in _DATE_FORMS:
        found = form.fullmatch(text)
        if found:
            try:
                day = date(*(int(part) for part in found.groups()))
            except ValueError:
                break
            if day > today:
                raise _Problem("in_future")
            return day
    raise _Problem("not_a_date")


def _language(text: str, _today: date) -> str | None:
    code = text.lower()
    if code in ("", "auto"):
        return None
    if code not in TRANSCRIPTION_LANGUAGES:
        raise _Problem("bad_language")
    return code


_PARSERS = {
    "creditor": _text(required=True),
    "collection_agency": _text(required=False),
    "account_reference": _text(required=False),
    "principal": _amount,
    "outstanding": _amount,
    "currency": _currency,
    "overdue_since": _date,
    "language": _language,
}


# --- Editing -----------------------------------------------------------------------------------


def edit_negotiation(session: Session, negotiation: Negotiation, *, actor: User,
                     values: Mapping[str, object]) -> dict[str, dict[str, str | None]]:
    """Change the fields given in `values` (names of FIELDS, values as parse_fields returns
    them) and commit, with one `metadata_edit` custody event listing each changed field as
    {"old": ..., "new": ...} (as text). Returns those changes; nothing changed, no event."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"not negotiation fields: {', '.join(sorted(unknown))}")
    changes = {name: {"old": _as_text(getattr(negotiation, name)), "new": _as_text(value)}
               for name, value in values.items() if getattr(negotiation, name) != value}
    if not changes:
        return {}
    custody.lock_chain(session)
    for name in changes:
        setattr(negotiation, name, values[name])
    session.add(negotiation)
    custody.append_event(session, action=CustodyAction.metadata_edit, actor_id=actor.id,
                         negotiation_id=negotiation.id, details={"fields": changes})
    session.commit()
    return changes


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# --- The status line ---------------------------------------------------------------------------


class OverdueStage(StrEnum):
    """DOMAIN.md's stages of an overdue debt: early 1–7 days, middle 8–30, late over 30."""

    early = auto()
    middle = auto()
    late = auto()


EARLY_LAST_DAY = 7
MIDDLE_LAST_DAY = 30


def days_overdue(overdue_since: date | None, today: date) -> int | None:
    """Days overdue, counting `overdue_since` (the first day the payment was late) as day 1.
    None when no date is known or it is still ahead."""
    if overdue_since is None or overdue_since > today:
        return None
    return (today - overdue_since).days + 1


def overdue_stage(days: int | None) -> OverdueStage | None:
    if days is None or days < 1:
        return None
    if days <= EARLY_LAST_DAY:
        return OverdueStage.early
    if days <= MIDDLE_LAST_DAY:
        return OverdueStage.middle
    return OverdueStage.late


def next_promised_payment(session: Session, negotiation: Negotiation) -> Promise | None:
    """The debtor's next pending payment promise with a due date (an instalment counts)."""
    from logger.promises.promises import next_promised_payment as next_pending
    return next_pending(session, negotiation)


@dataclass(frozen=True)
class NegotiationStatus:
    """What the overview says about one negotiation. `last_contact` is the latest known time of
    a contact between the sides (a call, chat, email, text message or letter: not a document,
    a note or a receipt), `day` in `last_contact_precision` when only its date is known; an
    item whose time is unknown never counts, and its upload time is no contact."""

    negotiation: Negotiation
    days_overdue: int | None
    stage: OverdueStage | None
    last_contact: datetime | None
    next_promised_payment: Promise | None
    evidence_counts: dict[EvidenceKind, int] = field(default_factory=dict)
    last_contact_precision: TimePrecision | None = None

    @property
    def evidence_total(self) -> int:
        return sum(self.evidence_counts.values())


# Contacts read at the newest moment, to prefer one whose clock time is known.
_SAME_MOMENT = 5


def negotiation_statuses(session: Session, negotiations: Iterable[Negotiation], *,
                         today: date, with_counts: bool = True) -> list[NegotiationStatus]:
    """The status line of each negotiation, in the order given, from two grouped queries
    (not two per negotiation). `today` is the date in the reader's time zone. `with_counts`
    False leaves `evidence_counts` empty: counting reads every item of a negotiation, and a
    negotiation's own pages show no counts."""
    negotiations = list(negotiations)
    ids = [n.id for n in negotiations]
    counts: dict[int, dict[EvidenceKind, int]] = {i: {} for i in ids}
    if ids and with_counts:
        for negotiation_id, kind, count in session.exec(
                select(Evidence.negotiation_id, Evidence.kind, func.count(Evidence.id))
                .where(Evidence.negotiation_id.in_(ids), live())
                .group_by(Evidence.negotiation_id, Evidence.kind)):
            counts[negotiation_id][EvidenceKind(kind)] = count
    last = _last_contacts(session, ids)
    statuses = []
    for n in negotiations:
        days = days_overdue(n.overdue_since, today)
        statuses.append(NegotiationStatus(
            negotiation=n, days_overdue=days, stage=overdue_stage(days),
            last_contact=last.get(n.id, (None, None))[0],
            next_promised_payment=next_promised_payment(session, n),
            evidence_counts=dict(sorted(counts[n.id].items(), key=lambda kv: -kv[1])),
            last_contact_precision=last.get(n.id, (None, None))[1]))
    return statuses


def _last_contacts(session: Session, ids: list[int]
                   ) -> dict[int, tuple[datetime, TimePrecision | None]]:
    """negotiation id -> (time, precision) of its latest contact of known time. One query per
    negotiation, newest first on ix_evidence_timeline: it stops at the first contact instead of
    grouping every item (a MAX over the contact kinds reads all of a negotiation's items)."""
    found: dict[int, tuple[datetime, TimePrecision | None]] = {}
    for negotiation_id in ids:
        rows = session.exec(
            select(Evidence.occurred_at, Evidence.occurred_at_precision)
            .where(Evidence.negotiation_id == negotiation_id, live(),
                   Evidence.kind.in_(list(CONTACT_KINDS)), Evidence.occurred_at.is_not(None))
            .order_by(Evidence.occurred_at.desc()).limit(_SAME_MOMENT)).all()
        if not rows:
            continue
        latest = [(moment, precision) for moment, precision in rows if moment == rows[0][0]]
        # Of two contacts at the same moment, the one whose clock time is known says more.
        found[negotiation_id] = next(
            (row for row in latest if row[1] != TimePrecision.day), latest[0])
    return found
