"""Promise suggestions kept per evidence item: found when its text is extracted, then accepted
(possibly edited) or dismissed by a person. Nothing becomes a promise without that.

The job handlers call `suggest_for_text(session, text)` right after adding an `ExtractedText`,
before they commit, so the text and its suggestions land together. A later text of the same
item (a re-transcription, a correction) offers only statements not already offered, so a
dismissed suggestion does not come back. Accepting and dismissing are custody events.

Relative days are counted from the moment the words were said (a message's own time, a call's
start plus the second, else the item's `occurred_at`: logger.promises.text.anchors), never from
the upload or today; when none is known the suggestion has no due date and says so. What it was
counted from is kept on the suggestion (`due_basis`) and in the custody event of its acceptance.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, insert, select

from logger.errors import NotFound
from logger.promises.due import date_only_due
from logger.promises.promises import (InstalmentTerms, PromiseError, PromiseSource, PromiseTerms,
                             add_plan, add_promise)
from logger.promises.writing import link_on_acceptance
from logger.promises.text import (DEFAULT_ZONE, Suggestion, suggest_from_segments,
                                  suggest_from_stamped_text)
from logger.record import custody
from logger.record.moments import machine_time
from logger.record.sides import channel_sides, said_segments, segment_side
from storage.models import CustodyAction, Evidence, ExtractedText, Negotiation, User
from storage.models.promises import (Promise, PromiseKind, PromiseParty, PromiseSuggestion,
                                     SuggestionStatus)
from storage.models.types import TimePrecision, utcnow

_NOT_WORDS = re.compile(r"[\W_]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def find_in_text(text: str, *, at: datetime | None, tz: ZoneInfo,
                 precision: TimePrecision = TimePrecision.minute,
                 language: str | None = None) -> list[Suggestion]:
    """What `suggest_for_text` finds in a text without segments (an email's) said at `at`,
    without the database: a job reads it before it takes the write lock, then passes it on."""
    return one_per_promise(suggest_from_stamped_text(text, at=at, tz=tz, language=language,
                                                     precision=precision))


def suggest_for_text(session: Session, text: ExtractedText, *,
                     default_tz: ZoneInfo = DEFAULT_ZONE,
                     found: list[Suggestion] | None = None) -> list[PromiseSuggestion]:
    """Find the promise-like statements in a stored text (segment by segment when it has
    segments) and add them as open suggestions of its item, flushed, not committed. Days are
    read in the item owner's time zone (else `default_tz`) from the moment the item happened;
    `found` is what `find_in_text` already read from it. Returns the suggestions added."""
    evidence = session.get(Evidence, text.evidence_id)
    if evidence is None:
        raise NotFound(f"no evidence #{text.evidence_id} for text #{text.id}")
    if text.id is None:
        session.flush()
    tz = owner_zone(session, evidence, default_tz)
    at = evidence.occurred_at   # never the upload time: an undated item dates no words
    precision = TimePrecision(evidence.occurred_at_precision or TimePrecision.minute)
    language = text.language if text.language in ("zh", "en") else None
    # Segments as stored, empty ones included: a suggestion's segment_index points into them.
    spoken = any((s.get("text") or "").strip() for s in text.segments)
    # Each line with the side that said it (a chat bubble's, a stereo channel's once a person
    # said whose it is): a suggestion's "who" is that side when it is known.
    if found is None:
        found = one_per_promise(
            suggest_from_segments(said_segments(text.segments, evidence), at=at, tz=tz,
                                  language=language, precision=precision) if spoken
            else suggest_from_stamped_text(text.text, at=at, tz=tz, language=language,
                                           precision=precision))
    seen = {(s.kind, _words(s.quote)) for s in session.exec(select(PromiseSuggestion).where(
        PromiseSuggestion.evidence_id == evidence.id))}
    added = add_found(session, text, found, tz=tz, seen=seen)
    session.flush()
    return added


def add_found(session: Session, text: ExtractedText, found: list[Suggestion], *, tz: ZoneInfo,
              seen: set | None = None) -> list[PromiseSuggestion]:
    """Add `found` (read from `text`, flushed) as open suggestions of its item, each
    statement once and none already `seen` (kind, words). `tz`: the item owner's."""
    return insert_found(session, found_rows(text, found, tz=tz, seen=seen))


def found_rows(text: ExtractedText, found: list[Suggestion], *, tz: ZoneInfo,
               seen: set | None = None) -> list[dict[str, Any]]:
    """The rows `add_found` adds, for `insert_found`: a batch of new items, which have no
    suggestions yet, inserts all of theirs at once."""
    seen = set() if seen is None else seen
    rows = []
    for position, suggestion in enumerate(found):
        key = (PromiseKind(str(suggestion.kind)), _words(suggestion.quote))
        if key in seen:
            continue
        seen.add(key)
        rows.append(_row(suggestion, text.evidence_id, text.id, position, tz))
    return rows


def insert_found(session: Session, rows: list[dict[str, Any]]) -> list[PromiseSuggestion]:
    """Insert suggestion rows (`found_rows`) in one statement; returns them as stored."""
    if not rows:
        return []
    return list(session.scalars(
        insert(PromiseSuggestion).returning(PromiseSuggestion, sort_by_parameter_order=True),
        rows).all())


def one_per_promise(found: list[Suggestion]) -> list[Suggestion]:
    """One suggestion per promise when a text states it in two languages (a bilingual
    agreement): statements in different languages that agree on who, what, amount, currency
    and due date (and a plan's instalments) become the first, its quote holding both passages.
    Statements in one language are left apart: saying the same twice in a call may be two
    promises."""
    kept: list[Suggestion] = []
    for suggestion in found:
        twin = next((i for i, k in enumerate(kept) if _same_promise(k, suggestion)), None)
        if twin is None:
            kept.append(suggestion)
        else:
            kept[twin] = replace(kept[twin], quote=f"{kept[twin].quote}\n{suggestion.quote}")
    return kept


def _same_promise(a: Suggestion, b: Suggestion) -> bool:
    terms = ("who", "kind", "amount", "currency", "due", "total", "instalments")
    return (all(getattr(a, t) == getattr(b, t) for t in terms)
            and _script(b.quote) not in _scripts(a.quote))


def _script(quote: str) -> str:
    return "han" if _HAN.search(quote) else "latin"


def _scripts(quote: str) -> set[str]:
    """The scripts of a (possibly merged) quote's passages."""
    return {_script(line) for line in quote.splitlines() if line.strip()}


def open_suggestions(session: Session, evidence_id: int) -> list[PromiseSuggestion]:
    """The item's suggestions waiting for a person, in the order they were said."""
    return list(session.exec(select(PromiseSuggestion).where(
        PromiseSuggestion.evidence_id == evidence_id,
        PromiseSuggestion.status == SuggestionStatus.open)
        .order_by(PromiseSuggestion.text_id, PromiseSuggestion.position)).all())


def get_suggestion(session: Session, suggestion_id: int, *, evidence: Evidence
                   ) -> PromiseSuggestion:
    """The suggestion, if it belongs to `evidence`; else NotFound."""
    suggestion = session.get(PromiseSuggestion, suggestion_id)
    if suggestion is None or suggestion.evidence_id != evidence.id:
        raise NotFound(f"no suggestion #{suggestion_id} on evidence #{evidence.id}")
    return suggestion


def suggested_terms(suggestion: PromiseSuggestion) -> PromiseTerms:
    """What the suggestion proposes, as terms a person may edit before accepting. An unknown
    speaker is proposed as the other side for what they alone give (waivers, settlements,
    extensions, stops to calls)
    and as the debtor otherwise."""
    party = suggestion.party
    if party not in (PromiseParty.me, PromiseParty.them):
        offered = suggestion.kind in (PromiseKind.waiver, PromiseKind.settlement,
                                      PromiseKind.extension, PromiseKind.stop_calls)
        party = PromiseParty.them if offered else PromiseParty.me
    return PromiseTerms(PromiseParty(party), suggestion.kind, suggestion.amount,
                        suggestion.currency, suggestion.due_at, suggestion.conditions,
                        due_precision=TimePrecision(suggestion.due_precision))


def suggested_instalments(suggestion: PromiseSuggestion) -> list[InstalmentTerms]:
    """A plan suggestion's instalments (due None or amount None where not said; a due date
    said without a time is a date, `due_precision` day)."""
    tz = _zone(suggestion.timezone)
    return [_instalment(i, tz) for i in suggestion.instalments]


def _instalment(row: dict, tz: ZoneInfo) -> InstalmentTerms:
    due, precision = _instalment_due(row.get("due"), tz)
    amount = Decimal(row["amount"]) if row.get("amount") is not None else None
    return InstalmentTerms(due, amount, precision)


def _instalment_due(value: str | None, tz: ZoneInfo) -> tuple[datetime | None, TimePrecision]:
    if not value:
        return None, TimePrecision.minute
    if len(value) == 10:   # a date
        return date_only_due(date.fromisoformat(value), tz), TimePrecision.day
    return datetime.fromisoformat(value), TimePrecision.minute


def accept_suggestion(session: Session, suggestion: PromiseSuggestion, *, actor: User | None,
                      terms: PromiseTerms | None = None,
                      instalments: list[InstalmentTerms] | None = None) -> Promise:
    """Turn a suggestion into a promise, with the person's edits (`terms`; for a plan,
    `instalments`) or as suggested, and commit. A plan becomes the plan and its dated
    instalments. Returns the promise (the plan). Raises PromiseError if it was already
    decided, ValueError for impossible terms."""
    if suggestion.status != SuggestionStatus.open:
        raise PromiseError(f"suggestion #{suggestion.id} was already {suggestion.status}")
    evidence = session.get(Evidence, suggestion.evidence_id)
    negotiation = session.get(Negotiation, evidence.negotiation_id)
    terms = terms or suggested_terms(suggestion)
    tz = _zone(suggestion.timezone)
    source = PromiseSource(evidence.id, suggestion.text_id, suggestion.segment_index,
                           suggestion.start, suggestion.quote)
    edited = terms != suggested_terms(suggestion) or (
        instalments is not None and instalments != suggested_instalments(suggestion))
    # The custody event says what the suggested date was counted from.
    note = {"suggestion_id": suggestion.id, "counted_from": suggestion.due_basis or None}
    if terms.kind == PromiseKind.instalment_plan:
        plan = instalments if instalments is not None else suggested_instalments(suggestion)
        promise = add_plan(session, negotiation=negotiation, actor=actor, party=terms.party,
                           instalments=plan, tz=tz, currency=terms.currency,
                           conditions=terms.conditions, source=source,
                           event="accepted_edited" if edited else "accepted", commit=False,
                           note=note)
    else:
        promise = add_promise(session, negotiation=negotiation, actor=actor, terms=terms, tz=tz,
                              source=source, event="accepted_edited" if edited else "accepted",
                              commit=False, note=note)
    # Accepted from a written agreement's own text: it is in writing already.
    link_on_acceptance(session, promise, evidence, actor=actor)
    _decide(suggestion, SuggestionStatus.accepted, actor, promise)
    session.add(suggestion)
    session.commit()
    return promise


def dismiss_suggestion(session: Session, suggestion: PromiseSuggestion, *,
                       actor: User | None) -> PromiseSuggestion:
    """Record that a person judged the suggestion not a promise, with a custody event, and
    commit. Dismissing twice changes nothing; an accepted one raises PromiseError."""
    if suggestion.status == SuggestionStatus.dismissed:
        return suggestion
    if suggestion.status != SuggestionStatus.open:
        raise PromiseError(f"suggestion #{suggestion.id} was already {suggestion.status}")
    evidence = session.get(Evidence, suggestion.evidence_id)
    custody.lock_chain(session)
    _decide(suggestion, SuggestionStatus.dismissed, actor, None)
    session.add(suggestion)
    custody.append_event(session, action=CustodyAction.promise,
                         actor_id=actor.id if actor else None,
                         negotiation_id=evidence.negotiation_id, evidence_id=evidence.id,
                         details={"event": "suggestion_dismissed",
                                  "suggestion_id": suggestion.id, "quote": suggestion.quote})
    session.commit()
    return suggestion


def suggestion_dict(s: PromiseSuggestion) -> dict:
    """A suggestion as `liuhen promises suggestions --json` prints it: `due_at` local in its
    zone with the offset (a bare date when no time was said), `counted_from` what a relative
    day was counted from (see PromiseSuggestion.due_basis)."""
    return {"id": s.id, "evidence_id": s.evidence_id, "text_id": s.text_id,
            "who": s.party, "kind": str(s.kind), "quote": s.quote,
            "amount": str(s.amount) if s.amount is not None else None, "currency": s.currency,
            "due_at": machine_time(s.due_at, _zone(s.timezone), s.due_precision),
            "due_precision": str(s.due_precision), "counted_from": s.due_basis or None,
            "condition": s.conditions,
            "total": str(s.total) if s.total is not None else None,
            "instalments": s.instalments, "segment_index": s.segment_index, "start": s.start,
            "status": str(s.status), "promise_id": s.promise_id}


def owner_zone(session: Session, evidence: Evidence, default: ZoneInfo) -> ZoneInfo:
    """The time zone of the account that owns the item, else `default`."""
    negotiation = session.get(Negotiation, evidence.negotiation_id)
    owner = session.get(User, negotiation.owner_id) if negotiation else None
    return _zone(owner.timezone, default) if owner and owner.timezone else default


def _row(s: Suggestion, evidence_id: int, text_id: int, position: int,
         tz: ZoneInfo) -> dict[str, Any]:
    # A plan's days are said without a time: each instalment is due on its date.
    instalments = [{"number": i.number, "due": i.due.date().isoformat() if i.due else None,
                    "amount": str(i.amount) if i.amount is not None else None}
                   for i in s.instalments]
    return dict(
        evidence_id=evidence_id, text_id=text_id, position=position, party=str(s.who),
        kind=PromiseKind(str(s.kind)), quote=s.quote, amount=s.amount,
        currency=s.currency, due_at=s.due, due_precision=TimePrecision(s.due_precision),
        due_basis=s.basis.to_dict() if s.basis else {}, timezone=tz.key,
        conditions=s.condition, total=s.total, instalments=instalments,
        segment_index=s.segment_index, start=s.start)


def _decide(suggestion: PromiseSuggestion, status: SuggestionStatus, actor: User | None,
            promise: Promise | None) -> None:
    suggestion.status, suggestion.decided_at = status, utcnow()
    suggestion.decided_by = actor.id if actor else None
    suggestion.promise_id = promise.id if promise else None


def _words(quote: str) -> str:
    """A quote without punctuation or spaces: another transcription of the same words (a
    comma more, a full stop less) is the same statement."""
    return _NOT_WORDS.sub("", quote).lower()


def _zone(name: str, default: ZoneInfo = DEFAULT_ZONE) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


def resay_suggestions(session: Session, evidence: Evidence) -> int:
    """After a person said whose voice each channel of a stereo recording is: every open
    suggestion found in a line of it takes that line's side as its "who" (the wording's again
    when the person takes it back). Returns how many changed; flushed, not committed."""
    channels = channel_sides(evidence)
    changed = 0
    for suggestion in open_suggestions(session, evidence.id):
        text = session.get(ExtractedText, suggestion.text_id)
        index = suggestion.segment_index
        if text is None or index is None or not 0 <= index < len(text.segments):
            continue
        segment = text.segments[index]
        who = segment_side(segment, channels) or _wording_who(segment, suggestion)
        if who and who != suggestion.party:
            suggestion.party = who
            session.add(suggestion)
            changed += 1
    session.flush()
    return changed


def _wording_who(segment: dict, suggestion: PromiseSuggestion) -> str | None:
    """Who the words of `segment` alone say made the suggestion (no side known)."""
    tz = _zone(suggestion.timezone)
    for found in suggest_from_segments([{"text": segment.get("text") or ""}], at=None, tz=tz):
        if PromiseKind(str(found.kind)) == suggestion.kind and \
                _words(found.quote) == _words(suggestion.quote):
            return str(found.who)
    return None
