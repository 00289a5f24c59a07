"""What the findings pages and the findings partials on other pages share: the negotiation's
conduct report (computed once per state of the record, however many pages and partials ask,
reading again only the items changed since the last one: logger.conduct.kept), the flags of
one line (the timeline's taken from that report, an evidence page's computed for that item
alone on each request), the words for rules and the people a collector may have contacted
instead of the borrower, and times shown in the negotiation's own zone (the zone the rules are
judged in, which may not be the reader's)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from flask import g, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import func, select

from logger.conduct.report import ConductReport, conduct_report
from logger.conduct.zone import negotiation_zone
from logger.conduct.ruleset import LegalSource, Rule
from logger.errors import NotFound
from logger.sharing import evidence_for, negotiation_for
from logger.record.timeline_flags import ConductFlag, conduct_flags
from logger.record.timeline_flags import line_flags as timeline_line_flags
from storage.models import CallType, CustodyEvent, ExtractedText, Negotiation, ThirdParty
from web.access import db
from web.state import app_state

CACHE = "conduct_reports"
# Lexicon categories (logger/conduct/rules/lexicon_*.toml) as people name them.
CATEGORY_TITLES = {
    "threat": lazy_gettext("Threats"),
    "insult": lazy_gettext("Insults"),
    "impersonation": lazy_gettext("Posing as police, a court or the government"),
    "fake_legal": lazy_gettext("Fake legal documents"),
    "false_consequence": lazy_gettext("Invented or exaggerated consequences"),
    "disclosure": lazy_gettext("Making the debt public"),
    "extra_fee": lazy_gettext("Extra fees"),
    "borrow": lazy_gettext("Pressure to borrow elsewhere to repay"),
    "arrest": lazy_gettext("Threats of arrest or jail"),
    "visit": lazy_gettext("Threats to come to your home or work"),
    "tell_others": lazy_gettext("Threats to tell your family, employer or contacts"),
    "third_party_contact": lazy_gettext("Speaking about the debt to someone else"),
}
THIRD_PARTY_LABELS = {
    ThirdParty.relative: lazy_gettext("A relative"),
    ThirdParty.spouse: lazy_gettext("Spouse or partner"),
    ThirdParty.employer: lazy_gettext("Employer"),
    ThirdParty.colleague: lazy_gettext("A colleague"),
    ThirdParty.friend: lazy_gettext("A friend"),
    ThirdParty.neighbour: lazy_gettext("A neighbour"),
    ThirdParty.contacts_list: lazy_gettext("Someone in my contacts list"),
    ThirdParty.other: lazy_gettext("Someone else"),
}
CALL_TYPE_LABELS = {
    CallType.incoming: lazy_gettext("Answered"),
    CallType.outgoing: lazy_gettext("Made by me"),
    CallType.missed: lazy_gettext("Missed"),
    CallType.rejected: lazy_gettext("Rejected"),
    CallType.blocked: lazy_gettext("Blocked"),
    CallType.voicemail: lazy_gettext("To voicemail"),
}


def default_zone() -> ZoneInfo:
    return app_state().config.locale.zone


# Reports (and what `kept_for` keeps for other pages) kept across requests, keyed by what they
# are computed from (see _record_state): the findings page shows the whole report and every
# negotiation page its counts per rule (the summary in the header), and computing it for a
# large negotiation takes seconds. The timeline takes its lines' flags from here too
# (web.timeline); `evidence_flags` / `calls_flags` show what logger.record.timeline_flags
# computes for the lines of one item's page.
_KEPT: OrderedDict[tuple, Any] = OrderedDict()
_KEPT_LOCK = threading.Lock()
_KEPT_MOST = 16
T = TypeVar("T")


def _record_state(negotiation: Negotiation) -> tuple[tuple, tuple]:
    """(the negotiation, in which data dir; what changes whenever a report could): every change
    to the record is a custody event (intake, edits, dismissals, contact entries, rule
    settings), and every new text (a transcript, OCR, a correction) a new extracted_text
    row."""
    session = db()
    head = session.exec(select(func.max(CustodyEvent.seq))).one()
    texts = session.exec(select(func.max(ExtractedText.id))).one()
    storage = app_state().config.storage
    # The zone the rules judge in: the negotiation's, else its owner's (a setting that is no
    # custody event), else the installation's.
    zone = negotiation_zone(session, negotiation, default_zone=default_zone()).key
    return (str(storage.data_dir), storage.database_url, negotiation.id), (head, texts, zone)


def report_for(negotiation: Negotiation) -> ConductReport:
    """The negotiation's findings and counts: computed once per state of the record, and at
    most once per request."""
    cache = g.setdefault(CACHE, {})
    if negotiation.id not in cache:
        cache[negotiation.id] = kept_for(negotiation, ("report",), lambda: _kept_report(
            negotiation.id, keep=not _holds_writes()))
    return cache[negotiation.id]


def kept_for(negotiation: Negotiation, what: tuple, compute: Callable[[], T]) -> T:
    """What `compute` gives, kept across requests until the record changes, as the report
    is: for what a page reads of a whole negotiation and does not change. `what` names it,
    with anything else it depends on (a language, a zone)."""
    where, state = _record_state(negotiation)
    key = (where, what, state)
    with _KEPT_LOCK:
        found = _KEPT.get(key)
    if found is None:
        found = compute()
        with _KEPT_LOCK:
            # What an earlier state of the record gave is not asked for again: it would only
            # hold memory (thousands of objects for the collector to sweep).
            for earlier in [k for k in _KEPT if k[:2] == key[:2]]:
                del _KEPT[earlier]
            _KEPT[key] = found
            while len(_KEPT) > _KEPT_MOST:
                _KEPT.popitem(last=False)
    return found


def _kept_report(negotiation_id: int, *, keep: bool) -> ConductReport:
    """The report, computed in a session of its own from what this process kept of the last
    one (`in_memory`), keeping what it read again (the texts that changed) with `keep`, and
    committing only that: the request's session may hold changes of its own, which are not
    this function's to commit."""
    with app_state().services.session() as session:
        negotiation = session.get(Negotiation, negotiation_id)
        try:
            report = conduct_report(session, negotiation, default_zone=default_zone(),
                                    keep=keep, in_memory=True)
            session.commit()
        except (IntegrityError, OperationalError):
            # Another request kept the same texts first (or SQLite's snapshot moved on):
            # this one's report stands, without keeping anything.
            session.rollback()
            report = conduct_report(session, negotiation, default_zone=default_zone())
    return report


