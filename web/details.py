"""What a person tells about an item (when, channel, direction, who, a note), read from form
fields into the typed values `logger.record.evidence.edit_evidence` and intake take.

Shared by the upload stream (fields sent with a file), the per-item form and the API. A time
without an offset is local time in the zone the caller passes (the negotiation's); a date alone
("2024-12-03") is a time whose clock is unknown (`occurred_at_precision` "day" beside it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from logger.record.evidence import EDITABLE_FIELDS
from logger.record.when import on_day
from storage.models import Channel, Direction, ProofKind, TimeSource
from storage.models.types import TimePrecision

MAX_TEXT_CHARS = {"counterpart_name": 200, "counterpart_number": 40, "staff_number": 60,
                  "note": 10000}
# The form's time field shows seconds; microseconds are not shown and so never compared.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M:%S"
_DATE_ONLY = re.compile(r"\d{4}-\d\d-\d\d")


class DetailsError(ValueError):
    """A field's value cannot be read; `field` names it. The message is in the reader's
    language (the upload's refusal and the API show it; the details form names the field)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def read_details(fields: Mapping[str, str], tz: ZoneInfo) -> dict:
    """The editable fields present in `fields`, as typed values (blank text -> None; blank
    direction -> unknown; a date alone adds `occurred_at_precision` "day"). Raises
    DetailsError."""
    values: dict = {}
    for name in EDITABLE_FIELDS:
        if name not in fields:
            continue
        raw = fields[name].strip()
        if name == "occurred_at" and _DATE_ONLY.fullmatch(raw):
            values[name] = _day(raw, tz)
            values["occurred_at_precision"] = TimePrecision.day
            continue
        values[name] = _read(name, raw, tz)
    return values


def _day(raw: str, tz: ZoneInfo) -> datetime:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise DetailsError("occurred_at", _("%(value)s is not a date like 2024-12-03",
                                            value=repr(raw))) from None
    return on_day(day, tz, TimeSource.person).at


def form_value(name: str, value, tz: ZoneInfo) -> str:
    """How a stored value is shown in the form (the inverse of `read_details`)."""
    if value is None:
        return ""
    if name == "occurred_at":
        return value.astimezone(tz).strftime(LOCAL_FORMAT)
    return str(value)


def changed_only(submitted: Mapping[str, str], shown: Mapping[str, str]) -> dict[str, str]:
    """The submitted fields whose text differs from what the form showed: a time shown without
    its microseconds must not count as a correction when nobody touched it."""
    return {name: value for name, value in submitted.items()
            if name in EDITABLE_FIELDS and value.strip() != shown.get(name, "").strip()}


def _read(name: str, raw: str, tz: ZoneInfo):
    if name == "occurred_at":
        return _moment(raw, tz)
    if name == "channel":
        return _choice(name, raw, Channel) if raw else None
    if name == "direction":
        return _choice(name, raw, Direction) if raw else Direction.unknown
    if name == "proof_kind":
        return _choice(name, raw, ProofKind) if raw else None
    limit = MAX_TEXT_CHARS[name]
    if len(raw) > limit:
        raise DetailsError(name, _("at most %(limit)d characters", limit=limit))
    return raw or None


def _moment(raw: str, tz: ZoneInfo) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        raise DetailsError("occurred_at", _("%(value)s is not a date and time like "
                                            "2024-12-03T15:30", value=repr(raw))) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _choice(name: str, raw: str, enum):
    try:
        return enum(raw)
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise DetailsError(name, _("%(value)s is not one of %(choices)s", value=repr(raw),
                                   choices=choices)) from None
