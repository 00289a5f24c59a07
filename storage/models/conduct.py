"""The tables of collection conduct (`logger.conduct`): the phone's call log, contacts a person
entered, dismissed findings, each negotiation's rule settings, and what each text contributes to
the report (kept so the report reads again only the texts that changed)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum, auto

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models.core import Channel, Direction, _created_at, _updated_at
from storage.models.types import TimePrecision, UTCDateTime, json_list, str_enum

__all__ = ["CallLogEntry", "CallType", "ConductSetting", "ConductText", "ContactEntry",
           "FindingConfirmation", "FindingDismissal", "ThirdParty"]


class CallType(StrEnum):
    """Android's call-log types (CallLog.Calls.TYPE): only `incoming` and `outgoing` were
    answered; the others count as unanswered attempts by the caller."""

    incoming = auto()
    outgoing = auto()
    missed = auto()
    rejected = auto()
    blocked = auto()
    voicemail = auto()


class ThirdParty(StrEnum):
    """Who a collector contacted instead of the borrower."""

    relative = auto()
    spouse = auto()
    employer = auto()
    colleague = auto()
    friend = auto()
    neighbour = auto()
    contacts_list = auto()
    other = auto()


class CallLogEntry(SQLModel, table=True):
    """One call from a call log exported from the phone. The exported file itself is evidence
    (`evidence_id`), so each row can be checked against the original; the same call imported
    from two overlapping exports is kept once (negotiation, number, start)."""

    __tablename__ = "call_log_entry"
    __table_args__ = (sa.UniqueConstraint("negotiation_id", "number", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True)
    evidence_id: int = Field(foreign_key="evidence.id", index=True, ondelete="CASCADE")
    # Digits only ("+" kept for non-Chinese international numbers); "" for a hidden number.
    number: str = Field(max_length=32)
    name: str | None = None
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_s: int = 0
    call_type: CallType = Field(sa_type=str_enum(CallType))
    # Where the call is in the exported file (CSV line or XML element number), for people.
    line: int


class ContactEntry(SQLModel, table=True):
    """A contact the user records by hand: a visit, a call to their mother, a message to their
    employer. `third_party` says who was contacted when it was not the user.
    `occurred_precision` `day`: only the date was given (`occurred_at` is then 12:00 of it,
    never shown, and the contact is not judged by its time of day)."""

    __tablename__ = "contact_entry"

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    occurred_precision: TimePrecision = Field(default=TimePrecision.minute,
                                              sa_type=str_enum(TimePrecision))
    channel: Channel = Field(sa_type=str_enum(Channel))
    direction: Direction = Field(default=Direction.from_them, sa_type=str_enum(Direction))
    counterpart_name: str | None = None
    counterpart_number: str | None = Field(default=None, max_length=32)
    third_party: ThirdParty | None = Field(default=None, sa_type=str_enum(ThirdParty))
    third_party_name: str | None = None
    description: str = Field(sa_type=sa.Text)
    evidence_id: int | None = Field(default=None, foreign_key="evidence.id", ondelete="SET NULL")
    created_at: datetime = _created_at()
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class FindingDismissal(SQLModel, table=True):
    """A person's decision that a computed finding is not a violation, with the reason. Findings
    are recomputed on demand; their stable id (`finding_id`) makes the dismissal stick."""

    __tablename__ = "finding_dismissal"
    __table_args__ = (sa.UniqueConstraint("negotiation_id", "finding_id"),)

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True, ondelete="CASCADE")
    finding_id: str = Field(max_length=32)
    rule_id: str = Field(max_length=64)
    reason: str = Field(sa_type=sa.Text)
    dismissed_at: datetime = _created_at()
    dismissed_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class FindingConfirmation(SQLModel, table=True):
    """A person's decision that a suggested finding (one the resemblance model read, which no
    pattern of its rule matched) is what the words mean: from then on it counts. Like a
    dismissal, it sticks to the finding's stable id."""

    __tablename__ = "finding_confirmation"
    __table_args__ = (sa.UniqueConstraint("negotiation_id", "finding_id"),)

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True, ondelete="CASCADE")
    finding_id: str = Field(max_length=32)
    rule_id: str = Field(max_length=64)
    confirmed_at: datetime = _created_at()
    confirmed_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class ConductSetting(SQLModel, table=True):
    """Per-negotiation choices for the conduct rules; no row means the defaults. `rule_set`
    None: chosen from the time zone; `timezone` None: the owner's, else the configured one."""

    __tablename__ = "conduct_setting"

    negotiation_id: int = Field(primary_key=True, foreign_key="negotiation.id",
                                ondelete="CASCADE", sa_column_kwargs={"autoincrement": False})
    rule_set: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    disabled_rules: list[str] = Field(default_factory=list, sa_type=json_list(), nullable=False)
    updated_at: datetime = _updated_at()



class ConductText(SQLModel, table=True):
    """What one extracted text contributes to its negotiation's conduct report, as
    `logger.conduct.contributions` read it: the messages it holds (contacts with their own
    times) and its passages with the lexicon's matches (every category; a rule keeps its own).
    `state` is a digest of everything the reading depended on (the text's row, the fields of
    its item that are read with it, the lexicon, the reading's format): a row whose state
    differs is read again. Deleted with its text (a re-transcription, the trash emptied)."""

    __tablename__ = "conduct_text"

    text_id: int = Field(primary_key=True, foreign_key="extracted_text.id", ondelete="CASCADE",
                         sa_column_kwargs={"autoincrement": False})
    state: str = Field(max_length=64)
    messages: list[dict] = Field(default_factory=list, sa_type=json_list(), nullable=False)
    passages: list[dict] = Field(default_factory=list, sa_type=json_list(), nullable=False)
