"""When a slot may be: a station's open intervals in UTC for local dates, and the slot settings.

Opening hours are wall-clock ranges in the station's timezone; a range whose end is not after its start runs
overnight into the next day. Converting each range's local ends to UTC on its own date handles DST: on a
spring-forward day an 08:00-20:00 range is 11 hours long, on a fall-back day 13.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from ...timeutil import UTC
from ..fleet import hours


@dataclass(frozen=True)
class Settings:
    lead: timedelta
    max_ahead: timedelta
    step: timedelta
    default: timedelta
    changeover: timedelta


def settings() -> Settings:
    cfg = current_app.config
    return Settings(timedelta(minutes=cfg["SLOT_LEAD_MINUTES"]), timedelta(days=cfg["SLOT_MAX_DAYS"]),
                    timedelta(minutes=cfg["SLOT_STEP_MINUTES"]), timedelta(minutes=cfg["SLOT_DEFAULT_MINUTES"]),
                    timedelta(minutes=cfg["SLOT_CHANGEOVER_MINUTES"]))


def _at(day: date, minutes: int, tz: str) -> datetime:
    """The local wall-clock `minutes` after midnight of `day` (24:00 is the next midnight), as UTC."""
    extra, minutes = divmod(minutes, 24 * 60)
    return hours.local_to_utc(datetime.combine(day + timedelta(days=extra), time()) + timedelta(minutes=minutes), tz)


def day_span(station, day: date) -> tuple[datetime, datetime]:
    """The station-local date `day` as a UTC [start, end) (23 or 25 hours long on a DST change day)."""
    return _at(day, 0, station.timezone), _at(day + timedelta(days=1), 0, station.timezone)


def open_intervals(station, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """Merged UTC [start, end) intervals in which `station` is open, covering local dates first..last
    (the evening before `first` included, for an overnight range that runs into it)."""
    if station.status != "active":
        return []
    if station.always_open:
        return [(day_span(station, first)[0], day_span(station, last)[1])]
    spans = []
    day = first - timedelta(days=1)
    while day <= last:
        for start, end in (station.opening_hours or {}).get(hours.DAYS[day.weekday()], []):
            s, e = hours._minutes(start), hours._minutes(end)
            spans.append((_at(day, s, station.timezone), _at(day, e if e > s else e + 24 * 60, station.timezone)))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def inside(intervals, start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies inside one of `intervals`."""
    return any(s <= start and end <= e for s, e in intervals)


def local_date(station, at: datetime) -> date:
    return at.astimezone(ZoneInfo(station.timezone)).date()


def on_step(at: datetime, step: timedelta) -> bool:
    """Whether a UTC time falls on a step boundary (whole minutes, step-aligned within the UTC hour; station
    offsets are whole quarter hours, so local boundaries coincide)."""
    seconds = int(at.astimezone(UTC).timestamp())
    return seconds % int(step.total_seconds()) == 0
