"""Small helpers the console views share: paging and query arguments."""
from datetime import datetime
from zoneinfo import ZoneInfo

from .. import params

PER_PAGE = 50


def page_number() -> int:
    """The ?page= argument (1 when missing or malformed)."""
    return max(1, params.int_arg("page", 1))


def station_time(value: datetime | None, tz_name: str) -> str:
    """'2025-06-01 14:30 IST': a UTC time on the station's wall clock (templates use it for windows)."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz_name)).strftime("%Y-%m-%d %H:%M %Z")
