"""Small helpers the console views share: the page size, a station's wall clock."""
from datetime import datetime
from zoneinfo import ZoneInfo

PER_PAGE = 50


def station_time(value: datetime | None, tz_name: str) -> str:
    """'2025-06-01 14:30 IST': a UTC time on the station's wall clock (templates use it for windows)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M %Z")
