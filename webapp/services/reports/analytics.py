"""Analytics per day and per station: revenue, energy, sessions, utilisation; solar against charging.

Days are station-local: a row counts on the date its station's wall clock shows (a payment at 23:30 IST is
that day's, whatever the UTC date). Timestamps are converted in Python, from the UTC the database holds, so
SQLite and PostgreSQL group alike; each station's days start at its own midnight, and a DST day is 23 or 25
hours long. Money with no station (debt settlements) uses the caller's zone.

Utilisation is the share of connector-time occupied by sessions, over the connectors of the station's
chargers in service (each counts every hour of the day; today only up to now). It is computed here once,
as `Figures.utilisation` and its rounded `utilisation_pct`, for the charts and the table alike.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, Payment, SolarSample, Station, User
from ...timeutil import UTC, utcnow
from .monitoring import scoped, visible_stations

MAX_DAYS = 366
SOLAR_GAP = timedelta(minutes=15)  # a longer silence between samples counts as no production


@dataclass
class Figures:
    revenue: int = 0
    energy_wh: float = 0
    sessions: int = 0
    busy_seconds: float = 0
    solar_wh: float = 0
    connectors: int = 0
    available_seconds: float = 0  # connector-seconds the connectors could have been busy
    utilisation: float = field(default=0.0)

    @property
    def utilisation_pct(self) -> float:
        """Utilisation in per cent as the charts and the tables show it: one decimal, two below 1 %
        (a little use over a long period is not written as 0.0 %)."""
        pct = self.utilisation * 100
        return round(pct, 1) if pct >= 1 else round(pct, 2)

    @property
    def utilisation_text(self) -> str:
        return percent_text(self.utilisation_pct)


def percent_text(pct: float) -> str:
    """'12.3', '0.04': how a utilisation_pct is written, in the charts' tooltips and the tables alike."""
    return f"{pct:.1f}" if pct >= 1 or pct == 0 else f"{pct:.2f}"


class Totals:
    """Running figures per day, per station, and per (station, day)."""

    def __init__(self):
        self.day: dict[date, Figures] = defaultdict(Figures)
        self.station: dict[int, Figures] = defaultdict(Figures)
        self.station_day: dict[tuple[int, date], Figures] = defaultdict(Figures)

    def add(self, day: date, station_id: int | None, name: str, value: float) -> None:
        targets = [self.day[day]]
        if station_id is not None:
            targets += [self.station[station_id], self.station_day[(station_id, day)]]
        for figures in targets:
            setattr(figures, name, getattr(figures, name) + value)


def zone_of(name: str | None) -> tzinfo:
    """A station's zone (UTC when its name is unknown)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def midnight(day: date, zone: tzinfo) -> datetime:
    """The UTC instant `day` starts on the wall clock of `zone`."""
    return datetime.combine(day, time.min, zone).astimezone(UTC)


class Clock:
    """Each station's zone and the [from, to] period as UTC instants on its wall clock."""

    def __init__(self, zones: dict[int, tzinfo], day_from: date, day_to: date, fallback: tzinfo):
        self.zones, self.fallback, self.day_from, self.day_to = zones, fallback, day_from, day_to

    def zone(self, station_id: int | None) -> tzinfo:
        return self.zones.get(station_id, self.fallback) if station_id is not None else self.fallback

    def day(self, moment: datetime, station_id: int | None) -> date | None:
        """The station-local date of `moment`, or None when it falls outside the period."""
        local = moment.astimezone(self.zone(station_id)).date()
        return local if self.day_from <= local <= self.day_to else None

    def bounds(self, station_id: int | None = None) -> tuple[datetime, datetime]:
        """The period in UTC for one station, or (station_id None) wide enough for every station."""
        zones = [self.zone(station_id)] if station_id is not None else [*self.zones.values(), self.fallback]
        return (min(midnight(self.day_from, z) for z in zones),
                max(midnight(self.day_to + timedelta(days=1), z) for z in zones))


