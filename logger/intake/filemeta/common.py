"""What the metadata readers (`audio`, `email`, `image`, `pdf`) share: the `FileMetadata` they
fill in, and the helpers that keep what they read plausible and printable."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from logger.record.when import TimeReading, best
from storage.models import TimeSource
from storage.models.types import TimePrecision

_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


@dataclass
class FileMetadata:
    """Facts read from one file. Every field may be missing.

    `times` holds every reading of when it happened, each with its source (the file's own data,
    its name); `occurred_at` is the one that wins (`logger.record.when`), timezone-aware UTC.
    `counterpart_number` is digits (a leading "+" only for a non-Chinese international number);
    `extra` holds JSON-serialisable facts worth keeping (email addresses and raw headers, image
    size and EXIF, audio codec...); `problems` says, in words a person understands, what could
    not be read.
    """

    times: list[TimeReading] = field(default_factory=list)
    counterpart_number: str | None = None
    counterpart_name: str | None = None
    subject: str | None = None
    duration_s: float | None = None
    extra: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def time(self) -> TimeReading | None:
        return best(self.times)

    @property
    def occurred_at(self) -> datetime | None:
        time = self.time
        return time.at if time else None

    def add_time(self, at: datetime, source: TimeSource = TimeSource.metadata,
                 precision: TimePrecision = TimePrecision.minute) -> None:
        self.times.append(TimeReading(at.astimezone(UTC), source, precision))


def describe_error(exc: BaseException) -> str:
    """A short, single-line description of a parsing error, for `FileMetadata.problems`."""
    text = " ".join(str(exc).split())
    return clean_text(text, 200) or type(exc).__name__


def is_plausible(moment: datetime, now: datetime | None = None) -> bool:
    """Whether an aware datetime could be when evidence was made: not before 1990 (a zero
    or 1904-epoch container time), not more than a day after `now` (default: the present; a
    wrong clock)."""
    return _EARLIEST <= moment <= (now or datetime.now(UTC)) + timedelta(days=1)


def clean_text(value: object, limit: int = 300) -> str | None:
    """A tag value as printable, bounded text for `extra` (None if empty)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = "".join(ch for ch in str(value) if ch.isprintable()).strip()
    return text[:limit] or None
