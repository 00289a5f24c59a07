"""The tables of Liuhen, as SQLModel classes, and the enums their columns hold.

Every datetime column is aware UTC (`UTCDateTime`), money is exact `Decimal` (`Money`), enums are
stored by value. Schema changes go through an Alembic revision in storage/migrations/versions;
`storage.db.migrate(engine)` builds a database (never `metadata.create_all`, which would miss the
search index and its triggers).

Foreign keys and what a DELETE does (the database enforces it; SQLite has foreign_keys=ON):
- negotiation.owner_id -> user, evidence.negotiation_id -> negotiation: refused while referenced,
  so removing a negotiation means deleting its evidence first, each with its custody event.
- extracted_text, job -> evidence: CASCADE (derived rows mean nothing without their evidence).
- evidence.parent_id -> evidence, evidence.created_by -> user: SET NULL (the child stays evidence).
- custody_event.actor_id -> user: refused while referenced; SET NULL would rewrite a hashed row
  and break the chain. custody_event.negotiation_id / evidence_id have no foreign key at all, so
  the history outlives what it describes.
- call_log_entry -> evidence (the exported file): CASCADE; contact_entry.negotiation_id: refused
  while referenced (a user's statement, like evidence); finding_dismissal, finding_confirmation,
  conduct_setting -> negotiation: CASCADE (judgements about it, also recorded in the custody log).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum, auto
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.kinds import Channel, Direction, EvidenceKind, ProofKind
from storage.models.types import (Money, TimePrecision, UTCDateTime, json_dict, json_list,
                                  str_enum, utcnow)

__all__ = [
    "Channel", "CustodyAction", "CustodyEvent", "Direction", "Evidence", "EvidenceKind",
    "ApiToken", "ExtractedText", "Job", "JobKind", "JobStatus", "Negotiation", "NegotiationStatus",
    "ProofKind", "Role",
    "TextSource", "TimePrecision", "TimeSource", "User", "utcnow",
]

# Deterministic constraint names, so later migrations (batch mode on SQLite) can name what they
# drop. Must be set before the first table class below is defined.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Pydantic builds a table's validator and serializer when one is first used (model_validate,
# model_dump), not when the class is defined: a table's constructor does not validate, so most
# commands never need them, and building all of them was a sixth of defining the tables.
SQLModel.model_config["defer_build"] = True


class Role(StrEnum):
    owner = auto()
    admin = auto()
    member = auto()


class TimeSource(StrEnum):
    """Where an item's `occurred_at` was read (`logger.record.when` says which one wins)."""

    person = auto()  # typed or chosen by a person
    metadata = auto()  # the file's own data: EXIF, an email's Date, a PDF's or container's date
    file_name = auto()  # the name a phone or app gave the file (a recorder, a screenshot)
    content = auto()  # the times written inside it: a chat's stamps, an export's message lines
    parent = auto()  # the email it was attached to


class JobKind(StrEnum):
    transcribe = auto()
    ocr = auto()
    parse_email = auto()
    extract_pdf = auto()
    extract_text = auto()


class JobStatus(StrEnum):
    """queued -> running -> done | failed; queued or running -> cancelled by a person; a failed
    attempt with attempts left goes back to queued (not claimable before `not_before`)."""

    queued = auto()
    running = auto()
    done = auto()
    failed = auto()
    cancelled = auto()


class TextSource(StrEnum):
    transcript = auto()
    ocr = auto()
    email = auto()
    pdf = auto()
    text = auto()


class CustodyAction(StrEnum):
    intake = auto()
    metadata_edit = auto()
    transcript_edit = auto()
    # A person's correction of text read by a machine from an image or a document (OCR, PDF).
    text_edit = auto()
    export = auto()
    deletion = auto()
    contact_entry = auto()
    finding_dismissal = auto()
    # A suggested finding a person confirmed: it counts from then on.
    finding_confirmation = auto()
    conduct_settings = auto()
    # A promise accepted, added, changed, kept, cancelled; a suggestion dismissed; a payment.
    promise = auto()
    payment = auto()
    # A negotiation shared with a helper, its role changed, the share revoked; and a
    # negotiation handed to another account when its owner's account was removed.
    sharing = auto()
    transfer = auto()
    # Keeping the record tidy (logger.record.trash, logger.record.moving, logger.negotiations):
    # an item put in the trash with a reason, taken back out, its original deleted when the
    # trash is emptied (the row stays, marked purged); moved to another negotiation; a
    # negotiation archived (settled, paid off, in court) or reopened.
    trash = auto()
    restore = auto()
    purge = auto()
    move = auto()
    archive = auto()
    reopen = auto()