def local_today(viewer: User, station_id: int | None = None, fallback: tzinfo = UTC) -> date:
    """Today's date on the latest wall clock among the viewer's stations (the newest day a period can end on)."""
    now = utcnow()
    zones = [zone_of(s.timezone) for s in visible_stations(viewer) if not station_id or s.id == station_id]
    return max(now.astimezone(z).date() for z in zones or [fallback])


def period(day_from: date | None, day_to: date | None, default_days: int = 30,
           today: date | None = None) -> tuple[date, date]:
    """A valid [from, to] period: defaults to the last `default_days` days, at most MAX_DAYS long."""
    today = today or utcnow().date()
    day_to = min(day_to or today, today)
    day_from = day_from or day_to - timedelta(days=default_days - 1)
    if day_from > day_to:
        day_from, day_to = day_to, day_from
    if (day_to - day_from).days >= MAX_DAYS:
        day_from = day_to - timedelta(days=MAX_DAYS - 1)
    return day_from, day_to


def _charger_station(viewer: User, station_id: int | None) -> dict[int, int]:
    query = select(Charger.id, Charger.station_id).where(Charger.station_id.is_not(None))
    if station_id:
        query = query.where(Charger.station_id == station_id)
    return dict(db.session.execute(scoped(query, viewer, Charger.station_id)).all())


def _revenue(viewer, station_id, clock: Clock, acc: Totals) -> None:
    start, end = clock.bounds()
    query = (select(Payment.kind, Payment.amount, Payment.reason, Payment.created_at, Charger.station_id)
             .join(Booking, Payment.booking_id == Booking.id).join(Connector, Booking.connector_id == Connector.id)
             .join(Charger, Connector.charger_id == Charger.id)
             .where(Payment.status == "succeeded", Payment.kind.in_(("capture", "refund")),
                    Payment.created_at >= start, Payment.created_at < end))
    if station_id:
        query = query.where(Charger.station_id == station_id)
    for kind, amount, reason, created, sid in db.session.execute(scoped(query, viewer, Charger.station_id)):
        if kind == "refund" and reason == "unused authorisation":
            continue  # releasing an unused pre-authorisation is not money that was ever taken
        day = clock.day(created, sid)
        if day is not None:
            acc.add(day, sid, "revenue", amount if kind == "capture" else -amount)
    if viewer.is_admin and not station_id:  # debt settlements belong to no station
        settles = select(Payment.amount, Payment.created_at).where(
            Payment.kind == "settle", Payment.status == "succeeded", Payment.created_at >= start,
            Payment.created_at < end)
        for amount, created in db.session.execute(settles):
            day = clock.day(created, None)
            if day is not None:
                acc.add(day, None, "revenue", amount)


def _sessions(viewer, station_id, clock: Clock, acc: Totals, now) -> None:
    start, end = clock.bounds()
    query = (select(ChargingSession.started_at, ChargingSession.stopped_at, ChargingSession.energy_wh,
                    Charger.station_id, Charger.retired)
             .join(Connector, ChargingSession.connector_id == Connector.id)
             .join(Charger, Connector.charger_id == Charger.id)
             .where(ChargingSession.auth_status == "Accepted", ChargingSession.started_at < end,
                    (ChargingSession.stopped_at.is_(None)) | (ChargingSession.stopped_at > start)))
    if station_id:
        query = query.where(Charger.station_id == station_id)
    for started, stopped, energy, sid, retired in db.session.execute(scoped(query, viewer, Charger.station_id)):
        day = clock.day(started, sid)
        if day is not None:
            acc.add(day, sid, "sessions", 1)
            acc.add(day, sid, "energy_wh", energy)
        if retired or sid not in clock.zones:
            continue  # only connectors counted as available (in service, at a station in the report) are busy
        zone = clock.zone(sid)
        own_start, own_end = clock.bounds(sid)
        lo, hi = max(started, own_start), min(stopped or now, own_end)
        while lo < hi:  # split the occupied time at the station's midnights
            day = lo.astimezone(zone).date()
            cut = min(hi, midnight(day + timedelta(days=1), zone))
            acc.add(day, sid, "busy_seconds", (cut - lo).total_seconds())
            lo = cut


