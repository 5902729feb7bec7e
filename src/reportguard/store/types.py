"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in Python, whatever the database stores.

    SQLite has no timezone type: values are stored as naive UTC text in SQLAlchemy's format, which
    also sorts correctly as text. PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def db_timestamp(value: datetime, dialect_name: str) -> datetime | str:
    """The raw DBAPI parameter for a UTC datetime, for the bulk paths that bypass the ORM."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    if dialect_name == "sqlite":
        # The text of SQLITE_DATETIME_FORMAT at a fraction of strftime's cost: the first 26
        # characters of the ISO form leave out the offset, which is zero here.
        return value.isoformat(sep=" ", timespec="microseconds")[:26]
    return value


def as_utc(value: datetime) -> datetime:
    """A datetime as aware UTC (a naive one is taken as UTC, as everything stored here is)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
