"""What an evidence item is (`EvidenceKind`, and for a hardship proof which one: `ProofKind`), the
channel it came by (`Channel`) and which way it went (`Direction`): plain enums, without SQLAlchemy, so that the command line can list them
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
    # application (which one: ProofKind, in extracted_metadata).
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


class ProofKind(StrEnum):
    """Which hardship proof an evidence item of kind `hardship_proof` is; kept in the item's
    `extracted_metadata["proof_kind"]`, set and changed like its other details (custody-logged)."""

    income_statement = auto()  # 收入证明
    medical_record = auto()  # 医疗证明
    termination_letter = auto()  # 失业证明 / 解除劳动合同通知
    bank_statement = auto()  # 银行流水
    other = auto()
