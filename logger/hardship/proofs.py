"""Hardship proofs: evidence items of kind `hardship_proof`, each saying which proof it is
(`extracted_metadata["proof_kind"]`, a ProofKind set when it was uploaded and changed like the
item's other details). They are attached to the application in the order they happened."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from logger.i18n import N_
from logger.record.trash import live
from storage.models import Evidence, EvidenceKind, Negotiation
from storage.models.hardship import ProofKind

PROOF_KINDS = {
    ProofKind.income_statement: N_("Income statement"),
    ProofKind.medical_record: N_("Medical record"),
    ProofKind.termination_letter: N_("Termination or unemployment letter"),
    ProofKind.bank_statement: N_("Bank statement"),
    ProofKind.other: N_("Other proof"),
}


def list_proofs(session: Session, negotiation: Negotiation) -> list[Evidence]:
    """The negotiation's hardship proofs, oldest first (undated ones last, by intake)."""
    items = session.exec(select(Evidence).where(
        Evidence.negotiation_id == negotiation.id, live(),
        Evidence.kind == EvidenceKind.hardship_proof).order_by(Evidence.id)).all()
    return sorted(items, key=lambda e: (e.occurred_at is None, e.occurred_at or e.created_at))


def proof_kind(item: Evidence) -> ProofKind | None:
    """Which proof the item is; None when nobody said."""
    value = item.extracted_metadata.get("proof_kind")
    try:
        return ProofKind(value) if value else None
    except ValueError:
        return None


def proof_label(item: Evidence) -> str:
    """The untranslated name of the item's proof kind (translate it where it is shown)."""
    kind = proof_kind(item)
    return PROOF_KINDS[kind] if kind else N_("Hardship proof")


def proof_day(item: Evidence, tz: ZoneInfo) -> date | None:
    """The local date of the proof (when it happened); None when unknown."""
    return item.occurred_at.astimezone(tz).date() if item.occurred_at else None
