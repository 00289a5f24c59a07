"""Factories for the tests of promises in writing (tests/agreements/): a call whose transcript
states a promise, a written agreement (evidence of kind `agreement`) with its text, and the
promise accepted from a suggestion as a person does."""

from __future__ import annotations

import io
import uuid

from logger.intake.ingest import EvidenceDetails, IncomingFile, ingest
from logger.promises.suggestions import accept_suggestion, open_suggestions
from storage.models import Channel, Direction, EvidenceKind, TextSource
from tests.support.promises import ZONE, add_text, local

CALL_WORDS = "我承诺于2026年12月1日前还款3000元。"
AGREEMENT_WORDS = "借款人承诺于2026年12月1日前归还人民币3000元。"
PLAN_WORDS = "双方约定分3期还款，每期1000元，2026年12月1日、2027年1月1日、2027年2月1日各还1000元。"


def stored(services, session, negotiation, owner, name: str, **details):
    """A small file (distinct each time) stored through intake with `details`."""
    data = f"{name} {uuid.uuid4().hex}".encode()
    return ingest(session=session, blobs=services.blobs,
                  source=IncomingFile(io.BytesIO(data), name), negotiation=negotiation,
                  actor=owner, max_bytes=10**6, tz=ZONE,
                  details=EvidenceDetails(occurred_at=local("2026-11-20 15:30"), **details))


def call_with(services, session, negotiation, owner, words: str = CALL_WORDS):
    """A call whose transcript says `words` (its suggestions found); returns the item."""
    item = stored(services, session, negotiation, owner, "call.txt", kind=EvidenceKind.call,
                  channel=Channel.call)
    add_text(session, item, words, segments=[{"start": 3.0, "end": 8.0, "text": words}])
    return item


def agreement_with(services, session, negotiation, owner, words: str = AGREEMENT_WORDS,
                   name: str = "agreement.txt", **details):
    """A written agreement whose text says `words` (its suggestions found)."""
    details.setdefault("direction", Direction.from_them)
    item = stored(services, session, negotiation, owner, name, kind=EvidenceKind.agreement,
                  **details)
    add_text(session, item, words, source=TextSource.pdf)
    return item


def accept_first(session, item, actor):
    """Accept the item's first open suggestion as suggested; returns the promise (plan)."""
    suggestions = open_suggestions(session, item.id)
    assert suggestions, f"no suggestion found in evidence #{item.id}"
    return accept_suggestion(session, suggestions[0], actor=actor)
