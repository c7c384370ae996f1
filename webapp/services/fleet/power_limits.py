"""A station's time-of-day power limits as operators type them and as the station stores them.

Typed: ``18:00-22:00 11, 22:00-06:00 30`` (station-local ranges, each with its kW; an end at or before its
start runs past midnight). Stored (``Station.power_schedule``): ``[["18:00", "22:00", 11.0], ...]``, which
``services/charging/smart.py`` reads.
"""
import math
import re

from ..errors import InvalidInput

_WINDOW = re.compile(r"^(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s+(\S+?)\s*(?:kw)?$", re.IGNORECASE)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_KW = 10_000.0
MAX_WINDOWS = 24


def parse_schedule(text: str) -> list:
    """``text`` as stored windows ([] for empty); raises InvalidInput naming the bad part."""
    windows = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = _WINDOW.match(part)
        if not match or not (_HHMM.match(match[1]) and _HHMM.match(match[2])):
            raise InvalidInput(f"{part!r} is not a window like 18:00-22:00 11 (times, then kW).")
        if match[1] == match[2]:
            raise InvalidInput(f"{part!r}: a window must not start and end at the same time.")
        try:
            kw = float(match[3])
        except ValueError:
            kw = math.nan
        if not 0 <= kw <= MAX_KW:  # NaN fails this too
            raise InvalidInput(f"{part!r}: the limit must be a number of kW from 0 to {MAX_KW:g}.")
        windows.append([match[1], match[2], kw])
    if len(windows) > MAX_WINDOWS:
        raise InvalidInput(f"At most {MAX_WINDOWS} windows.")
    return windows


def format_schedule(windows: list | None) -> str:
    """The inverse of parse_schedule, for the edit form."""
    return ", ".join(f"{start}-{end} {kw:g}" for start, end, kw in windows or [])