def _solar(chargers: dict[int, int], clock: Clock, acc: Totals) -> None:
    """Integrate reported kW over time (trapezoids) into Wh per station-local day and station."""
    if not chargers:
        return
    start, end = clock.bounds()
    rows = db.session.execute(select(SolarSample.charger_id, SolarSample.timestamp, SolarSample.kw)
                              .where(SolarSample.charger_id.in_(list(chargers)), SolarSample.timestamp >= start,
                                     SolarSample.timestamp < end)
                              .order_by(SolarSample.charger_id, SolarSample.timestamp)
                              .execution_options(yield_per=5000))
    previous = None
    for charger_id, ts, kw in rows:
        if previous is not None and previous[0] == charger_id and ts - previous[1] <= SOLAR_GAP:
            wh = (previous[2] + kw) / 2 * (ts - previous[1]).total_seconds() / 3600 * 1000
            day = clock.day(previous[1], chargers[charger_id])
            if day is not None:
                acc.add(day, chargers[charger_id], "solar_wh", wh)
        previous = (charger_id, ts, kw)


def _connectors(station_ids: set[int]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    rows = db.session.execute(select(Charger.station_id, Connector.id).join(Connector, Connector.charger_id == Charger.id)
                              .where(Charger.station_id.in_(station_ids), Charger.retired.is_(False)))
    for sid, _ in rows:
        counts[sid] += 1
    return counts


def _available(acc: Totals, stations: list[Station], days: list[date], clock: Clock, now: datetime) -> None:
    """Connector-seconds each station could have been busy on each of its days (today up to now), added to
    the station, the day and the (station, day) figures: the one denominator of every utilisation."""
    connectors = _connectors({s.id for s in stations})
    for station in stations:
        zone, count = clock.zone(station.id), connectors.get(station.id, 0)
        acc.station[station.id].connectors = count
        for day in days:
            seconds = max(0.0, (min(midnight(day + timedelta(days=1), zone), now) - midnight(day, zone)).total_seconds())
            acc.add(day, station.id, "available_seconds", count * seconds)
            acc.day[day].connectors += count
            acc.station_day[(station.id, day)].connectors = count


def report(viewer: User, day_from: date, day_to: date, station_id: int | None = None,
           fallback: tzinfo = UTC) -> dict:
    """Figures per station-local day and per station over [day_from, day_to] for the stations the viewer
    manages; `fallback` is the zone of money that belongs to no station."""
    now = utcnow()
    stations = [s for s in visible_stations(viewer) if not station_id or s.id == station_id]
    clock = Clock({s.id: zone_of(s.timezone) for s in stations}, day_from, day_to, fallback)
    acc = Totals()
    _revenue(viewer, station_id, clock, acc)
    _sessions(viewer, station_id, clock, acc, now)
    _solar(_charger_station(viewer, station_id), clock, acc)
    days = [day_from + timedelta(days=i) for i in range((day_to - day_from).days + 1)]
    _available(acc, stations, days, clock, now)
    for figures in [*(acc.day[d] for d in days), *(acc.station[s.id] for s in stations)]:
        figures.utilisation = figures.busy_seconds / figures.available_seconds if figures.available_seconds else 0.0
    solar = [(s, [(d, acc.station_day[(s.id, d)]) for d in days]) for s in stations
             if s.solar_kw or acc.station[s.id].solar_wh > 0]
    totals = Figures(revenue=sum(acc.day[d].revenue for d in days), energy_wh=sum(acc.day[d].energy_wh for d in days),
                     sessions=sum(acc.day[d].sessions for d in days), solar_wh=sum(acc.day[d].solar_wh for d in days),
                     busy_seconds=sum(acc.station[s.id].busy_seconds for s in stations),
                     available_seconds=sum(acc.station[s.id].available_seconds for s in stations))
    totals.utilisation = totals.busy_seconds / totals.available_seconds if totals.available_seconds else 0.0
    return {"days": [(d, acc.day[d]) for d in days], "stations": [(s, acc.station[s.id]) for s in stations],
            "solar": solar, "day_from": day_from, "day_to": day_to, "totals": totals}