def _holds_writes() -> bool:
    """Whether the request's session has written without committing yet. On SQLite another
    connection's write would then wait for this request to end: the report is not kept."""
    session = g.get("db")
    if session is None or not session.in_transaction():
        return False
    # pysqlite opens a transaction for writes only; PostgreSQL's locks are per row.
    return bool(getattr(session.connection().connection.dbapi_connection, "in_transaction",
                        False))


def owned_report(negotiation_id: int) -> ConductReport | None:
    """The report of a negotiation the signed-in account may see, else None (for the partials,
    which must show nothing rather than fail a page)."""
    user = g.get("user")
    if user is None:
        return None
    cache = g.get(CACHE, {})
    if negotiation_id in cache:
        return cache[negotiation_id]
    try:
        negotiation = negotiation_for(db(), negotiation_id, user)
    except NotFound:
        return None
    return report_for(negotiation)


@dataclass(frozen=True)
class Flag:
    """A finding about one line as `findings/_flags.html` shows it. `needs_direction`: not
    counted until a person sets the direction; `url` then leads to where it is set.
    `suggested`: read from the words, not counted until a person confirms it on the findings
    page. `source`: the rule's legal sources in the reader's language."""

    finding_id: str
    rule_id: str
    title: str
    reason: str
    url: str
    needs_direction: bool = False
    suggested: bool = False
    source: str = ""


def line_flags(negotiation_id: int, found: Iterable[ConductFlag]) -> list[Flag]:
    """The findings about one line (`TimelineItem.findings`), each with its words in the
    reader's language and a link to it on the findings page, or, for one waiting for a
    direction, to the form where the direction is set."""
    return [Flag(f.finding_id, f.rule.id, rule_title(f.rule), in_language(f.reason),
                 set_direction_url(negotiation_id, f.source, f.evidence_id)
                 if f.needs_direction else
                 url_for("findings.show", negotiation_id=negotiation_id,
                         all=None if f.suggested else f.rule.id,
                         _anchor=f"finding-{f.finding_id}"), f.needs_direction, f.suggested,
                 legal_citation(f.rule.sources))
            for f in found]


