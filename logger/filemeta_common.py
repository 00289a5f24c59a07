"""Helpers shared by the metadata readers (`logger.filemeta_*`)."""

from datetime import UTC, datetime, timedelta

_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def describe_error(exc: BaseException) -> str:
    """A short, single-line description of a parsing error, for `FileMetadata.problems`."""
    text = " ".join(str(exc).split())
    return clean_text(text, 200) or type(exc).__name__


def is_plausible(moment: datetime) -> bool:
    """Whether an aware datetime could be when evidence was made: not before 1990 (a zero
    or 1904-epoch container time), not more than a day in the future (a wrong clock)."""
    return _EARLIEST <= moment <= datetime.now(UTC) + timedelta(days=1)


def clean_text(value: object, limit: int = 300) -> str | None:
    """A tag value as printable, bounded text for `extra` (None if empty)."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = "".join(ch for ch in str(value) if ch.isprintable()).strip()
    return text[:limit] or None
