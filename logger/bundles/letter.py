"""The draft complaint letter of a complaint bundle, in one of several kinds, for the user to
pick facts for and edit.

Every kind is written from a letter plan (`logger.bundles.letters.plan`): it states only facts
confirmed in the record, those the user picked (`picks`: the facts' keys; None: all), and never
a note meant for the user (what is uncertain is shown on the page instead, and an empty section
is left out). Kinds (`LETTER_KINDS`): `generic` (zh or en: to the regulator, summary, contacts
in time order, promises, conduct findings with their legal sources, requests), `cbirc_12378`
and `samr_12315` (zh: the structured complaint of the financial regulator's 12378 line and of
the market regulator's 12315), `heimao` (zh: 黑猫投诉, within its length limits) and `cfpb`
(en: a first-person narrative for the CFPB's complaint form).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from logger.bundles.items import BundleError
from logger.bundles.letters import cfpb, heimao, regulator
from logger.bundles.letters.plan import LetterPlan, Section, plan_letter
from logger.bundles.letters.words import PROMISE_STATES, written_day, written_money
from logger.conduct.report import ConductReport
from logger.i18n import NC_, translate
from storage.models import Evidence, Negotiation

MAX_TIMELINE_LINES = 300
LETTER_KINDS = {
    "generic": NC_("letter kind", "A letter to the regulator"),
    "cbirc_12378": NC_("letter kind", "Financial regulator, hotline 12378 (Chinese)"),
    "samr_12315": NC_("letter kind", "Market regulator, 12315 (Chinese)"),
    "heimao": NC_("letter kind", "Heimao Tousu, a public complaint platform (Chinese, short)"),
    "cfpb": NC_("letter kind", "CFPB complaint narrative (English, for a US debt)"),
}
# The language a kind is written in, when it has only one.
KIND_LANGUAGE = {"cbirc_12378": "zh", "samr_12315": "zh", "heimao": "zh", "cfpb": "en"}
CHINESE_NUMBERS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Draft:
    """A drafted letter: its `title` (the PDF's), `text`, and what had to be left out to keep
    within the kind's limits (`left_out`, for the page to say)."""

    kind: str
    language: str
    title: str
    text: str
    left_out: tuple[str, ...] = ()


def letter_language(kind: str, language: str) -> str:
    """The language `kind` is written in: its own, else the bundle's."""
    return KIND_LANGUAGE.get(kind, language if language in ("zh", "en") else "zh")


def check_kind(kind: str | None) -> str:
    """The kind, or "generic" for None. Raises BundleError naming the kinds for another."""
    kind = kind or "generic"
    if kind not in LETTER_KINDS:
        raise BundleError(f"there is no letter kind {kind!r}; choose one of "
                         f"{', '.join(LETTER_KINDS)}")
    return kind


def write_letter(plan: LetterPlan, *, kind: str, party: str, today: date,
                 picks=None) -> Draft:
    """The `kind` of letter from the facts of `plan` the user picked (None: all)."""
    kind = check_kind(kind)
    if kind in ("cbirc_12378", "samr_12315"):
        title, text = regulator.write(plan, kind=kind, party=party, today=today, picks=picks)
        return Draft(kind, "zh", title, text)
    if kind == "heimao":
        title, text, left_out = heimao.write(plan, party=party, picks=picks)
        return Draft(kind, "zh", title, text, tuple(left_out))
    if kind == "cfpb":
        title, text = cfpb.write(plan, party=party, today=today, picks=picks)
        return Draft(kind, "en", title, text)
    return Draft(kind, plan.language, translate(plan.language, "Complaint"),
                 _generic(plan, party, today, picks))


def draft_letter(session: Session, negotiation: Negotiation, *, language: str, tz: ZoneInfo,
                 party: str, today: date | None = None, kind: str = "generic",
                 picks=None) -> str:
    """The letter's text; the user edits it before it goes into the bundle."""
    return draft(session, negotiation, language=language, tz=tz, party=party, today=today,
                 kind=kind, picks=picks)[1].text


def draft(session: Session, negotiation: Negotiation, *, language: str, tz: ZoneInfo,
          party: str, today: date | None = None, kind: str = "generic", picks=None,
          items: list[Evidence] | None = None, report: ConductReport | None = None
          ) -> tuple[LetterPlan, Draft]:
    """The plan (for the page: what may be picked, what is uncertain) and the draft. `items`
    and `report`: what `plan_letter` would otherwise read, when the caller has it."""
    kind = check_kind(kind)
    today = today or datetime.now(UTC).astimezone(tz).date()
    plan = plan_letter(session, negotiation, language=letter_language(kind, language), tz=tz,
                       now=datetime.combine(today, time(0, 0), tz), items=items,
                       report=report)
    return plan, write_letter(plan, kind=kind, party=party, today=today, picks=picks)


# ----------------------------------------------------------------------------- generic

def _generic(plan: LetterPlan, party: str, today: date, picks) -> str:
    language = plan.language
    sections = [_summary(plan, picks)]
    for title, lines in ((NC_("letter", "Contacts on record, in time order"),
                          _contacts(plan, picks)),
                         (NC_("letter", "Promises made, kept and broken"),
                          _promises(plan, picks)),
                         (NC_("letter", "Collection conduct that breaks the rules"),
                          _findings(plan, picks)),
                         (NC_("letter", "What I ask"), _requests(plan, picks))):
        if lines:  # an empty section is left out
            sections.append([_heading(len(sections) + 1, title, language), *lines])
    text = [_opening(plan, party), *sections, _closing(language, party, today)]
    return "\n\n".join("\n".join(lines) for lines in text) + "\n"


def _heading(number: int, title, language: str) -> str:
    if language == "zh":
        return f"{CHINESE_NUMBERS[number - 1]}、{translate(language, title)}"
    return f"{number}. {translate(language, title)}"


def _opening(plan: LetterPlan, party: str) -> list[str]:
    n, language = plan.negotiation, plan.language
    facts = [
        (NC_("bundle", "Complaint against"), n.creditor),
        (NC_("bundle", "Collection agency"), n.collection_agency),
        (NC_("bundle", "Account / loan reference"), n.account_reference),
        (NC_("bundle", "Principal"), written_money(n.principal, n.currency, language)),
        (NC_("bundle", "Outstanding"), written_money(n.outstanding, n.currency, language)),
        (NC_("bundle", "Overdue since"),
         written_day(n.overdue_since, language) if n.overdue_since else None),
    ]
    lines = [translate(language, "Complaint"), "",
             translate(language, "To: the financial regulator / consumer protection authority"),
             "", translate(language, "Complainant: %(party)s", party=party)]
    lines += [translate(language, "%(label)s: %(value)s", label=translate(language, label),
                        value=value) for label, value in facts if value]
    return lines


def _summary(plan: LetterPlan, picks) -> list[str]:
    language, creditor = plan.language, plan.negotiation.creditor
    if plan.picked(Section.finding, picks):
        text = translate(language, "My loan with %(creditor)s became overdue. Since then I have "
                                   "kept in contact with them and tried to agree a way to "
                                   "repay. During this time the collection was conducted as "
                                   "described below, and I ask you to look into it.",
                         creditor=creditor)
    else:
        text = translate(language, "My loan with %(creditor)s became overdue. Since then I have "
                                   "kept in contact with them and tried to agree a way to "
                                   "repay. I ask you to look into how the debt is being "
                                   "collected.", creditor=creditor)
    return [_heading(1, NC_("letter", "Summary"), language), text]


def _contacts(plan: LetterPlan, picks) -> list[str]:
    facts = plan.picked(Section.contact, picks)
    lines = [f"{number}. {plan.when(fact)} {fact.text}"
             for number, fact in enumerate(facts[:MAX_TIMELINE_LINES], start=1)]
    if len(facts) > MAX_TIMELINE_LINES:
        lines.append(translate(plan.language, "… and %(more)s more, see the list of evidence.",
                               more=len(facts) - MAX_TIMELINE_LINES))
    return lines


def _promises(plan: LetterPlan, picks) -> list[str]:
    return [f"{number}. {promise_line(plan, fact)}"
            for number, fact in enumerate(plan.picked(Section.promise, picks), start=1)]


def promise_line(plan: LetterPlan, fact) -> str:
    """"2025年1月15日 本人承诺还款 人民币 1,000.00 元——尚未到期"; a plan gives its count of
    instalments instead of a state and a date."""
    language, promise = plan.language, fact.detail["promise"]
    if fact.detail.get("instalments"):
        return translate(language, "%(text)s, in %(count)s instalments", text=fact.text,
                         count=fact.detail["instalments"])
    text = f"{plan.when(fact)} {fact.text}".strip() if promise.due_at else fact.text
    state = PROMISE_STATES.get(fact.detail["state"] or "")
    return translate(language, "%(text)s — %(state)s", text=text,
                     state=translate(language, state)) if state else text


def _findings(plan: LetterPlan, picks) -> list[str]:
    language, lines = plan.language, []
    for number, fact in enumerate(plan.picked(Section.finding, picks), start=1):
        sources = translate(language, NC_("list", "; ")).join(fact.detail["sources"])
        lines.append(f"{number}. " + translate(language, "%(when)s, %(what)s",
                                                when=plan.when(fact), what=fact.text)
                     + (translate(language, " (rule: %(source)s)", source=sources)
                        if sources else ""))
    return lines


def _requests(plan: LetterPlan, picks) -> list[str]:
    n, language = plan.negotiation, plan.language
    who = n.creditor
    if n.collection_agency:
        who = translate(language, "%(creditor)s and %(agency)s", creditor=n.creditor,
                        agency=n.collection_agency)
    asks = [translate(language, "That %(who)s stop the collection conduct described above;",
                      who=who)] if plan.picked(Section.finding, picks) else []
    asks += [translate(language, "That you investigate and act on it;"),
             translate(language, "That they be required to agree a reasonable repayment plan "
                                 "with me.")]
    return [f"{number}. {ask}" for number, ask in enumerate(asks, start=1)] + [
        "", translate(language, "Enclosed: the list of evidence and the evidence (in this "
                                "bundle).")]


def _closing(language: str, party: str, today: date) -> list[str]:
    return [translate(language, "Complainant: %(party)s", party=party),
            translate(language, "Date: %(date)s", date=written_day(today, language))]


# ----------------------------------------------------------------------------- the files

def letter_files(session: Session, negotiation: Negotiation, *, language: str, tz: ZoneInfo,
                 party: str, today: date, kind: str, picks, edited: str | None
                 ) -> tuple[list[tuple[str, bytes, str]], dict]:
    """The letter's files for a bundle in `language`, as (path, data, role): the letter as the
    user `edited` it (None or blank: the draft) in text and PDF, and the draft it came from when
    they differ; and what the export's custody event records of the letter (its kind, its
    SHA-256, and "letter edited by the user" with the draft's SHA-256)."""
    from logger.bundles.pdf import write_letter_pdf  # reportlab, only when exporting

    _plan, drafted = draft(session, negotiation, language=language, tz=tz, party=party,
                           today=today, kind=kind, picks=picks)
    letter = normal_text(edited) if edited and edited.strip() else drafted.text
    changed = letter != drafted.text
    name = translate(language, NC_("file name", "complaint-letter"))
    files = [(f"{name}.txt", letter.encode("utf-8"), "letter")]
    if changed:
        draft_name = translate(language, NC_("file name", "complaint-letter-draft"))
        files.append((f"{draft_name}.txt", drafted.text.encode("utf-8"), "letter-draft"))
    pdf = io.BytesIO()
    write_letter_pdf(pdf, drafted.title, letter, drafted.language)
    files.append((f"{name}.pdf", pdf.getvalue(), "letter"))
    record = {"kind": drafted.kind, "edited_by_user": changed,
              "sha256": hashlib.sha256(files[0][1]).hexdigest()}
    if changed:
        record.update(event="letter edited by the user",
                      draft_sha256=hashlib.sha256(drafted.text.encode("utf-8")).hexdigest())
    return files, record


def normal_text(text: str) -> str:
    """A letter as a browser posts it (CRLF lines) or a file holds it: LF lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