class NegotiationStatus(StrEnum):
    open = auto()
    settled = auto()
    closed = auto()


def _created_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


def _updated_at() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime,
                 sa_column_kwargs={"onupdate": utcnow})


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    password_hash: str | None = None
    role: Role = Field(default=Role.member, sa_type=str_enum(Role))
    # The web app's language ("zh" or "en") and IANA time zone; None: from the browser / config.
    locale: str | None = Field(default=None, max_length=16)
    timezone: str | None = Field(default=None, max_length=64)
    # Set when an owner or admin reset the password: the next sign-in asks for a new one.
    must_change_password: bool = False
    # A disabled account cannot sign in; a removed one is disabled for good and gave up its
    # name, so it can be added again (logger.members). Accounts are never deleted: the custody
    # log names them.
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Sign-in throttling and sessions live in their own tables (storage.models.signin).
    created_at: datetime = _created_at()


class Negotiation(SQLModel, table=True):
    __tablename__ = "negotiation"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="user.id", index=True)
    creditor: str
    collection_agency: str | None = None
    account_reference: str | None = None
    principal: Decimal | None = Field(default=None, sa_type=Money)
    outstanding: Decimal | None = Field(default=None, sa_type=Money)
    currency: str = "CNY"
    overdue_since: date | None = None
    status: NegotiationStatus = Field(
        default=NegotiationStatus.open, sa_type=str_enum(NegotiationStatus)
    )
    language: str | None = None
    # Archived: off the active list, no reminders, no conduct checks; everything kept, and it
    # can be reopened (logger.negotiations.archive_negotiation). The reason is the person's.
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    archive_reason: str | None = None
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()


class Evidence(SQLModel, table=True):
    __tablename__ = "evidence"
    # An exact duplicate within one negotiation is refused here too, not only by intake's check,
    # so two concurrent uploads of the same file cannot both land. The timeline pages through a
    # negotiation's items by (occurred_at, id): ix_evidence_timeline makes each page a range.
    __table_args__ = (sa.UniqueConstraint("negotiation_id", "sha256"),
                      sa.Index("ix_evidence_timeline", "negotiation_id", "occurred_at"))

    id: int | None = Field(default=None, primary_key=True)
    negotiation_id: int = Field(foreign_key="negotiation.id", index=True)
    kind: EvidenceKind = Field(sa_type=str_enum(EvidenceKind))
    channel: Channel | None = Field(default=None, sa_type=str_enum(Channel))
    direction: Direction = Field(default=Direction.unknown, sa_type=str_enum(Direction))
    counterpart_name: str | None = None
    counterpart_number: str | None = None
    # When the communication happened (never the upload: that is created_at). Its source and
    # precision say where it was read and whether the clock time is known (day: a date only,
    # kept as 12:00 in the zone it was read in); both are None on a time stored before they
    # were recorded (its provenance is unknown).
    occurred_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    occurred_at_source: TimeSource | None = Field(default=None, sa_type=str_enum(TimeSource))
    occurred_at_precision: TimePrecision | None = Field(default=None,
                                                        sa_type=str_enum(TimePrecision))
    original_filename: str
    media_type: str
    size: int = Field(sa_type=sa.BigInteger)
    sha256: str = Field(max_length=64, index=True)
    blob_id: str = Field(max_length=32, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="evidence.id", ondelete="SET NULL",
                                  index=True)
    note: str | None = Field(default=None, sa_type=sa.Text)
    subject: str | None = None
    extracted_metadata: dict[str, Any] = Field(default_factory=dict, sa_type=json_dict(),
                                               nullable=False)
    created_at: datetime = _created_at()
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    # In the trash (logger.record.trash): out of every list, its original still stored until
    # the trash is emptied; then `purged_at` is set and the blob is gone, the row (with its
    # SHA-256) kept as the record of what existed. No foreign key on trashed_by, as on the
    # custody log's actor: the record of who did it must outlive the account.
    trashed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    trashed_by: int | None = None
    trash_reason: str | None = Field(default=None, sa_type=sa.Text)
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExtractedText(SQLModel, table=True):
    __tablename__ = "extracted_text"

    id: int | None = Field(default=None, primary_key=True)
    evidence_id: int = Field(foreign_key="evidence.id", index=True, ondelete="CASCADE")
    source: TextSource = Field(sa_type=str_enum(TextSource))
    language: str | None = None
    text: str = Field(sa_type=sa.Text)
    # Each segment: {"start": s, "end": s} or {"box": [...]}, "side", "time", "text".
    segments: list[dict[str, Any]] = Field(default_factory=list, sa_type=json_list(),
                                           nullable=False)
    engine: str | None = None
    model: str | None = None
    edited: bool = False
    created_at: datetime = _created_at()
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


