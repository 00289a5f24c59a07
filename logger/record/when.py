"""When an item happened, where that was read, and which reading wins.

`Evidence.occurred_at` is when the communication happened, never when the file arrived (that
is `created_at`). Each time comes with its source (`TimeSource`) and precision
(`TimePrecision`: `day` when only the date is known, kept as 12:00 of that date in the zone it
was read in, so the date reads the same within ±11 hours of that zone).

Which reading wins, from the strongest:
1. a person's (typed on the page, the API, the CLI): a machine reading never replaces it;
2. the content: the times written in the communication itself (the last time stamp of a chat
   screenshot, the messages of a text export), because that is when it was said;
3. the email an attachment came with (when the email was sent);
4. a file name with a clock time: a phone names a recording when the call starts and a
   screenshot when it is taken (a screenshot's name is the capture time, after its messages:
   that is why the content outranks it);
5. the file's own data (EXIF, an email's Date, a PDF's or a recording container's creation
   time): when the file was written, which for a re-saved, converted or exported file is the
   export, not the conversation;
6. a file name with a date only, the least exact.
An equally strong reading replaces one from the same source (a job run again reads afresh) but
never one from another. A time stored before sources were recorded (source None) counts as a
person's: nobody knows that it was not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from storage.models import Evidence, TimeSource
from storage.models.types import TimePrecision

# A date-only time stands at noon of its date in the zone it was read in.
DAY_STAND_IN = time(12, 0)

_MACHINE_RANK = {TimeSource.content: 50, TimeSource.parent: 40, TimeSource.file_name: 30,
                 TimeSource.metadata: 20}
_DAY_RANK = {TimeSource.file_name: 10, TimeSource.metadata: 5}
_TIME_FIELDS = ("occurred_at", "occurred_at_source", "occurred_at_precision")


@dataclass(frozen=True)
class TimeReading:
    """One reading of when an item happened: an aware moment, where it was read, how much of it
    is known."""

    at: datetime
    source: TimeSource
    precision: TimePrecision = TimePrecision.minute

    def __post_init__(self):
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("a time reading needs an aware datetime")

    def as_json(self) -> dict[str, str]:
        return {"at": _iso(self.at), "source": str(self.source),
                "precision": str(self.precision)}

    @classmethod
    def from_json(cls, data: object) -> TimeReading | None:
        """A reading written by `as_json`, or None for anything else."""
        if not isinstance(data, dict):
            return None
        try:
            moment = datetime.fromisoformat(str(data["at"]).replace("Z", "+00:00"))
            return cls(moment, TimeSource(data["source"]), TimePrecision(data["precision"]))
        except (KeyError, ValueError):
            return None


def on_day(day: date, tz: ZoneInfo, source: TimeSource) -> TimeReading:
    """A date without a clock time, read in `tz`."""
    return TimeReading(datetime.combine(day, DAY_STAND_IN, tzinfo=tz).astimezone(UTC), source,
                       TimePrecision.day)


def rank(source: TimeSource, precision: TimePrecision = TimePrecision.minute) -> int:
    """How strong a reading is (higher wins; a person's is above every machine's)."""
    if source == TimeSource.person:
        return 100
    if precision == TimePrecision.day and source in _DAY_RANK:
        return _DAY_RANK[source]
    return _MACHINE_RANK[source]


def best(readings: list[TimeReading]) -> TimeReading | None:
    """The strongest of `readings` (the first of equals), or None."""
    return max(readings, key=lambda r: rank(r.source, r.precision), default=None)


def reading_of(evidence: Evidence) -> TimeReading | None:
    """The item's time as a reading; None when unknown, or when its source was not recorded."""
    if evidence.occurred_at is None or evidence.occurred_at_source is None:
        return None
    return TimeReading(evidence.occurred_at, TimeSource(evidence.occurred_at_source),
                       TimePrecision(evidence.occurred_at_precision or TimePrecision.minute))


def may_replace(evidence: Evidence, offered: TimeReading) -> bool:
    """Whether a machine's `offered` reading may become the item's time (see the module)."""
    if offered.source == TimeSource.person:
        raise ValueError("a person's time is set with `set_by_person`")
    current = evidence.occurred_at_source
    if current == TimeSource.person:
        return False  # a person's time, or a person's word that the time is unknown
    if evidence.occurred_at is None:
        return True
    if current is None:
        return False  # kept from before sources were recorded: it may be a person's
    held = rank(TimeSource(current), TimePrecision(evidence.occurred_at_precision
                                                   or TimePrecision.minute))
    offered_rank = rank(offered.source, offered.precision)
    return offered_rank > held or (offered.source == current and offered_rank == held)


def offer(evidence: Evidence, offered: TimeReading | None) -> dict[str, dict]:
    """Take a machine's reading when it wins (`may_replace`); the changed fields as
    {name: {"old", "new"}} for the custody log ({} when nothing changed)."""
    if offered is None or not may_replace(evidence, offered):
        return {}
    return _assign(evidence, offered.at, offered.source, offered.precision)


def set_by_person(evidence: Evidence, at: datetime | None,
                  precision: TimePrecision = TimePrecision.minute) -> dict[str, dict]:
    """A person's time (or their word that it is unknown: `at` None, which no machine reading
    then replaces); the changed fields as `offer` gives them."""
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError("the time needs a time zone")
    return _assign(evidence, at, TimeSource.person, precision if at is not None else None)


def _assign(evidence: Evidence, at: datetime | None, source: TimeSource,
            precision: TimePrecision | None) -> dict[str, dict]:
    new = (at.astimezone(UTC) if at is not None else None, source, precision)
    changes = {}
    for name, value in zip(_TIME_FIELDS, new):
        old = getattr(evidence, name)
        if old == value:
            continue
        setattr(evidence, name, value)
        # A clock time is what a time has unless it says otherwise: only a day is worth a line.
        if name != "occurred_at_precision" or TimePrecision.day in (old, value):
            changes[name] = {"old": _jsonable(old), "new": _jsonable(value)}
    return changes


def _jsonable(value):
    if isinstance(value, datetime):
        return _iso(value)
    return str(value) if value is not None else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
