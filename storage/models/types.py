"""Column types that behave the same on SQLite (SQLCipher) and PostgreSQL.

- `UTCDateTime`: aware datetimes in, aware UTC datetimes out; naive datetimes are refused.
- `Money`: `Decimal` stored exactly (TEXT on SQLite, unbounded NUMERIC on PostgreSQL).
- `str_enum(E)`: a StrEnum stored as its string value in a VARCHAR (no native PG enum type,
  so adding a member later needs no migration).
- `json_dict()` / `json_list()`: JSON (JSONB on PostgreSQL) whose in-place changes are saved.
- `TimePrecision`: how much of a moment a person or a document gave (a `*_precision` column
  beside a time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.mutable import MutableDict, MutableList

# Long enough for every current enum value with room to grow; changing it means a migration.
ENUM_LENGTH = 32


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (what every timestamp column expects)."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A point in time, stored in UTC, returned as an aware UTC datetime.

    Writing a naive datetime raises ValueError: a naive value has no defined instant, and
    guessing (server local time? Asia/Shanghai?) is how evidence timelines get shifted by hours.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} refused: give it a time zone, e.g. "
                "value.replace(tzinfo=ZoneInfo('Asia/Shanghai')) or use storage.utcnow()"
            )
        value = value.astimezone(UTC)
        # SQLite has no time zone storage: keep a fixed-width UTC string so that
        # comparisons and ORDER BY on the text are chronological.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(sa.TypeDecorator[Decimal]):
    """An exact decimal amount.

    SQLite has no exact decimal type (NUMERIC affinity converts to a float), so the value is kept
    as its decimal string there; SQL arithmetic or numeric ORDER BY on SQLite needs a CAST.
    Floats are refused because they are already inexact when they arrive.
    """

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Text())
        return dialect.type_descriptor(sa.Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = _to_decimal(value)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(
            f"money amount {value!r} refused: pass a Decimal or a string such as '12345.67' "
            "(a float is already rounded)"
        )
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"money amount {value!r} is not a number such as '12345.67'") from None
    if not amount.is_finite():
        raise ValueError(f"money amount {value!r} refused: it must be a finite number")
    return amount


def str_enum(enum_cls: type[StrEnum]) -> sa.Enum:
    """Store a StrEnum by value in a VARCHAR; unknown values raise on write and on read."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=ENUM_LENGTH,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


def json_dict() -> sa.types.TypeEngine[Any]:
    """A JSON object column; `row.field["k"] = v` marks the row dirty (top level only)."""
    return MutableDict.as_mutable(_json())


def json_list() -> sa.types.TypeEngine[Any]:
    """A JSON array column; append/remove on the list marks the row dirty (top level only)."""
    return MutableList.as_mutable(_json())


class TimePrecision(StrEnum):
    """How much of a stored moment is known. `minute`: the clock time was given, the instant is
    it. `day`: only the local date was given; the instant is a stand-in inside that day (a
    promise's due date: 23:59 in its zone; a payment or a contact: 12:00 in the zone it was
    typed in, so its date reads the same within ±11 hours of that zone). A `day` value is shown
    and exported as a date, never with the stand-in's clock time."""

    minute = "minute"
    day = "day"
