"""Promise suggestions kept per evidence item: found when its text is extracted, then accepted
(possibly edited) or dismissed by a person. Nothing becomes a promise without that.

The job handlers call `suggest_for_text(session, text)` right after adding an `ExtractedText`,
before they commit, so the text and its suggestions land together. A later text of the same
item (a re-transcription, a correction) offers only statements not already offered, so a
dismissed suggestion does not come back. Accepting and dismissing are custody events.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from logger.record import custody
from logger.errors import NotFound
from logger.record.evidence import iso
from logger.promises.text import DEFAULT_ZONE, Suggestion, suggest_from_segments, suggest_promises
from logger.promises.promises import (InstalmentTerms, PromiseError, PromiseSource, PromiseTerms,
                             add_plan, add_promise)
from storage.models import CustodyAction, Evidence, ExtractedText, Negotiation, User
from storage.models.promises import (Promise, PromiseKind, PromiseParty, PromiseSuggestion,
                                     SuggestionStatus)
from storage.models.types import utcnow

_NOT_WORDS = re.compile(r"[\W_]+")


def suggest_for_text(session: Session, text: ExtractedText, *,
                     default_tz: ZoneInfo = DEFAULT_ZONE) -> list[PromiseSuggestion]:
    """Find the promise-like statements in a stored text (segment by segment when it has
    segments) and add them as open suggestions of its item, flushed, not committed. Days are
    read in the item owner's time zone (else `default_tz`) from the moment the item happened.
    Returns the suggestions added."""
    evidence = session.get(Evidence, text.evidence_id)
    if evidence is None:
        raise NotFound(f"no evidence #{text.evidence_id} for text #{text.id}")
    if text.id is None:
        session.flush()
    tz = owner_zone(session, evidence, default_tz)
    at = evidence.occurred_at or evidence.created_at
    language = text.language if text.language in ("zh", "en") else None
    # Segments as stored, empty ones included: a suggestion's segment_index points into them.
    spoken = any((s.get("text") or "").strip() for s in text.segments)
    found = (suggest_from_segments(text.segments, at=at, tz=tz, language=language) if spoken
             else suggest_promises(text.text, at=at, tz=tz, language=language))
    seen = {(s.kind, _words(s.quote)) for s in session.exec(select(PromiseSuggestion).where(
        PromiseSuggestion.evidence_id == evidence.id))}
    added = []
    for position, suggestion in enumerate(found):
        key = (PromiseKind(str(suggestion.kind)), _words(suggestion.quote))
        if key in seen:
            continue
        seen.add(key)
        row = _row(suggestion, evidence.id, text.id, position, tz)
        session.add(row)
        added.append(row)
    session.flush()
    return added


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
    speaker is proposed as the other side for what they alone give (waivers, stops to calls)
    and as the debtor otherwise."""
    party = suggestion.party
    if party not in (PromiseParty.me, PromiseParty.them):
        offered = suggestion.kind in (PromiseKind.waiver, PromiseKind.stop_calls)
        party = PromiseParty.them if offered else PromiseParty.me
    return PromiseTerms(PromiseParty(party), suggestion.kind, suggestion.amount,
                        suggestion.currency, suggestion.due_at, suggestion.conditions)


def suggested_instalments(suggestion: PromiseSuggestion) -> list[InstalmentTerms]:
    """A plan suggestion's instalments (due None or amount None where not said)."""
    return [InstalmentTerms(
        datetime.fromisoformat(i["due"]) if i.get("due") else None,
        Decimal(i["amount"]) if i.get("amount") is not None else None)
        for i in suggestion.instalments]


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
    if terms.kind == PromiseKind.instalment_plan:
        plan = instalments if instalments is not None else suggested_instalments(suggestion)
        promise = add_plan(session, negotiation=negotiation, actor=actor, party=terms.party,
                           instalments=plan, tz=tz, currency=terms.currency,
                           conditions=terms.conditions, source=source,
                           event="accepted_edited" if edited else "accepted", commit=False)
    else:
        promise = add_promise(session, negotiation=negotiation, actor=actor, terms=terms, tz=tz,
                              source=source, event="accepted_edited" if edited else "accepted",
                              commit=False)
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
    """A suggestion as `liuhen promises suggestions --json` prints it."""
    return {"id": s.id, "evidence_id": s.evidence_id, "text_id": s.text_id,
            "who": s.party, "kind": str(s.kind), "quote": s.quote,
            "amount": str(s.amount) if s.amount is not None else None, "currency": s.currency,
            "due_at": iso(s.due_at), "condition": s.conditions,
            "total": str(s.total) if s.total is not None else None,
            "instalments": s.instalments, "segment_index": s.segment_index, "start": s.start,
            "status": str(s.status), "promise_id": s.promise_id}


def owner_zone(session: Session, evidence: Evidence, default: ZoneInfo) -> ZoneInfo:
    """The time zone of the account that owns the item, else `default`."""
    negotiation = session.get(Negotiation, evidence.negotiation_id)
    owner = session.get(User, negotiation.owner_id) if negotiation else None
    return _zone(owner.timezone, default) if owner and owner.timezone else default


def _row(s: Suggestion, evidence_id: int, text_id: int, position: int,
         tz: ZoneInfo) -> PromiseSuggestion:
    instalments = [{"number": i.number, "due": i.due.isoformat() if i.due else None,
                    "amount": str(i.amount) if i.amount is not None else None}
                   for i in s.instalments]
    return PromiseSuggestion(
        evidence_id=evidence_id, text_id=text_id, position=position, party=str(s.who),
        kind=PromiseKind(str(s.kind)), quote=s.quote, amount=s.amount,
        currency=s.currency, due_at=s.due, timezone=tz.key, conditions=s.condition,
        total=s.total, instalments=instalments, segment_index=s.segment_index, start=s.start)


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

