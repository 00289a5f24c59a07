"""The custody log: an append-only hash chain of everything that happens to evidence.

Each `CustodyEvent` stores the SHA-256 of the previous event (`prev_hash`) and its own `hash` over
its canonical form, so editing or removing any event breaks the chain at a place `verify_chain`
can name. Events outlive the items they describe (no foreign keys), so a deletion is recorded,
not erased. The canonical form is public (see `canonical_bytes`) so that anyone holding an
exported bundle can re-check the chain with nothing but SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session, insert, select

from storage.models import CustodyAction, CustodyEvent, Evidence

GENESIS_HASH = "0" * 64
CANONICAL_VERSION = 1


def canonical_bytes(*, seq: int, at: datetime, actor_id: int | None, action: str,
                    negotiation_id: int | None, evidence_id: int | None, details: dict,
                    prev_hash: str) -> bytes:
    """The exact bytes an event's hash covers: sorted-key compact UTF-8 JSON, time in UTC."""
    document = {
        "v": CANONICAL_VERSION,
        "seq": seq,
        "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": actor_id,
        "action": str(action),
        "negotiation_id": negotiation_id,
        "evidence_id": evidence_id,
        "details": details,
        "prev_hash": prev_hash,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def event_hash(event: CustodyEvent) -> str:
    return hashlib.sha256(canonical_bytes(
        seq=event.seq, at=event.at, actor_id=event.actor_id, action=event.action,
        negotiation_id=event.negotiation_id, evidence_id=event.evidence_id,
        details=event.details, prev_hash=event.prev_hash)).hexdigest()


def lock_chain(session: Session) -> None:
    """Take the database's write lock before reading the chain head, so appends serialise.

    Call first in a transaction that will append. On SQLite a no-op write takes the database
    write lock (waiting out `busy_timeout`); on PostgreSQL a transaction-scoped advisory lock.
    Without it two writers could read the same head; the unique `prev_hash` would then fail the
    second one rather than fork the chain, but failing is worse than waiting.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7275)"))  # 7275: "LH" custody
    else:
        session.execute(text("UPDATE custody_event SET seq = seq WHERE 0"))


def append_event(session: Session, *, action: CustodyAction, actor_id: int | None,
                 negotiation_id: int | None = None, evidence_id: int | None = None,
                 details: dict | None = None, at: datetime | None = None) -> CustodyEvent:
    """Add the next event to the chain (flushed, not committed: it commits with the change it
    records). `details` must be JSON-serialisable; it is stored as given."""
    [event] = append_events(session, [EventSpec(action, actor_id, negotiation_id, evidence_id,
                                                details or {}, at)])
    return event


@dataclass(frozen=True)
class EventSpec:
    """One event to append: what `append_event` takes."""

    action: CustodyAction
    actor_id: int | None
    negotiation_id: int | None = None
    evidence_id: int | None = None
    details: dict = field(default_factory=dict)
    at: datetime | None = None


def append_events(session: Session, specs: list[EventSpec]) -> list[CustodyEvent]:
    """Add `specs` as the next events of the chain, in order, reading its head once and
    writing them in one INSERT (a batch of intakes); flushed, not committed. Each is linked and
    hashed exactly as `append_event` links and hashes one, so the chain reads the same however
    it was written."""
    head = session.exec(select(CustodyEvent).order_by(CustodyEvent.seq.desc()).limit(1)).first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    now = datetime.now(UTC)
    rows = []
    for spec in specs:
        seq += 1
        # Microseconds survive every backend; anything finer would make the hash irreproducible.
        row = dict(seq=seq, at=(spec.at or now).astimezone(UTC), actor_id=spec.actor_id,
                   action=spec.action, negotiation_id=spec.negotiation_id,
                   evidence_id=spec.evidence_id,
                   details=json.loads(json.dumps(spec.details, ensure_ascii=False)),
                   prev_hash=prev_hash)
        row["hash"] = prev_hash = hashlib.sha256(canonical_bytes(**row)).hexdigest()
        rows.append(row)
    events = session.scalars(insert(CustodyEvent).returning(
        CustodyEvent, sort_by_parameter_order=True), rows).all() if rows else []
    session.flush()
    return events


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    evidence_id: int | None
    message: str


def verify_chain(session: Session) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain in order. Returns (events checked, problems).

    Finds: an event whose content no longer matches its hash (edited), an event whose prev_hash
    is not its predecessor's hash or whose seq skips (removed or inserted events), and evidence
    that has no intake event (its history was removed from the end of the chain).
    """
    problems: list[ChainProblem] = []
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    intake_for: set[int] = set()
    for event in session.exec(select(CustodyEvent).order_by(CustodyEvent.seq)):
        count += 1
        item = f" (evidence #{event.evidence_id})" if event.evidence_id is not None else ""
        if event.seq != expected_seq:
            missing = (f"event {expected_seq}" if event.seq == expected_seq + 1
                       else f"events {expected_seq}–{event.seq - 1}")
            problems.append(ChainProblem(event.seq, event.evidence_id,
                                         f"custody log: {missing} missing before event "
                                         f"{event.seq}{item}"))
        elif event.prev_hash != expected_prev:
            problems.append(ChainProblem(event.seq, event.evidence_id,
                                         f"custody log: event {event.seq}{item} does not follow "
                                         f"event {event.seq - 1} (the chain was altered)"))
        if event_hash(event) != event.hash:
            problems.append(ChainProblem(event.seq, event.evidence_id,
                                         f"custody log: event {event.seq}{item} was altered "
                                         f"after it was written ({event.action})"))
        if event.action == CustodyAction.intake and event.evidence_id is not None:
            intake_for.add(event.evidence_id)
        expected_prev, expected_seq = event.hash, event.seq + 1
    for evidence_id in session.exec(select(Evidence.id).order_by(Evidence.id)):
        if evidence_id not in intake_for:
            problems.append(ChainProblem(None, evidence_id,
                                         f"custody log: evidence #{evidence_id} has no intake "
                                         "event (its history was removed)"))
    return count, problems
