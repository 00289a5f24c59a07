"""What an evidence item is (`EvidenceKind`), the channel it came by (`Channel`) and which way
it went (`Direction`): plain enums, without SQLAlchemy, so that the command line can list them
in an option's help without loading the tables. storage.models re-exports them beside the
columns that hold them; name them from there as everywhere else."""

from __future__ import annotations

from enum import StrEnum, auto


class EvidenceKind(StrEnum):
    call = auto()
    chat = auto()
    email = auto()
    letter = auto()
    document = auto()
    sms = auto()
    note = auto()
    payment_receipt = auto()
    # Income statement, medical record, termination letter, bank statement … for a hardship
    # application (which one: storage.models.hardship.ProofKind in extracted_metadata).
    hardship_proof = auto()
    # A written agreement, or the other side's written confirmation of what was agreed
    # (logger.promises.writing).
    agreement = auto()


class Channel(StrEnum):
    call = auto()
    sms = auto()
    app_chat = auto()
    wechat = auto()
    email = auto()
    letter = auto()
    visit = auto()
    other = auto()


class Direction(StrEnum):
    from_them = auto()
    from_me = auto()
    unknown = auto()
