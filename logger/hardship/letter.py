"""The hardship application's words (个人减免申请书 / Hardship application), in Chinese or
English, as a `Letter` that the PDF and the Word writers lay out the same way.

It is addressed to the creditor with the account reference and amounts, states the facts (the
borrower's circumstances), the request and the plan (with dated instalments when a first
payment date was chosen) and lists the attached proofs. A field left empty is left out: the
letter never says "unknown" and never invents a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from logger.hardship.plan import Plan, due_dates, percent_text, settlement_figure
from logger.hardship.proofs import proof_day, proof_label
from logger.i18n import N_, translate
from logger.record.written import written_day, written_money
from storage.models import Evidence, Negotiation
from storage.models.hardship import HardshipApplication, HardshipRequest, PlanKind

CAUSES = {"illness": N_("illness"), "job_loss": N_("the loss of my job"),
          "business_failure": N_("the failure of my business"),
          "income_cut": N_("a large cut in my income"), "family": N_("a family emergency"),
          "other": N_("circumstances beyond my control")}
REQUESTS = {
    HardshipRequest.instalments: N_("let me repay the outstanding amount in instalments"),
    HardshipRequest.longer_term: N_("extend the term of the loan"),
    HardshipRequest.penalty_waiver: N_("waive the penalty interest and late fees"),
    HardshipRequest.settlement: N_("accept a one-off payment at a discount in full settlement "
                                   "of the debt"),
}
_END = "。.;；，, "


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    numbered: list[str] = field(default_factory=list)  # a numbered list after the paragraphs
    table: list[tuple[str, ...]] = field(default_factory=list)  # header row first
    after: list[str] = field(default_factory=list)  # paragraphs after the list or table


@dataclass
class Letter:
    language: str
    title: str
    header: list[tuple[str, str]]  # (label, value): addressee, reference, amounts
    salutation: str
    sections: list[Section]
    closing: list[str]


def draft(application: HardshipApplication, negotiation: Negotiation, *, plan: Plan | None,
          proofs: list[Evidence], language: str, today: date, tz: ZoneInfo) -> Letter:
    """The application in `language` ("zh" or "en"), dated `today`."""
    t = _Words(language, negotiation.currency)
    sections = [s for s in (_facts(application, t), _request(application, t),
                            _plan(application, negotiation, plan, t),
                            _attachments(proofs, tz, t)) if s is not None]
    for number, section in enumerate(sections, start=1):
        section.heading = t(N_("%(number)s. %(heading)s"), number=_ordinal(number, language),
                            heading=section.heading)
    name = application.applicant_name or ""
    closing = ([t(N_("Yours faithfully,"))] if language != "zh" else
               [translate(language, "Yours faithfully,"), translate(language, "With respect")])
    closing += [t(N_("Applicant (signature): %(name)s"), name=name).rstrip(),
                t(N_("Date: %(day)s"), day=written_day(today, language))]
    return Letter(language=language, title=t(N_("Hardship application")),
                  header=_header(negotiation, t),
                  salutation=t(N_("Dear %(creditor)s,"), creditor=negotiation.creditor),
                  sections=sections, closing=closing)


class _Words:
    def __init__(self, language: str, currency: str):
        self.language, self.currency = language, currency

    def __call__(self, message: str, /, **values: object) -> str:
        return translate(self.language, message, **values)

    def money(self, amount: Decimal) -> str:
        return written_money(amount, self.currency, self.language)

    def day(self, day: date) -> str:
        return written_day(day, self.language)


def _header(negotiation: Negotiation, t: _Words) -> list[tuple[str, str]]:
    rows = [(t(N_("To")), negotiation.creditor)]
    if negotiation.collection_agency:
        rows.append((t(N_("Collection agency")), negotiation.collection_agency))
    if negotiation.account_reference:
        rows.append((t(N_("Account or loan reference")), negotiation.account_reference))
    if negotiation.principal is not None:
        rows.append((t(N_("Principal")), t.money(negotiation.principal)))
    if negotiation.outstanding is not None:
        rows.append((t(N_("Outstanding amount")), t.money(negotiation.outstanding)))
    if negotiation.overdue_since is not None:
        rows.append((t(N_("Overdue since")), t.day(negotiation.overdue_since)))
    return rows


def _facts(a: HardshipApplication, t: _Words) -> Section | None:
    lines = []
    cause = t(CAUSES[str(a.cause)]) if a.cause else None
    if cause and a.hardship_since:
        lines.append(t(N_("Since %(day)s I have been unable to repay as agreed because of "
                       "%(cause)s."), day=t.day(a.hardship_since), cause=cause))
    elif cause:
        lines.append(t(N_("I have been unable to repay as agreed because of %(cause)s."),
                       cause=cause))
    elif a.hardship_since:
        lines.append(t(N_("Since %(day)s I have been unable to repay as agreed."),
                       day=t.day(a.hardship_since)))
    if a.hardship_details:
        lines.extend(p.strip() for p in a.hardship_details.splitlines() if p.strip())
    if a.monthly_income is not None and a.income_source:
        lines.append(t(N_("My monthly income is %(amount)s (%(source)s)."),
                       amount=t.money(a.monthly_income), source=a.income_source.rstrip(_END)))
    elif a.monthly_income is not None:
        lines.append(t(N_("My monthly income is %(amount)s."), amount=t.money(a.monthly_income)))
    if a.essential_expenses is not None:
        lines.append(t(N_("My essential living expenses come to %(amount)s a month."),
                       amount=t.money(a.essential_expenses)))
    if a.dependants == 0:
        lines.append(t(N_("I have no one else to support.")))
    elif a.dependants is not None:
        lines.append(t(N_("People I support: %(count)s."), count=a.dependants))
    if a.other_debts:
        lines.append(t(N_("My other debts: %(debts)s."), debts=a.other_debts.strip().rstrip(_END)))
    if a.other_debt_payments:
        lines.append(t(N_("I pay %(amount)s a month on other debts."),
                       amount=t.money(a.other_debt_payments)))
    if a.monthly_income is not None and a.essential_expenses is not None:
        left = a.monthly_income - a.essential_expenses - (a.other_debt_payments or 0)
        lines.append(t(N_("After these, %(amount)s a month is left."), amount=t.money(left))
                     if left > 0 else t(N_("My income does not cover these expenses.")))
    return Section(t(N_("My circumstances")), paragraphs=lines) if lines else None


def _request(a: HardshipApplication, t: _Words) -> Section | None:
    asked = []
    for value in a.requests:
        request = HardshipRequest(value)
        if request == HardshipRequest.pause:
            asked.append(t(N_("pause collection and repayment for %(months)s months"),
                           months=a.pause_months) if a.pause_months else
                         t(N_("pause collection and repayment for a time")))
        else:
            asked.append(t(REQUESTS[request]))
    if not asked:
        return None
    return Section(t(N_("My request")), paragraphs=[t(N_("Because of this, I ask you to:"))],
                   numbered=asked)


def _plan(a: HardshipApplication, negotiation: Negotiation, plan: Plan | None,
          t: _Words) -> Section | None:
    confirm = t(N_("If you agree, please confirm it in writing (a letter, an email or a "
                "message). I will pay exactly as agreed."))
    outstanding = negotiation.outstanding
    if a.plan_kind == PlanKind.instalments and plan is not None:
        text = t(N_("I propose to repay %(outstanding)s in %(count)s monthly instalments of "
                 "%(amount)s."), outstanding=t.money(outstanding), count=plan.count,
                 amount=t.money(plan.amount))
        if plan.instalments[-1] != plan.amount:
            text += t(N_(" The last instalment is %(amount)s."),
                      amount=t.money(plan.instalments[-1]))
        days = due_dates(a.start_date, plan.count) if a.start_date else None
        if days:
            text += t(N_(" The first is paid on %(day)s."), day=t.day(days[0]))
        header = ((t(N_("No.")), t(N_("Due date")), t(N_("Amount"))) if days
                  else (t(N_("No.")), t(N_("Amount"))))
        rows = [(str(i + 1), *([t.day(days[i])] if days else []), t.money(amount))
                for i, amount in enumerate(plan.instalments)]
        rows.append((t(N_("Total")), *([""] if days else []), t.money(sum(plan.instalments))))
        return Section(t(N_("The plan I propose")), paragraphs=[text], table=[header, *rows],
                       after=[confirm])
    if a.plan_kind == PlanKind.settlement:
        figure = settlement_figure(outstanding, a.settlement_percent)
        if figure is None:
            return None
        text = t(N_("I propose to pay %(amount)s at once (%(percent)s%% of the outstanding "
                 "%(outstanding)s) in full settlement of the debt."), amount=t.money(figure),
                 percent=percent_text(a.settlement_percent), outstanding=t.money(outstanding))
        if a.start_date:
            text += t(N_(" I will pay it by %(day)s."), day=t.day(a.start_date))
        return Section(t(N_("The plan I propose")), paragraphs=[text, confirm])
    if a.plan_kind == PlanKind.pause:
        text = (t(N_("For now I cannot pay any instalment. I propose a pause of %(months)s months, "
                  "after which I will propose a repayment plan."), months=a.pause_months)
                if a.pause_months else
                t(N_("For now I cannot pay any instalment. I propose a pause, after which I will "
                  "propose a repayment plan.")))
        return Section(t(N_("The plan I propose")), paragraphs=[text, confirm])
    return None


def _attachments(proofs: list[Evidence], tz: ZoneInfo, t: _Words) -> Section | None:
    if not proofs:
        return None
    listed = []
    for item in proofs:
        day = proof_day(item, tz)
        kind = t(proof_label(item))
        listed.append(t(N_("%(kind)s: %(name)s (%(day)s)"), kind=kind, name=item.original_filename,
                        day=t.day(day)) if day else
                      t(N_("%(kind)s: %(name)s"), kind=kind, name=item.original_filename))
    return Section(t(N_("Attachments")), paragraphs=[t(N_("I attach these proofs:"))],
                   numbered=listed)


def _ordinal(number: int, language: str) -> str:
    return "一二三四五六七八九十"[number - 1] if language == "zh" else str(number)
