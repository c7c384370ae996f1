"""Whole days on a wall clock as UTC bounds for queries: the console's day filters (its lists, the audit log,
the CSV exports) read "from 1 Dec to 2 Dec" as those days on the viewer's clock, not UTC's (times are UTC in
the database)."""
from datetime import UTC, date, datetime, time, timedelta, tzinfo


def start_of(day: date, zone: tzinfo = UTC) -> datetime:
    """The UTC moment `day` began on `zone`'s clock (DST-aware)."""
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def between(query, column, day_from: date | None, day_to: date | None, zone: tzinfo = UTC):
    """Rows whose `column` falls on or after `day_from` and on or before `day_to` (whole days on `zone`'s clock)."""
    if day_from:
        query = query.where(column >= start_of(day_from, zone))
    if day_to:
        query = query.where(column < start_of(day_to + timedelta(days=1), zone))
    return query
