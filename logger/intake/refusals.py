"""Intake's refusals of a whole file, in words a person can act on (English here; their Chinese
is in `refusals.po`): the same bytes already kept, a mailbox of more messages than one import
may split into items."""

from __future__ import annotations

from logger.errors import DuplicateEvidence, TooManyMessages
from logger.i18n import Text
from storage.models import Evidence


def duplicate(filename: str, existing: Evidence) -> DuplicateEvidence:
    """`filename` holds the bytes of `existing` (kept, in the trash, or purged)."""
    if existing.purged_at is not None:
        return DuplicateEvidence(Text(
            "“%(name)s” was evidence #%(id)s of this negotiation until the trash was emptied; "
            "the record of it stays, so the same file cannot be added here again",
            name=filename, id=existing.id), existing_id=existing.id)
    if existing.trashed_at is not None:
        return DuplicateEvidence(Text(
            "“%(name)s” is evidence #%(id)s of this negotiation, in the trash: restore it "
            "from the trash instead of adding it again", name=filename, id=existing.id),
            existing_id=existing.id)
    return DuplicateEvidence(Text(
        "“%(name)s” is already evidence #%(id)s in this negotiation (stored as "
        "“%(stored)s”)", name=filename, id=existing.id, stored=existing.original_filename),
        existing_id=existing.id)


def too_many(filename: str, count: int, limit: int) -> TooManyMessages:
    """The mailbox `filename` holds `count` messages, over `limit`."""
    return TooManyMessages(Text(
        "“%(name)s” holds %(count)s messages, more than the %(limit)s one import may split "
        "into items (config key `intake.max_messages_per_import`, or "
        "LIUHEN_INTAKE_MAX_MESSAGES_PER_IMPORT). Nothing was stored: split the mailbox into "
        "smaller files (by year, say, in your mail program) or raise the limit, then import it "
        "again.", name=filename, count=f"{count:,}", limit=f"{limit:,}"),
        count=count, limit=limit)
