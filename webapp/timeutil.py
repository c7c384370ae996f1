"""Time helpers: the database holds UTC, the wire carries ISO 8601 with an offset."""
from datetime import datetime, timezone

UTC = timezone.utc


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Treat naive datetimes (SQLite returns them) as UTC; convert aware ones to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, millisecond precision, 'Z' for UTC."""
    if value is None:
        return None
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp from a charger; a missing offset means UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return as_utc(value)


def zoned(value: datetime, tz_name: str | None, fmt: str = "%H:%M") -> str:
    """`value` on the wall clock of `tz_name` (an IANA name; None: UTC) with the zone shown: '14:32 IST'.
    A zone without an abbreviation shows its offset ('UTC+04')."""
    from zoneinfo import ZoneInfo

    local = as_utc(value).astimezone(ZoneInfo(tz_name or "UTC"))
    zone = local.strftime("%Z")
    if zone[:1] in "+-":
        zone = f"UTC{zone}"
    return f"{local.strftime(fmt)} {zone}"
