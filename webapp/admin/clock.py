"""Console times: every time on a console page goes through `time_tag`, on one wall clock, with its zone named.

The wall clock is the staff member's own zone when they chose one ("Show times in: my timezone"), else the
station the time belongs to (a booking's, a session's, a payment's, a charger's), else CONSOLE_TIMEZONE for
times that belong to no station (accounts, the audit log, health).
"""
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_login import current_user
from markupsafe import Markup, escape

from ..timeutil import UTC, as_utc, iso

FORMAT = "%Y-%m-%d %H:%M:%S %Z"
MINUTES = "%Y-%m-%d %H:%M %Z"


def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def station_of(thing):
    """The station a row belongs to: a station itself, or the one behind a charger, connector, booking,
    session or payment; None when there is none (or the chain is broken, e.g. a charger without a station)."""
    for _ in range(5):
        if thing is None or hasattr(thing, "timezone"):
            return thing
        step = next((name for name in ("station", "charger", "connector", "booking") if hasattr(thing, name)), None)
        if step is None:
            return None
        thing = getattr(thing, step)
    return None


def zone_for(where=None) -> tzinfo:
    """The viewer's own zone, else the station's (`where`: a zone name or anything station_of knows), else
    CONSOLE_TIMEZONE, else UTC."""
    own = getattr(current_user, "console_timezone", None) if current_user else None
    station = None if isinstance(where, str) else station_of(where)
    name = where if isinstance(where, str) else getattr(station, "timezone", None)
    return _zone(own) or _zone(name) or _zone(current_app.config.get("CONSOLE_TIMEZONE")) or UTC


def local(value: datetime | None, where=None) -> datetime | None:
    """`value` (UTC) on the console's wall clock for `where`."""
    return None if value is None else as_utc(value).astimezone(zone_for(where))


def shown(value: datetime | None, where=None, fmt: str = FORMAT) -> str:
    """'2026-12-01 14:05:09 IST'; '' for no time."""
    moment = local(value, where)
    return "" if moment is None else moment.strftime(fmt)


def time_tag(value: datetime | None, where=None, fmt: str = FORMAT) -> Markup:
    """A <time> element: machine-readable UTC, the UTC wall time on hover, the local time with its zone."""
    if value is None:
        return Markup('<span class="muted">—</span>')
    utc = as_utc(value)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        iso(utc), utc.strftime("%Y-%m-%d %H:%M:%S UTC"), escape(shown(utc, where, fmt)))


def station_time(value: datetime | None, tz_name: str) -> str:
    """'2026-12-02 08:00 IST': a UTC time on the station's own wall clock, whatever the viewer chose (a
    station's day and its slots are read in the station's time; the zone is named)."""
    moment = None if value is None else as_utc(value).astimezone(_zone(tz_name) or UTC)
    return "" if moment is None else moment.strftime(MINUTES)


def console_zone() -> tzinfo:
    """The clock of times that belong to no one station (the lists' day filters, the dashboard's "today"): the
    viewer's own zone, else their stations' zone when they all share one, else CONSOLE_TIMEZONE."""
    from ..services.reports import monitoring

    stations = monitoring.visible_stations(current_user, include_retired=False)
    return zone_for(stations[0] if len({s.timezone for s in stations}) == 1 else None)
