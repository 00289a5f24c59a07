"""The evidence bundle page of one negotiation: choose the items (all, a date range, channels,
or by hand), group them and write what each group proves (prefilled by `logger.bundles.items`;
each group counted per kind, its items listed PAGE_ITEMS at a time: a choice made by hand on
one page keeps the filters' choice on every other page, so a mailbox of 10,000 messages is no
10 MB page; the letter's facts and doubts are listed up to LISTED_FACTS a section and counted),
choose the purpose and language, the kind of complaint letter and the facts it states (what is
uncertain is listed apart, with where to settle it, and never goes into the letter), edit the
letter (the redraft button writes it again from the picks), and download the ZIP. The bundle is
built whole before the download starts (so a BundleError shows the page again, with what to
change), into an encrypted scratch file in the data dir under a key held only in memory
(`logger.bundles.build.spool_bundle`), which is decrypted while it is sent and is gone then, or
with the process. The page also shows the signing key's fingerprint, for whoever checks the
bundles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext as _l
from sqlalchemy import Row
from sqlmodel import select

from logger.bundles.build import BundleRequest, spool_bundle
from logger.bundles.items import (BundleError, BundleGroup, BundlePurpose, channel_choices,
                                 prefilled_purposes, select_items, suggest_groups)
from logger.bundles.letter import LETTER_KINDS, Draft, draft, write_letter
from logger.bundles.letters.heimao import BODY_LIMIT, TITLE_LIMIT, body_of
from logger.bundles.letters.plan import LetterPlan, Section, plan_letter
from logger.bundles.signing import signing_key
from logger.conduct.report import ConductReport
from logger.errors import NotFound
from logger.i18n import translate
from logger.record.evidence import list_evidence
from logger.record.trash import live
from storage.models import Evidence, EvidenceKind, Negotiation
from web.access import current_user, db, negotiation_for
from web.findings.view import kept_for, report_for
from web.i18n import refusal_text
from web.state import app_state
from web.zone import zone_of

bp = Blueprint("bundles", __name__)

SPARE_GROUPS = 2  # empty groups offered, so items can be moved into new groups without script
# Items listed per page; each group shows its count per kind whatever the page (a negotiation
# may hold tens of thousands of items: a mailbox's messages are items).
PAGE_ITEMS = 100
# Facts of each section of the letter, and doubts, listed on the page; the others are counted
# (and stay picked).
LISTED_FACTS = 50
PURPOSE_LABELS = {
    BundlePurpose.court: (_l("Court"), _l("The evidence list with a signature line, and a "
                                          "print version stamped and numbered page by page.")),
    BundlePurpose.complaint: (_l("Complaint to a regulator"),
                              _l("With a complaint letter you can edit below.")),
    BundlePurpose.backup: (_l("Personal backup"), _l("Everything, checkable, for your own "
                                                     "archive.")),
}
KIND_LABELS = {
    EvidenceKind.call: _l("Call recording"), EvidenceKind.chat: _l("Chat screenshot"),
    EvidenceKind.email: _l("Email"), EvidenceKind.letter: _l("Letter"),
    EvidenceKind.document: _l("Document"), EvidenceKind.sms: _l("Text messages"),
    EvidenceKind.note: _l("Note"), EvidenceKind.payment_receipt: _l("Payment receipt"),
    EvidenceKind.agreement: _l("Written agreement"),
    EvidenceKind.hardship_proof: _l("Hardship proof"),
}
CHANNEL_FILTER_LABELS = {
    "call": _l("Calls"), "sms": _l("Text messages"), "app_chat": _l("App chats"),
    "wechat": _l("WeChat"), "email": _l("Emails"), "letter": _l("Letters"),
    "visit": _l("Visits"), "other": _l("Other channels"), "chat": _l("Chat screenshots"),
    "document": _l("Documents"), "note": _l("Notes"), "payment_receipt": _l("Payment receipts"),
    "agreement": _l("Written agreements"), "hardship_proof": _l("Hardship proofs"),
}


# What `_listed` reads of every item.
_LISTED = (Evidence.id, Evidence.kind, Evidence.channel, Evidence.direction,
           Evidence.occurred_at, Evidence.occurred_at_precision, Evidence.counterpart_number,
           Evidence.counterpart_name, Evidence.original_filename)
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
FACT_SECTIONS = ((Section.contact, _l("Contacts on record")),
                 (Section.promise, _l("Promises")), (Section.finding, _l("Conduct findings")))


@bp.get("/negotiations/<int:negotiation_id>/bundle")
def new(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "view")
    choice = _Choice.from_args(negotiation)
    return _page(negotiation, choice)


@bp.post("/negotiations/<int:negotiation_id>/bundle")
def export(negotiation_id: int):
    negotiation = negotiation_for(negotiation_id, "view")
    choice = _Choice.from_form(negotiation)
    if choice.redraft:  # the letter written again from the kind and facts now picked
        choice.letter = None
        return _page(negotiation, choice)
    try:
        if choice.unpicked:
            choice.resolve_picks(_plan(negotiation, choice)[0])
        groups = _posted_groups(negotiation, choice)
        return _download(negotiation, choice, groups)
    except (BundleError, NotFound) as e:
        return _page(negotiation, choice, error=refusal_text(e)), 400


class _Choice:
    """What the page shows selected: purpose, language, filters, party, letter."""

    def __init__(self, negotiation: Negotiation, values, *, posted: bool):
        language = values.get("lang") or negotiation.language or get_locale().language
        self.language = language if language in ("zh", "en") else "zh"
        purpose = values.get("purpose", BundlePurpose.court.value)
        self.purpose = BundlePurpose(purpose) if purpose in set(BundlePurpose) \
            else BundlePurpose.court
        self.since = _day(values.get("since"))
        self.until = _day(values.get("until"))
        self.channels = [c for c in values.getlist("channel") if c in channel_choices()]
        self.party = (values.get("party") or current_user().name).strip()
        self.letter = values.get("letter") if posted else None
        self.timestamp = values.get("timestamp") == "on" if posted else True
        kind = values.get("letter_kind") or "generic"
        self.kind = kind if kind in LETTER_KINDS else "generic"
        # The facts picked for the letter; None (the page not yet posted): all of them. A page
        # lists only the first facts of each section (`fact_listed`): every fact is picked but
        # those it listed unticked (`resolve_picks`).
        ticked, listed = values.getlist("fact"), values.getlist("fact_listed")
        self.unpicked = set(listed) - set(ticked)
        self.picks = ticked if values.get("facts_shown") and not self.unpicked else None
        self.redraft = posted and "redraft" in values

    def resolve_picks(self, plan: LetterPlan) -> None:
        """The picks as keys of `plan`'s facts, once it is known, where some were unticked."""
        if self.unpicked:
            self.picks = [key for key in plan.keys() if key not in self.unpicked]

    @classmethod
    def from_args(cls, negotiation: Negotiation) -> _Choice:
        return cls(negotiation, request.args, posted=False)

    @classmethod
    def from_form(cls, negotiation: Negotiation) -> _Choice:
        return cls(negotiation, request.form, posted=True)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _page(negotiation: Negotiation, choice: _Choice, *, error: str | None = None) -> str:
    session, tz = db(), zone_of(negotiation)
    # Read once for the groups, the letter's plan and the plan shown: the report is the one
    # the header shows, judged in `tz`; it, the items and their groups are kept across
    # requests until the record changes.
    report = report_for(negotiation)
    items, groups = kept_for(negotiation, ("bundle groups", choice.language, tz.key),
                             lambda: _grouped(negotiation, report, choice.language, tz))
    chosen = _chosen(negotiation, choice) if request.method == "POST" else _filtered(
        negotiation, choice)
    by_id = {e.id: e for e in items}
    page = _page_number(request.values.get("page"))
    on_page = _on_page([g.evidence_ids for g in groups], page)
    shown_items = {e.id: e for e in session.exec(select(Evidence).where(
        Evidence.id.in_(on_page)))} if on_page else {}
    plan, drafted = _plan(negotiation, choice, items=items, report=report)
    if choice.letter is None:
        choice.letter = drafted.text
    page_language = "en" if get_locale().language == "en" else "zh"
    shown = plan if plan.language == page_language else plan_letter(  # in the page's words
        session, negotiation, language=page_language, tz=tz, items=items, report=report)
    services = app_state().services
    pages = max(1, -(-len(items) // PAGE_ITEMS))
    picked = set(plan.keys() if choice.picks is None else choice.picks)
    return render_template(
        "bundles/new.html", negotiation=negotiation, choice=choice, error=error,
        groups=[(g, [shown_items[i] for i in g.evidence_ids if i in on_page],
                 _kind_counts(by_id[i] for i in g.evidence_ids),
                 sum(i in chosen for i in g.evidence_ids)) for g in groups],
        page=min(page, pages), pages=pages, page_size=PAGE_ITEMS, item_count=len(items),
        chosen_count=len(chosen & set(by_id)), page_url=_page_url(negotiation, choice),
        spare=range(len(groups) + 1, len(groups) + 1 + SPARE_GROUPS),
        group_count=len(groups) + SPARE_GROUPS, chosen=chosen,
        purposes=PURPOSE_LABELS, kinds=KIND_LABELS, channel_filters=CHANNEL_FILTER_LABELS,
        timestamp_available=bool(services.config.bundles.tsa_url), tz=tz,
        letter_kinds={k: translate(page_language, v) for k, v in LETTER_KINDS.items()},
        shown=shown, drafted=drafted, fact_sections=FACT_SECTIONS,
        body_chars=len(body_of(drafted.text)) if drafted.kind == "heimao" else 0,
        picked=picked, count_picked=lambda facts: sum(fact.key in picked for fact in facts),
        settle_url=_settle_url, heimao_limits=(TITLE_LIMIT, BODY_LIMIT), listed=LISTED_FACTS)


def _grouped(negotiation: Negotiation, report: ConductReport, language: str, tz: ZoneInfo
             ) -> tuple[list[Row], list[BundleGroup]]:
    """The negotiation's items (`_listed`) and the groups suggested for them."""
    items = _listed(negotiation.id)
    return items, suggest_groups(db(), negotiation, items, language=language, tz=tz,
                                 report=report)


def _listed(negotiation_id: int) -> list[Row]:
    """`list_evidence`, with only the fields the groups, the letter's plan and the counts
    read (plain rows: a negotiation may hold tens of thousands of items); the page's own items
    are read whole."""
    rows = db().exec(select(*_LISTED).where(Evidence.negotiation_id == negotiation_id, live())
                     .order_by(Evidence.id)).all()
    return sorted(rows, key=lambda e: (e.occurred_at or _FAR_FUTURE, e.id))


def _plan(negotiation: Negotiation, choice: _Choice, *, items: list[Evidence] | None = None,
          report: ConductReport | None = None) -> tuple[LetterPlan, Draft]:
    """The letter's plan and its draft from the facts picked (see `_Choice.resolve_picks`);
    `items` and `report`: the negotiation's, when the caller has read them."""
    tz = zone_of(negotiation)
    plan, drafted = draft(db(), negotiation, language=choice.language, tz=tz,
                          party=choice.party, kind=choice.kind, picks=choice.picks,
                          items=items, report=report)
    if choice.unpicked:
        choice.resolve_picks(plan)
        drafted = write_letter(plan, kind=choice.kind, party=choice.party,
                               today=datetime.now(tz).date(), picks=choice.picks)
    return plan, drafted


def _settle_url(negotiation: Negotiation, settle: tuple[str, int | None]) -> str:
    """Where a person settles a doubt of the letter plan."""
    where, number = settle
    if where == "evidence" and number:
        return url_for("evidence.show", evidence_id=number)
    if where in ("payments", "promises"):
        return url_for("promises.show", negotiation_id=negotiation.id)
    return url_for("findings.show", negotiation_id=negotiation.id)


def _filtered(negotiation: Negotiation, choice: _Choice) -> set[int]:
    """The items the date range and channels tick (all of them without either)."""
    if not (choice.since or choice.until or choice.channels):
        return set(db().exec(select(Evidence.id).where(
            Evidence.negotiation_id == negotiation.id, live())))
    return {e.id for e in select_items(db(), negotiation, tz=zone_of(negotiation),
                                       since=choice.since, until=choice.until,
                                       channels=choice.channels or None)}


def _chosen(negotiation: Negotiation, choice: _Choice) -> set[int]:
    """The posted choice: the ticked items of the page shown, and on every other page the
    items the filters tick (the form names the page's items in `shown`); without `shown`
    (a form that lists every item), the ticked items alone."""
    ticked = set(request.form.getlist("item", type=int))
    if "shown" not in request.form:
        return ticked
    shown = set(request.form.getlist("shown", type=int))
    return (_filtered(negotiation, choice) - shown) | ticked


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _on_page(groups: list[list[int]], page: int) -> set[int]:
    """The items of `page`: PAGE_ITEMS at a time, in the order the groups list them (the
    last page when `page` is past it)."""
    ordered = [i for ids in groups for i in ids]
    last = max(1, -(-len(ordered) // PAGE_ITEMS))
    start = (min(page, last) - 1) * PAGE_ITEMS
    return set(ordered[start:start + PAGE_ITEMS])


def _kind_counts(items: Iterable[Evidence]) -> list[tuple[EvidenceKind, int]]:
    """How many items of each kind, the most common first."""
    return Counter(EvidenceKind(e.kind) for e in items).most_common()


def _page_url(negotiation: Negotiation, choice: _Choice) -> Callable[[int], str]:
    """page number -> the page's address, with the choice's filters, purpose and language."""
    args = {"purpose": choice.purpose.value, "lang": choice.language, "channel": choice.channels,
            **{name: getattr(choice, name).isoformat() for name in ("since", "until")
               if getattr(choice, name)}}
    return lambda number: url_for("bundles.new", negotiation_id=negotiation.id, page=number,
                                  **args)


def _posted_groups(negotiation: Negotiation, choice: _Choice) -> list[BundleGroup]:
    """The chosen items (`_chosen`), in the groups the form put them in (in time order; an
    item not on the page shown stays in its suggested group), each with the purpose written
    for its group, or its first item's prefilled purpose when left blank."""
    session, tz = db(), zone_of(negotiation)
    ticked = _chosen(negotiation, choice)
    everything = list_evidence(session, negotiation.id)
    items = [e for e in everything if e.id in ticked]
    if len(items) != len(ticked):
        raise NotFound("some chosen items are not evidence of this negotiation")
    suggested = {} if "shown" not in request.form else {
        i: number for number, group in enumerate(suggest_groups(
            session, negotiation, everything, language=choice.language, tz=tz), start=1)
        for i in group.evidence_ids}
    prefilled = prefilled_purposes(session, negotiation, items, tz=tz)
    members: dict[int, list[Evidence]] = {}
    for item in items:
        number = request.form.get(f"group-{item.id}", type=int) or suggested.get(item.id, 1)
        members.setdefault(number, []).append(item)
    groups = []
    for number in sorted(members):
        first = members[number][0]
        written = (request.form.get(f"purpose-{number}") or "").strip()
        fallback = prefilled[first.id][1][0 if choice.language == "zh" else 1]
        groups.append(BundleGroup(written or fallback, [e.id for e in members[number]]))
    return groups


def _download(negotiation: Negotiation, choice: _Choice, groups: list[BundleGroup]
              ) -> Response:
    services, tz = app_state().services, zone_of(negotiation)
    stamp = datetime.now(tz).strftime("%Y%m%d-%H%M")
    name = f"liuhen-{negotiation.id}-{choice.purpose}-{stamp}.zip"
    request_ = BundleRequest(negotiation=negotiation, purpose=choice.purpose,
                             language=choice.language, groups=groups, party=choice.party,
                             letter=choice.letter, timestamp=choice.timestamp,
                             tz=tz, letter_kind=choice.kind,
                             letter_picks=choice.picks)
    result, spool = spool_bundle(session=db(), services=services, request=request_, name=name,
                                 actor=current_user())
    response = Response(_Sent(spool), mimetype="application/zip", direct_passthrough=True)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.content_length = result.bytes
    response.cache_control.no_store = True
    return response


class _Sent:
    """The response body: the spool's plaintext, chunk by chunk; closing it (the server does,
    sent or not) drops the spool."""

    def __init__(self, spool):
        self._spool = spool

    def __iter__(self):
        return self._spool.chunks()

    def close(self) -> None:
        self._spool.close()


@bp.app_template_global()
def signing_key_info():
    """The bundle signing key's public part and fingerprint (made on first use)."""
    services = app_state().services
    return signing_key(services.vault, services.config.storage.data_dir).info()
