"""The draft complaint letter of a complaint bundle (zh or en), for the user to edit.

It summarises the negotiation, lists the contacts on record in time order (evidence items, the
calls of imported call logs and the contacts the user recorded by hand), what was promised, and
the conduct findings (`logger.conduct`: the counted ones, each with its legal sources, document
and provision, in the letter's language; dismissed ones, those about a contact whose direction is
unknown and suggestions nobody confirmed are left out), then asks the regulator to act. A text or
chat is a contact by its kind or its channel, whichever is set. Promises come
from `logger.promises`: every confirmed promise still in force, with whether it was kept, missed
or is still to come.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from logger.bundles.calls import call_description
from logger.bundles.items import kind_label, written_date
from logger.conduct.calllog import list_call_log
from logger.conduct.contact_entries import list_contact_entries
from logger.conduct.inputs import is_message
from logger.conduct.report import conduct_report
from logger.conduct.ruleset import LegalSource
from logger.i18n import NC_, in_language, translate
from logger.promises.due import due_text
from logger.promises.promises import ACTIVE_STATUSES, list_promises
from logger.record.evidence import CONTACT_KINDS, list_evidence
from logger.record.moments import human_time
from storage.models import Direction, Negotiation

MAX_TIMELINE_LINES = 300

DIRECTIONS = {Direction.from_them: NC_("bundle", "from them"),
              Direction.from_me: NC_("bundle", "from me")}
CHANNELS = {"call": NC_("bundle", "call"), "sms": NC_("bundle", "text message"),
            "app_chat": NC_("bundle", "app chat"), "wechat": NC_("bundle", "WeChat"),
            "email": NC_("bundle", "email"), "letter": NC_("bundle", "letter"),
            "visit": NC_("bundle", "visit"), "other": NC_("bundle", "other")}
CALL_LOG = NC_("bundle", "call log")


def draft_letter(session: Session, negotiation: Negotiation, *, language: str, tz: ZoneInfo,
                 party: str, today: date | None = None) -> str:
    """The letter's text; the user edits it before it goes into the bundle."""
    today = today or datetime.now(UTC).astimezone(tz).date()
    sections = [
        _opening(negotiation, language, party),
        _timeline(session, negotiation, language, tz),
        _promises(session, negotiation, language, tz),
        _findings(session, negotiation, language, tz),
        _requests(negotiation, language),
        _closing(language, party, today),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _money(amount, currency: str) -> str | None:
    return f"{amount:,.2f} {currency}" if amount is not None else None


def _opening(n: Negotiation, language: str, party: str) -> list[str]:
    facts = [
        (NC_("bundle", "Complaint against"), n.creditor),
        (NC_("bundle", "Collection agency"), n.collection_agency),
        (NC_("bundle", "Account / loan reference"), n.account_reference),
        (NC_("bundle", "Principal"), _money(n.principal, n.currency)),
        (NC_("bundle", "Outstanding"), _money(n.outstanding, n.currency)),
        (NC_("bundle", "Overdue since"), n.overdue_since.isoformat() if n.overdue_since
         else None),
    ]
    lines = [translate(language, "Complaint"), "",
             translate(language, "To: the financial regulator / consumer protection authority"),
             "", translate(language, "Complainant: %(party)s", party=party)]
    lines += [translate(language, "%(label)s: %(value)s", label=translate(language, label),
                        value=value) for label, value in facts if value]
    lines += ["", translate(language, "1. Summary"), translate(
        language, "My loan with %(creditor)s became overdue. Since then I have kept in contact "
                  "with them and tried to agree a way to repay. During this time the collection "
                  "was conducted as described below, and I ask you to look into it.",
        creditor=n.creditor)]
    return lines


def _timeline(session: Session, n: Negotiation, language: str, tz: ZoneInfo) -> list[str]:
    # (moment, text[, precision]); an item of unknown time, or that is no contact (a document,
    # a note, a receipt), is not listed: its upload is not a contact.
    events: list[tuple] = []
    for item in list_evidence(session, n.id):
        if item.occurred_at is None or not (item.kind in CONTACT_KINDS or is_message(item)):
            continue
        text = kind_label(item, language) if item.kind in CONTACT_KINDS else translate(
            language, CHANNELS[str(item.channel)])
        detail = [translate(language, DIRECTIONS[item.direction])] \
            if item.direction in DIRECTIONS else []
        who = item.counterpart_number or item.counterpart_name
        if who:
            detail.append(who)
        if detail:
            text = translate(language, "%(kind)s (%(details)s)", kind=text,
                             details=translate(language, NC_("list", ", ")).join(detail))
        events.append((item.occurred_at, text, item.occurred_at_precision))
    for row in list_call_log(session, n.id):  # the calls of an imported call log, each once
        events.append((row.started_at, translate(
            language, "%(label)s: %(value)s", label=translate(language, CALL_LOG),
            value=call_description(row, language))))
    for entry in list_contact_entries(session, n.id):
        channel = CHANNELS.get(str(entry.channel), CHANNELS["other"])
        events.append((entry.occurred_at, translate(
            language, "%(label)s: %(value)s", label=translate(language, channel),
            value=entry.description), entry.occurred_precision))
    events.sort(key=lambda e: e[0])
    lines = [translate(language, "2. Contacts on record, in time order")]
    for number, (moment, text, *precision) in enumerate(events[:MAX_TIMELINE_LINES], start=1):
        lines.append(f"{number}. {human_time(moment, tz, *precision)} {text}")
    if len(events) > MAX_TIMELINE_LINES:
        lines.append(translate(language, "… and %(more)s more, see the list of evidence.",
                               more=len(events) - MAX_TIMELINE_LINES))
    if not events:
        lines.append(translate(language, "(none on record)"))
    return lines


PARTIES = {"me": NC_("bundle", "I"), "them": NC_("bundle", "They")}
PROMISE_KINDS = {"payment": NC_("bundle", "to pay"),
                 "instalment_plan": NC_("bundle", "an instalment plan"),
                 "waiver": NC_("bundle", "to waive interest or fees"),
                 "stop_calls": NC_("bundle", "to stop calling"),
                 "other": NC_("bundle", "something else")}
PROMISE_STATES = {"pending": NC_("bundle", "not yet due"), "kept": NC_("bundle", "kept"),
                  "missed": NC_("bundle", "broken")}


def _promises(session: Session, n: Negotiation, language: str, tz: ZoneInfo) -> list[str]:
    lines = [translate(language, "3. Promises made, kept and broken")]
    for number, promise in enumerate(_active_promises(session, n), start=1):
        lines.append(f"{number}. {_promise_line(promise, language, tz)}")
    if len(lines) == 1:
        lines.append(translate(language, "(No confirmed promises on record; write here what "
                                         "each side promised and whether it was kept.)"))
    return lines


def _active_promises(session: Session, n: Negotiation) -> list:
    """Confirmed promises still in force (not cancelled or replaced), by due time."""
    return [p for p in list_promises(session, n) if p.status in ACTIVE_STATUSES]


def _promise_line(promise, language: str, tz: ZoneInfo) -> str:
    amount = f" {_money(promise.amount, promise.currency)}" if promise.amount is not None else ""
    part = translate(language, " (instalment %(number)s)", number=promise.instalment) \
        if promise.instalment else ""
    return translate(
        language, "%(due)s %(who)s promised %(what)s%(amount)s%(part)s — %(state)s",
        due=due_text(promise, tz) or translate(language, "no due date"),
        who=translate(language, PARTIES[str(promise.party)]),
        what=translate(language, PROMISE_KINDS[str(promise.kind)]), amount=amount, part=part,
        state=translate(language, PROMISE_STATES[str(promise.status)]))


def _findings(session: Session, n: Negotiation, language: str, tz: ZoneInfo) -> list[str]:
    lines = [translate(language, "4. Collection conduct that breaks the rules")]
    findings = _active_findings(session, n, tz)
    for number, (reason, sources) in enumerate(findings, start=1):
        lines.append(f"{number}. {in_language(reason, language)}"
                     + (translate(language, " (rule: %(source)s)",
                                  source=_citation(sources, language)) if sources else ""))
    if not findings:
        lines.append(translate(language, "(None found in the record; add any here.)"))
    if any(not s.verified for _reason, sources in findings for s in sources):
        lines.append(translate(language, "* Provision not yet checked against the published "
                                         "text of the document; check it before sending."))
    return lines


def _citation(sources: Sequence[LegalSource], language: str) -> str:
    """Each source in the letter's language, "*" after one not checked against its text."""
    return translate(language, NC_("list", "; ")).join(
        source.cite(language) + ("" if source.verified else "*") for source in sources)


def _active_findings(session: Session, n: Negotiation, tz: ZoneInfo
                     ) -> Sequence[tuple[dict[str, str], tuple[LegalSource, ...]]]:
    """(reason by language, legal sources) of each active finding (its reason names its
    time)."""
    report = conduct_report(session, n, default_zone=tz)
    return [(f.reason, f.legal_sources) for f in report.active()]


def _requests(n: Negotiation, language: str) -> list[str]:
    who = n.creditor
    if n.collection_agency:
        who = translate(language, "%(creditor)s and %(agency)s", creditor=n.creditor,
                        agency=n.collection_agency)
    return [translate(language, "5. What I ask"),
            translate(language, "1. That %(who)s stop the collection conduct described above;",
                      who=who),
            translate(language, "2. That you investigate and act on it;"),
            translate(language, "3. That they be required to agree a reasonable repayment plan "
                                "with me."),
            "",
            translate(language, "Enclosed: the list of evidence and the evidence (in this "
                                "bundle).")]


def _closing(language: str, party: str, today: date) -> list[str]:
    return [translate(language, "Complainant: %(party)s", party=party),
            translate(language, "Date: %(date)s", date=written_date(today, language))]