def legal_citation(sources: Iterable[LegalSource]) -> str:
    """The sources in the reader's language, one after the other, each marked when its
    provision was not checked against a published text."""
    zh = language() == "zh"
    unchecked = _("not checked against the published text")
    unchecked = f"（{unchecked}）" if zh else f" ({unchecked})"
    return ("；" if zh else "; ").join(source.cite(language()) + ("" if source.verified
                                                                 else unchecked)
                                      for source in sources)


def set_direction_url(negotiation_id: int, source: str, evidence_id: int | None) -> str:
    """Where a person sets the direction a finding waits for: the item's details form, or, for
    a contact recorded by hand without an item, the list of those contacts."""
    if source.startswith("evidence:") and evidence_id is not None:
        return url_for("evidence.show", evidence_id=evidence_id, _anchor="details")
    return url_for("findings.inputs", negotiation_id=negotiation_id, _anchor="entries")


def calls_flags(evidence, calls) -> dict[int, list[Flag]]:
    """Call id -> the flags of each of these calls of an exported call log (anything with
    `id`), computed for them on each request; {} when the reader may not see the file."""
    user = g.get("user")
    if user is None or not calls:
        return {}
    try:
        item = evidence_for(db(), evidence.id, user)
    except NotFound:
        return {}
    negotiation = db().get(Negotiation, item.negotiation_id)
    _, found = timeline_line_flags(db(), negotiation, (), [c.id for c in calls],
                                   default_zone=default_zone())
    return {call_id: line_flags(negotiation.id, flags) for call_id, flags in found.items()}


def evidence_flags(evidence) -> list[Flag]:
    """The flags of one evidence item (anything with `id`), computed for it alone on each
    request; [] when it is not the signed-in reader's (the partial shows nothing then)."""
    user = g.get("user")
    if user is None:
        return []
    try:
        item = evidence_for(db(), evidence.id, user)
    except NotFound:
        return []
    negotiation = db().get(Negotiation, item.negotiation_id)
    found = conduct_flags(db(), negotiation, [item.id], default_zone=default_zone())
    return line_flags(negotiation.id, found.get(item.id, ()))


def language() -> str:
    """"zh" or "en": which of the rule data's two texts the reader gets."""
    return "zh" if get_locale().language == "zh" else "en"


def in_language(texts: dict[str, str]) -> str:
    return texts.get(language()) or next(iter(texts.values()), "")


def text_language(text: str) -> str:
    """The language a data text is written in (rule sources are Chinese or English), so pages
    can mark it for screen readers and for the translation checks."""
    return "zh-Hans" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def rule_title(rule: Rule) -> str:
    """A short heading for a rule; its full description comes from the rule set file."""
    params = rule.params
    if rule.check == "quiet_hours":
        return _("Contact outside %(start)s–%(end)s", start=params["allowed_from"],
                 end=params["allowed_until"])
    if rule.check == "unanswered_per_day":
        return _("More than %(limit)s unanswered calls in a day", limit=params["limit"])
    if rule.check == "attempts_in_window":
        return _("More than %(limit)s calls in %(days)s days", limit=params["limit"],
                 days=params["days"])
    if rule.check == "third_party":
        return _("Contact with people other than you")
    titles = [str(CATEGORY_TITLES[c]) for c in params.get("categories", ())
              if c in CATEGORY_TITLES]
    return " · ".join(titles) or in_language(rule.description)


def local_time(iso_text: str | None, zone_name: str) -> str:
    """A finding's local time ("2024-12-03T22:31:05+08:00") as people read it, in the zone the
    rules judged it in."""
    if not iso_text:
        return _("Time unknown")
    if len(iso_text) == 10:   # a contact known only by its date
        return babel_date(date.fromisoformat(iso_text), "medium", locale=get_locale())
    return local_moment(datetime.fromisoformat(iso_text), zone_name)


def local_moment(moment: datetime, zone_name: str, precision: str | None = None) -> str:
    """A stored time in `zone_name`; the date alone for a value known only to the day."""
    if precision == "day":
        return babel_date(moment.astimezone(ZoneInfo(zone_name)).date(), "medium",
                          locale=get_locale())
    return babel_datetime(moment, "medium", tzinfo=ZoneInfo(zone_name), locale=get_locale())
