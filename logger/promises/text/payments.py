"""Payments and instalment plans promised in a sentence, read from its live clauses.

A promise is a frame: a clause that speaks of paying, with the sum and the day said in it or in
a clause of their own next to it (周一还，1,280块; 账单2300，我这周日前还; 十二月五号之前，一万二，
一分不少). A clause with several sums gives one payment each, with its own day when it names as
many ("300 today and another 300 next Friday").
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from logger.promises.text import rules
from logger.promises.text.amounts import Amount, find_amounts, loose_amounts
from logger.promises.text.clauses import Act, Clause, Sentence, joined
from logger.promises.text.dates import due_at, find_days
from logger.promises.text.due import Due, due_fields, find_due
from logger.promises.text.plans import Instalment, read_plan
from logger.promises.text.speaker import who
from logger.promises.text.suggestion import Kind, Suggestion, Who
from storage.models.types import TimePrecision

_ONE_INSTALMENT = re.compile(r"(?<![第\d])[一1]\s*期")


def plans(parts: list[Clause], said: Sentence) -> list[Suggestion]:
    if parts and (Act.request in parts[0].acts or Act.question in parts[0].acts) \
            and not rules.COMMITS.search(said.whole):
        return []   # 能不能给我分个期啊，分12期，每期一千那样: the plan is what is asked for
    live = [c for c in parts if c.live]
    if listed := _listed_plan(live, said):
        return listed
    text = joined(live, said.quote)
    if not (rules.PLAN_ITSELF.search(text)
            or (rules.PLAN.search(text) and any(c.pays for c in live))
            or (rules.MONTHLY_DAY.search(text) and any(c.amounts for c in live)
                and (rules.COMMITS.search(text) or rules.ME_SPEAKING.search(text)))):
        return []
    amounts, days = find_amounts(text), find_days(text, said.when.today)
    plan = read_plan(text, amounts, days, today=said.when.today, tz=said.tz)
    if plan.each is None and plan.total is None:
        # a bare figure is the sum in a plan's words (两个礼拜还一次，一次三千)
        loose = [a for a in loose_amounts(text) if not any(
            d.start <= a.start < d.end for d in days)]
        if not loose:
            return []
        plan = read_plan(text, sorted(amounts + loose, key=lambda a: a.start), days,
                         today=said.when.today, tz=said.tz)
    if len(plan.instalments) == 1 and _ONE_INSTALMENT.search(text):
        return []   # 我下周一先还一期900: one instalment is a payment
    if len(plan.instalments) == 2 and not rules.PLAN_ITSELF.search(text.replace("2 payments", "")):
        return []   # "two payments from me: $600 on March 7 and $600 on March 14": two payments
    speaker = who(said, text)
    if speaker == Who.them and rules.DEMAND.search(text):
        return []
    first = next((p.due for p in plan.instalments if p.due), plan.first_due)
    due = Due(first, TimePrecision.day) if first else \
        Due(unresolved=True) if plan.unresolved else None
    return [Suggestion(speaker, Kind.instalment_plan, said.quote, amount=plan.each,
                       currency=plan.currency, total=plan.total, instalments=plan.instalments,
                       **due_fields(due, said.when))]


def _listed_plan(live: list[Clause], said: Sentence) -> list[Suggestion]:
    """Three or more equal sums, each on its own day, one after the other (这周日3000，下周日3000，
    下下周日3000; 2024-12-15 ¥2000；2025-01-15 ¥2000；2025-02-15 ¥2000): a plan, each
    instalment as said. Two are two payments ("300 today and another 300 next Friday")."""
    listed = [(c.days[0].day, c.amounts[0]) for c in live
              if len(c.amounts) == 1 and len(c.days) == 1 and c.days[0].day]
    if len(listed) < 3 or len({a.value for _, a in listed}) > 1 or any(
            later <= earlier for (earlier, _), (later, _) in zip(listed, listed[1:])):
        return []
    speaker = who(said, joined(live, said.quote))
    if speaker != Who.me and rules.DEMAND.search(said.whole):
        return []   # the collector's 必须: a demand, as for payments
    each = listed[0][1]
    instalments = tuple(Instalment(n, due_at(day, None, said.tz), each.value)
                        for n, (day, _) in enumerate(listed, 1))
    return [Suggestion(speaker, Kind.instalment_plan, said.quote,
                       amount=each.value, currency=each.currency, instalments=instalments,
                       **due_fields(Due(instalments[0].due, TimePrecision.day), said.when))]


def payments(parts: list[Clause], said: Sentence) -> list[Suggestion]:
    """One payment per sum said (or one without a sum for 月底前全部还清), each with its day."""
    live = [c for c in parts if c.live]
    frames = _frames(live)
    agreed = bool(rules.AGREED.search(said.whole)) or (len(parts) > 1 and all(c.bare for c in parts))
    if not frames and agreed and any(c.amounts for c in live) and any(c.dated for c in live):
        frames = [[c for c in live if c.amounts or c.dated]]   # 行，就这么定了，周五前六千
    found, paid_before = [], False
    for frame in frames:
        # a sum of its own after a promise continues it (我下周五还1000，月底2000)
        if not (any(c.pays for c in frame) or (paid_before and any(c.amounts for c in frame))
                or (paid_before and any(c.firm and c.dated for c in frame))
                or (len(frames) == 1 and agreed)):
            continue
        paid_before = True
        if not any(c.amounts for c in frame) and not (
                any(c.dated for c in frame) and any(c.firm for c in frame)):
            continue
        speaker = who(said, "，".join(c.text for c in frame))
        if speaker != Who.me and (rules.DEMAND.search(said.whole)
                                  or rules.PAY_REMINDER.search(said.whole)):
            continue   # the collector's demand (必须, 至少) or reminder, not a promise
        found += [Suggestion(speaker, Kind.payment, said.quote, amount=amount,
                             currency=currency, **due_fields(due, said.when))
                  for amount, currency, due in _sums_and_days(frame, said, _owed(parts, frame))]
    return found


def _owed(parts: list[Clause], frame: list[Clause]) -> Amount | None:
    """The sum stated as owed that a frame without a sum of its own pays (欠的是3,980，12月3号前
    我还清; 你们要的逾期金额是3,260.50，我今天下午四点之前转过去), when the sentence states one
    such sum and the frame pays no part of it (先还一部分)."""
    if any(c.amounts for c in frame) or any(rules.PART.search(c.text) for c in frame):
        return None
    owed = [c for c in parts if c not in frame and Act.debt in c.acts and c.amounts]
    if len({a.value for c in owed for a in c.amounts}) != 1:
        return None
    return owed[-1].amounts[0]


def _frames(live: list[Clause]) -> list[list[Clause]]:
    """The clauses grouped into promises: each frame has at most one clause of paying with a
    sum (or one of paying and a sum beside it), and the days said around it."""
    frames: list[list[Clause]] = []
    loose: list[Clause] = []   # a day or a sum waiting for its verb
    for clause in live:
        last = frames[-1] if frames else None
        if clause.pays:
            if last is not None and _open_for(last, clause):
                last.append(clause)
            else:
                # a sum said alone before a clause paying its own sum is the whole it is
                # part of (一万二千五百元，这周五我先还六千，…)
                frames.append([clause] + [c for c in loose if not (
                    clause.amounts and c.amounts and not c.days)])
                loose = []
        elif clause.amounts:
            if last is not None and not any(c.amounts for c in last) and not loose:
                last.append(clause)          # 周一还，1,280块
            else:
                loose.append(clause)         # 账单2300，我这周日前还
        elif clause.dated:
            # a day goes with the promise before it only when that one has its sum or is firm
            # (周一还，1,280块 | 工资刚到账，今天就给你们还1800: today is the 1,800's)
            if last is not None and not any(c.dated for c in last) and not loose and any(
                    c.amounts or c.firm for c in last):
                last.append(clause)
            else:
                # a day said later waiting for the same verb replaces one said before it
                # (我 现在 在 外地 … 我 十号 还 三千: 十号)
                if any(d.day or d.unresolved for d in clause.days):
                    loose = [c for c in loose if c.amounts or not c.days]
                loose.append(clause)
    if loose and frames and any(c.amounts or (c.firm and c.dated) for c in loose):
        frames.append(loose)
    elif loose and any(c.amounts for c in loose) and any(c.dated for c in loose) \
            and any(c.firm for c in loose):
        frames.append(loose)                 # verbless: 十二月五号之前，一万二，一分不少
    return frames


def _open_for(frame: list[Clause], clause: Clause) -> bool:
    """A paying clause joins the frame before it when that frame has no verb of its own yet
    said with a sum (账单2300 | 我这周日前还), or when it adds what the frame lacks and says
    nothing new (先还1000 | 周五还 is two promises; 3000 | 周五打过去 is one; so is
    一次性还三千八 | 2月5号前还)."""
    if any(c.pays for c in frame):
        # 三千八一次性结清，2月5号前还: the day of the sum just said, unless a part was paid
        # first and this is the rest (先还1000，周五还)
        # 我下周三还，还两千: the sum of the day just said
        return not any(rules.PART_FIRST.search(c.text) for c in (*frame, clause)) and (
            (not clause.amounts and clause.dated and not any(c.dated for c in frame)
             and any(c.amounts for c in frame))
            or (len(clause.amounts) == 1 and not clause.dated
                and not any(c.amounts for c in frame) and any(c.dated for c in frame)))
    return not (clause.amounts and any(c.amounts for c in frame))


def _sums_and_days(group: list[Clause], said: Sentence, owed: Amount | None = None
                   ) -> list[tuple[Decimal | None, str | None, Due | None]]:
    """(amount, currency, due) for each sum in a group of clauses. Several sums in a clause
    take its days in order when there are as many ("$250 on Friday and $250 on the 20th"),
    else the nearest one; a lone sum takes the group's day. `owed`: the debt a group without
    a sum pays off."""
    default_due = find_due(group, said.when, said.tz)
    sums = [(clause, amount) for clause in group for amount in clause.amounts]
    if not sums and owed is not None:
        return [(owed.value, owed.currency, default_due)]
    if not sums:
        return [(None, None, default_due)]
    result = []
    for clause, amount in sums:
        due = default_due
        days = [d for d in clause.days if d.day or d.unresolved]
        if len(clause.amounts) > 1 and days:
            index = clause.amounts.index(amount)
            day = days[index] if len(days) == len(clause.amounts) else min(
                days, key=lambda d: abs(d.start - amount.start))
            due = find_due([replace(clause, days=[day])], said.when, said.tz)
        result.append((amount.value, amount.currency, due))
    return result


def others(parts: list[Clause], said: Sentence) -> list[Suggestion]:
    """Other promises: no report to the credit bureau, it in writing."""
    for clause in parts:
        if (rules.OTHER.search(clause.text) and not rules.OTHER_REFUSED.search(clause.text)
                and clause.live and (rules.COMMITS.search(said.whole) or clause.days)):
            return [Suggestion(who(said, clause.text), Kind.other, said.quote,
                               **due_fields(find_due(parts, said.when, said.tz), said.when))]
    return []
