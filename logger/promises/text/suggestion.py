"""What a suggestion is: who promised what kind of thing, how much, by when, quoting the words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from logger.promises.text.amounts import format_amount
from logger.promises.text.anchors import DueBasis
from logger.promises.text.plans import Instalment
from storage.models.types import TimePrecision


class Who(StrEnum):
    me = "me"          # the debtor, the user
    them = "them"      # the creditor or its collection agency
    unknown = "unknown"


class Kind(StrEnum):
    payment = "payment"
    instalment_plan = "instalment_plan"
    waiver = "waiver"              # of penalty, interest or fees
    settlement = "settlement"      # the debt settled for less, paid at once (一次性结清)
    extension = "extension"        # more time to pay (延期, 宽限)
    stop_calls = "stop_calls"
    other = "other"


@dataclass(frozen=True)
class Suggestion:
    """A promise-like statement for a person to confirm.

    `amount` and `due` are those the statement names: for a payment, what and when; for a
    plan, the regular instalment and the first due date (`instalments` lists them all, `total`
    sums them); for a settlement, the sum that settles the debt; for an extension, the new day;
    for a conditional offer, the payment its `condition` asks for. `due` is aware, in the local
    zone: the time said (`due_precision` minute), else 23:59 that day (a stand-in for a day
    said without a time: `due_precision` day). `basis` says what its day was counted from.
    `segment_index` and `start` point to the segment (and second in the recording) the quote
    comes from."""

    who: Who
    kind: Kind
    quote: str
    amount: Decimal | None = None
    currency: str | None = None
    due: datetime | None = None
    condition: str | None = None
    total: Decimal | None = None
    instalments: tuple[Instalment, ...] = ()
    segment_index: int | None = None
    start: float | None = None
    due_precision: TimePrecision = TimePrecision.day
    basis: DueBasis | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; times are local ISO times with their offset, and a day said without a
        time is the bare date (a due date is a day in the debtor's zone, and reads as that
        day). `counted_from`: what the day was counted from (see DueBasis)."""
        return {
            "who": str(self.who), "kind": str(self.kind), "amount": _money(self.amount),
            "currency": self.currency, "due": _iso(self.due, self.due_precision),
            "due_precision": str(self.due_precision), "quote": self.quote,
            "condition": self.condition, "total": _money(self.total),
            "instalments": [{"number": p.number, "due": _iso(p.due, TimePrecision.day),
                             "amount": _money(p.amount)} for p in self.instalments],
            "segment_index": self.segment_index, "start": self.start,
            "counted_from": self.basis.to_dict() if self.basis else None,
        }


def _money(value: Decimal | None) -> str | None:
    return format_amount(value) if value is not None else None


def _iso(moment: datetime | None, precision: TimePrecision) -> str | None:
    if moment is None:
        return None
    return moment.date().isoformat() if precision == TimePrecision.day else \
        moment.isoformat(timespec="minutes")