_ONE_TRANSCRIPTION = sa.text("kind = 'transcribe' AND status IN ('queued', 'running')")


class Job(SQLModel, table=True):
    """One piece of background work on one evidence item; `logger.jobs` moves it between
    states. `attempts` counts claims; a running job whose `lease_expires_at` has passed lost its
    worker and may be claimed again. `options` holds what the handler should do differently
    (e.g. {"model": "small"} to re-transcribe with another model). `group_key` names the
    import a job came from (the item at the root of its evidence: a mailbox and every message
    and attachment taken from it share one). `priority` is its class (0 interactive, 1 bulk),
    `flow_key` the flow it takes turns in (its negotiation and kind) and `fair_seq` its place in
    its class's line (`logger.jobs.fair`): workers take the lowest `priority`, then the lowest
    `fair_seq`, then the oldest. A row written without `logger.jobs` is bulk."""

    __tablename__ = "job"
    # ix_job_claim: the claim walks the queued (or running) jobs in line order; ix_job_flow: a
    # new job's flow's place in line; ix_job_backoff (only rows waiting for a retry): when an
    # idle worker should look again; ix_job_one_active_transcription: one transcription of an
    # item waiting or running at a time (revision 0022).
    __table_args__ = (sa.Index("ix_job_status_kind", "status", "kind"),
                      sa.Index("ix_job_claim", "status", "priority", "fair_seq", "id"),
                      sa.Index("ix_job_flow", "flow_key", "priority", "fair_seq"),
                      sa.Index("ix_job_backoff", "status", "not_before",
                               sqlite_where=sa.text("not_before IS NOT NULL"),
                               postgresql_where=sa.text("not_before IS NOT NULL")),
                      sa.Index("ix_job_one_active_transcription", "evidence_id", unique=True,
                               sqlite_where=_ONE_TRANSCRIPTION,
                               postgresql_where=_ONE_TRANSCRIPTION))

    id: int | None = Field(default=None, primary_key=True)
    kind: JobKind = Field(sa_type=str_enum(JobKind))
    evidence_id: int = Field(foreign_key="evidence.id", index=True, ondelete="CASCADE")
    status: JobStatus = Field(default=JobStatus.queued, sa_type=str_enum(JobStatus))
    options: dict[str, Any] = Field(default_factory=dict, sa_type=json_dict(), nullable=False)
    # None on a job queued before revision 0010 (it keeps its place: fair_seq 0).
    group_key: str | None = Field(default=None, max_length=64)
    flow_key: str | None = Field(default=None, max_length=80)
    priority: int = Field(default=1, sa_type=sa.SmallInteger)
    fair_seq: int = Field(default=0, sa_type=sa.BigInteger)
    attempts: int = 0
    max_attempts: int = 3
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    worker_id: str | None = None
    progress: float = 0.0
    error: str | None = Field(default=None, sa_type=sa.Text)
    # The reason in every language ({"zh": ..., "en": ...}) when the handler raised it as a
    # translatable message (revision 0017); `error` is its English.
    error_texts: dict[str, str] | None = Field(default=None, sa_type=json_dict(), nullable=True)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()


class CustodyEvent(SQLModel, table=True):
    """One link of the append-only custody chain; `seq` is assigned by the custody module."""

    __tablename__ = "custody_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: CustodyAction = Field(sa_type=str_enum(CustodyAction))
    negotiation_id: int | None = None
    evidence_id: int | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=json_dict(), nullable=False)
    # UNIQUE: two concurrent appends on the same head cannot both commit (IntegrityError).
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API. Only the SHA-256 of the token is stored (the token is
    256 random bits, so a plain hash is enough); `prefix` lets a person tell tokens apart."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _created_at()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
