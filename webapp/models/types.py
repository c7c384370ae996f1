"""Column types shared by the models."""
from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator

from ..timeutil import as_utc


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        value = as_utc(value)
        # SQLite has no timezone support: store naive UTC so comparisons are textual-safe.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        return as_utc(value)


class BlankableString(TypeDecorator):
    """An optional string stored as '' instead of NULL, so that it can take part in a unique key
    (NULLs are never equal in a unique index, on PostgreSQL and SQLite alike). Python sees None."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        return value or ""

    def process_result_value(self, value: str | None, dialect):
        return value or None
