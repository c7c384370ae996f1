"""Analytics per day and per station: revenue, energy, sessions, utilisation; solar against charging.

Days are UTC days. Utilisation is the share of connector-time occupied by sessions (each connector of the
station's chargers counts 24 h a day).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, Payment, SolarSample, User
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
    utilisation: float = field(default=0.0)


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


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def period(day_from: date | None, day_to: date | None, default_days: int = 30) -> tuple[date, date]:
    """A valid [from, to] period: defaults to the last `default_days` days, at most MAX_DAYS long."""
    today = utcnow().date()
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


def _revenue(viewer, station_id, start, end, acc: Totals) -> None:
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
        acc.add(created.date(), sid, "revenue", amount if kind == "capture" else -amount)
    if viewer.is_admin and not station_id:  # debt settlements belong to no station
        settles = select(Payment.amount, Payment.created_at).where(
            Payment.kind == "settle", Payment.status == "succeeded", Payment.created_at >= start,
            Payment.created_at < end)
        for amount, created in db.session.execute(settles):
            acc.add(created.date(), None, "revenue", amount)


def _sessions(viewer, station_id, start, end, acc: Totals, now) -> None:
    query = (select(ChargingSession.started_at, ChargingSession.stopped_at, ChargingSession.energy_wh,
                    Charger.station_id)
             .join(Connector, ChargingSession.connector_id == Connector.id)
             .join(Charger, Connector.charger_id == Charger.id)
             .where(ChargingSession.auth_status == "Accepted", ChargingSession.started_at < end,
                    (ChargingSession.stopped_at.is_(None)) | (ChargingSession.stopped_at > start)))
    if station_id:
        query = query.where(Charger.station_id == station_id)
    for started, stopped, energy, sid in db.session.execute(scoped(query, viewer, Charger.station_id)):
        if started >= start:
            acc.add(started.date(), sid, "sessions", 1)
            acc.add(started.date(), sid, "energy_wh", energy)
        lo, hi = max(started, start), min(stopped or now, end)
        day = lo.date()
        while lo < hi:  # split the occupied time across the days it covers
            cut = min(hi, _start(day + timedelta(days=1)))
            acc.add(day, sid, "busy_seconds", (cut - lo).total_seconds())
            lo, day = cut, day + timedelta(days=1)


def _solar(chargers: dict[int, int], start, end, acc: Totals) -> None:
    """Integrate reported kW over time (trapezoids) into Wh per day and station."""
    if not chargers:
        return
    rows = db.session.execute(select(SolarSample.charger_id, SolarSample.timestamp, SolarSample.kw)
                              .where(SolarSample.charger_id.in_(list(chargers)), SolarSample.timestamp >= start,
                                     SolarSample.timestamp < end)
                              .order_by(SolarSample.charger_id, SolarSample.timestamp)
                              .execution_options(yield_per=5000))
    previous = None
    for charger_id, ts, kw in rows:
        if previous is not None and previous[0] == charger_id and ts - previous[1] <= SOLAR_GAP:
            wh = (previous[2] + kw) / 2 * (ts - previous[1]).total_seconds() / 3600 * 1000
            acc.add(previous[1].date(), chargers[charger_id], "solar_wh", wh)
        previous = (charger_id, ts, kw)


def _connectors(station_ids: set[int]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    rows = db.session.execute(select(Charger.station_id, Connector.id).join(Connector, Connector.charger_id == Charger.id)
                              .where(Charger.station_id.in_(station_ids), Charger.retired.is_(False)))
    for sid, _ in rows:
        counts[sid] += 1
    return counts


def report(viewer: User, day_from: date, day_to: date, station_id: int | None = None) -> dict:
    """Figures per day and per station over [day_from, day_to] for the stations the viewer manages."""
    start, end, now = _start(day_from), _start(day_to + timedelta(days=1)), utcnow()
    stations = [s for s in visible_stations(viewer) if not station_id or s.id == station_id]
    acc = Totals()
    _revenue(viewer, station_id, start, end, acc)
    _sessions(viewer, station_id, start, end, acc, now)
    _solar(_charger_station(viewer, station_id), start, end, acc)
    connectors = _connectors({s.id for s in stations})
    days = [day_from + timedelta(days=i) for i in range((day_to - day_from).days + 1)]
    for day in days:  # today counts only up to now
        _utilisation(acc.day[day], sum(connectors.values()), max(0, (min(_start(day + timedelta(days=1)), now)
                                                                   - _start(day)).total_seconds()))
    for station in stations:
        _utilisation(acc.station[station.id], connectors.get(station.id, 0),
                     max(0, (min(end, now) - start).total_seconds()))
    solar = [(s, [(d, acc.station_day[(s.id, d)]) for d in days]) for s in stations
             if s.solar_kw or acc.station[s.id].solar_wh > 0]
    totals = Figures(revenue=sum(acc.day[d].revenue for d in days), energy_wh=sum(acc.day[d].energy_wh for d in days),
                     sessions=sum(acc.day[d].sessions for d in days), solar_wh=sum(acc.day[d].solar_wh for d in days))
    return {"days": [(d, acc.day[d]) for d in days], "stations": [(s, acc.station[s.id]) for s in stations],
            "solar": solar, "day_from": day_from, "day_to": day_to, "totals": totals}


def _utilisation(figures: Figures, connectors: int, seconds: float) -> None:
    figures.connectors = connectors
    figures.utilisation = figures.busy_seconds / (connectors * seconds) if connectors and seconds else 0.0
