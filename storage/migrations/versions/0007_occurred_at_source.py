"""Where an item's time came from: `evidence.occurred_at_source` (person, metadata, file_name,
content, parent) and `evidence.occurred_at_precision` (minute, or day for a date only).

Existing rows get a source only where the record itself shows it, never by guessing:
- the last custody event that changed the item's time: a person's edit (no "by"), or a parse
  job's fill ("parse_email job": the email's Date, metadata; "extract_text job": the first
  message of a backup, content);
- else the time equals, to the second, one the file carried and intake kept in
  `extracted_metadata`: a recorder's file name (file_name), an MP4 creation time, an email's
  Date header, EXIF DateTimeOriginal or a PDF /CreationDate (metadata; a wall-clock time
  without an offset counts when the stored instant is that clock time in some real UTC offset);
- else an email attachment dated like the email it came with (parent).
Anything else keeps NULL: a time of unknown provenance, which no parse job overwrites.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they are at this revision.
ENUM = sa.String(length=32)
WHEN = sa.DateTime(timezone=True)
COLUMNS = ("occurred_at_precision", "occurred_at_source")

# The job names parse jobs wrote in "by", and the source of the times they filled in.
JOB_SOURCES = {"parse_email job": "metadata", "extract_text job": "content"}
_EXIF = re.compile(r"(\d{4}):(\d\d):(\d\d)[ T](\d\d):(\d\d):(\d\d)")
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)")
_PDF = re.compile(r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?"
                  r"\s*(?:(Z)|([+-])(\d\d)'?(\d\d)?'?)?")


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("occurred_at_source", ENUM, nullable=True))
        batch.add_column(sa.Column("occurred_at_precision", ENUM, nullable=True))
    _derive_sources(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite 3.35+): batch mode would copy and drop "evidence", which
        # the foreign keys of its texts, jobs and promises refuse.
        for column in COLUMNS:
            op.execute(f"ALTER TABLE evidence DROP COLUMN {column}")
        return
    with op.batch_alter_table("evidence") as batch:
        for column in COLUMNS:
            batch.drop_column(column)


def _derive_sources(connection: sa.Connection) -> None:
    evidence = sa.table("evidence", sa.column("id", sa.Integer),
                        sa.column("parent_id", sa.Integer), sa.column("occurred_at", WHEN),
                        sa.column("extracted_metadata", sa.JSON),
                        sa.column("occurred_at_source", ENUM),
                        sa.column("occurred_at_precision", ENUM))
    edited = _last_time_edits(connection)
    rows = connection.execute(sa.select(evidence.c.id, evidence.c.parent_id,
                                        evidence.c.occurred_at,
                                        evidence.c.extracted_metadata)).all()
    times = {row.id: _utc(row.occurred_at) for row in rows}
    for row in rows:
        at = times[row.id]
        if row.id in edited:
            source, precision = edited[row.id], "minute" if at is not None else None
        elif at is None:
            continue
        else:
            metadata = _json(row.extracted_metadata)
            source, precision = _from_metadata(at, metadata)
            if source is None and metadata.get("source") == "extracted" \
                    and row.parent_id is not None and times.get(row.parent_id) == at:
                source, precision = "parent", "minute"
        if source is None:
            continue
        connection.execute(evidence.update().where(evidence.c.id == row.id).values(
            occurred_at_source=source, occurred_at_precision=precision))


def _last_time_edits(connection: sa.Connection) -> dict[int, str | None]:
    """evidence id -> the source of the last custody event that changed its time (None: a
    job whose source is not known)."""
    events = sa.table("custody_event", sa.column("seq", sa.Integer),
                      sa.column("evidence_id", sa.Integer), sa.column("action", ENUM),
                      sa.column("details", sa.JSON))
    found: dict[int, str | None] = {}
    for evidence_id, details in connection.execute(
            sa.select(events.c.evidence_id, events.c.details)
            .where(events.c.action == "metadata_edit", events.c.evidence_id.is_not(None))
            .order_by(events.c.seq)):
        details = _json(details)
        changes = details.get("changes")
        if isinstance(changes, dict) and "occurred_at" in changes:
            by = details.get("by")
            found[evidence_id] = JOB_SOURCES.get(by) if by else "person"
    return {k: v for k, v in found.items() if v is not None}


def _from_metadata(at: datetime, metadata: dict) -> tuple[str | None, str | None]:
    recorder = metadata.get("recorder_filename")
    if isinstance(recorder, dict) and _iso(recorder.get("started_at")) == at:
        return "file_name", "minute"
    if _iso(metadata.get("mp4_creation_time")) == at:
        return "metadata", "minute"
    header = metadata.get("date_header")
    if isinstance(header, str) and _email_date(header) == at:
        return "metadata", "minute"
    exif = metadata.get("exif_datetime_original")
    match = _EXIF.match(exif) if isinstance(exif, str) else None
    if match and _same_clock(_naive(match.groups()), metadata.get("exif_offset_time_original"),
                             at):
        return "metadata", "minute"
    pdf = metadata.get("pdf_creation_date")
    match = _PDF.fullmatch(pdf.strip()) if isinstance(pdf, str) else None
    if match and match[3]:
        parts = [part or "0" for part in match.groups()[:6]]
        offset = "+00:00" if match[7] else (f"{match[8]}{match[9]}:{match[10] or '00'}"
                                             if match[8] else None)
        if _same_clock(_naive(parts), offset, at):
            return "metadata", "minute" if match[4] else "day"
    return None, None


def _same_clock(clock: datetime | None, offset: Any, at: datetime) -> bool:
    """Whether `at` is the wall-clock time `clock`: in `offset` when one is written, else in
    some real UTC offset (a whole quarter-hour, at most 14 hours)."""
    if clock is None:
        return False
    written = _OFFSET.fullmatch(offset) if isinstance(offset, str) else None
    if written:
        delta = timedelta(hours=int(written[2]), minutes=int(written[3]))
        zone = timezone(-delta if written[1] == "-" else delta)
        return clock.replace(tzinfo=zone) == at
    difference = clock - at.replace(tzinfo=None)
    return abs(difference) <= timedelta(hours=14) and \
        difference % timedelta(minutes=15) == timedelta(0)


def _naive(parts: Sequence[str]) -> datetime | None:
    try:
        return datetime(*(int(part) for part in parts))
    except ValueError:
        return None


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def _email_date(text: str) -> datetime | None:
    try:
        sent = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return sent.replace(tzinfo=UTC) if sent.tzinfo is None else sent.astimezone(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json(value: Any) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}
