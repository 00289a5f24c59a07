"""What every kind of complaint letter shares: the words for promises, and (from
logger.record.written) dates in the reader's form and amounts with their currency."""

from __future__ import annotations

from logger.i18n import NC_
from logger.record.written import written_day, written_money, written_when

__all__ = ["KIND_WITH_AMOUNT", "PARTIES", "PROMISE_KINDS", "PROMISE_STATES", "promise_kind", "written_day",
           "written_money", "written_when"]

PARTIES = {"me": NC_("bundle", "I"), "them": NC_("bundle", "They")}
# Each kind a promise can have; a kind added later reads as "something else" until it is named
# here (PROMISE_KINDS.get(kind, OTHER)), so a letter never fails on it.
PROMISE_KINDS = {"payment": NC_("bundle", "to pay"),
                 "instalment_plan": NC_("bundle", "an instalment plan"),
                 "waiver": NC_("bundle", "to waive interest or fees"),
                 "settlement": NC_("bundle", "to settle the debt for less"),
                 "extension": NC_("bundle", "to give more time to pay"),
                 "stop_calls": NC_("bundle", "to stop calling"),
                 "other": NC_("bundle", "something else")}
# Kinds whose amount is not what is paid over as such: the sum is written into the words.
KIND_WITH_AMOUNT = {"settlement": NC_("bundle", "to settle the debt for %(amount)s"),
                    "waiver": NC_("bundle", "to waive interest or fees on a payment of "
                                            "%(amount)s")}
PROMISE_STATES = {"pending": NC_("bundle", "not yet due"), "kept": NC_("bundle", "kept"),
                  "missed": NC_("bundle", "broken")}


def promise_kind(kind: object):
    return PROMISE_KINDS.get(str(kind), PROMISE_KINDS["other"])
