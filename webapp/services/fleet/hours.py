"""Opening hours, evaluated in the station's own timezone (overnight ranges and 24/7 included)."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ...timeutil import UTC, utcnow
from ..errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def is_open(station, at: datetime | None = None) -> bool:
    """Whether `station` is open at `at` (UTC, default now), judged by its local wall clock."""
    if station.status != "active":
        return False
    if station.always_open:
        return True
    local = (at or utcnow()).astimezone(ZoneInfo(station.timezone))
    minute = local.hour * 60 + local.minute
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local.weekday() - 1) % 7]
    hours = station.opening_hours or {}
    for start, end in hours.get(today, []):
        s, e = _minutes(start), _minutes(end)
        if s < e and s <= minute < e:
            return True
        if e <= s and minute >= s:  # overnight range: the evening part
            return True
    for start, end in hours.get(yesterday, []):
        s, e = _minutes(start), _minutes(end)
        if e <= s and minute < e:  # overnight range from yesterday: the early-morning part
            return True
    return False


def next_opening(station, at: datetime | None = None) -> datetime | None:
    """When a station closed by its hours next opens (UTC), within the coming week; None when it is open,
    never opens, or is shut for another reason (maintenance, retired)."""
    now = at or utcnow()
    if station.status != "active" or station.always_open or is_open(station, now):
        return None
    zone = ZoneInfo(station.timezone)
    local = now.astimezone(zone)
    hours = station.opening_hours or {}
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        starts = sorted(_minutes(s) for s, _e in hours.get(DAYS[day.weekday()], []))
        for minute in starts:
            candidate = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
            if candidate > local:
                return candidate.astimezone(UTC)
    return None


def opens_text(station, opens_at: datetime | None, at: datetime | None = None) -> str:
    """'Opens 18:00' (later today) or 'Opens Mon 08:00', in the station's time; '' when unknown."""
    if opens_at is None:
        return ""
    zone = ZoneInfo(station.timezone)
    when, today = opens_at.astimezone(zone), (at or utcnow()).astimezone(zone).date()
    return f"Opens {when:%H:%M}" if when.date() == today else f"Opens {when:%a %H:%M}"


def local_now(station, at: datetime | None = None) -> datetime:
    return (at or utcnow()).astimezone(ZoneInfo(station.timezone))


def describe(station) -> list[tuple[str, str]]:
    """[(day label, "08:00-22:00, ..." or "Closed")] for display."""
    if station.always_open:
        return [("Every day", "Open 24 hours")]
    hours = station.opening_hours or {}
    rows = []
    for day in DAYS:
        ranges = hours.get(day, [])
        text = ", ".join(("24 hours" if (s, e) == ("00:00", "24:00") else f"{s}-{e}" +
                          (" (next day)" if _minutes(e) <= _minutes(s) else "")) for s, e in ranges)
        rows.append((day.capitalize(), text or "Closed"))
    return rows


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown timezone {name!r}; use an IANA name such as Asia/Kolkata", {"field": "timezone"})
    return name


def local_to_utc(local: datetime, tz_name: str) -> datetime:
    """A wall-clock time at the station (naive, as a datetime-local input gives it) as UTC."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def parse_hours(text_by_day: dict[str, str]) -> dict:
    """Parse {"mon": "08:00-12:00, 14:00-02:00", ...} into stored form; raise InvalidInput with the day."""
    result = {}
    for day in DAYS:
        raw = (text_by_day.get(day) or "").strip()
        if not raw or raw.lower() == "closed":
            continue
        ranges = []
        for part in raw.split(","):
            part = part.strip()
            if part.lower() in ("24h", "24 hours", "all day"):
                ranges.append(["00:00", "24:00"])
                continue
            bits = [b.strip() for b in part.split("-")]
            if len(bits) != 2 or not all(_HHMM.match(b) for b in bits) or bits[0] == "24:00":
                raise InvalidInput(f"{day.capitalize()}: {part!r} is not a range like 08:00-22:00")
            if bits[0] == bits[1]:
                raise InvalidInput(f"{day.capitalize()}: a range must not start and end at the same time")
            ranges.append(bits)
        result[day] = ranges
    return result


def format_hours(hours: dict) -> dict[str, str]:
    """The inverse of parse_hours, for edit forms."""
    return {day: ", ".join(f"{s}-{e}" for s, e in hours.get(day, [])) for day in DAYS}


def timezones() -> list[str]:
    return sorted(available_timezones())
