"""Searchable lists for the console: bookings, charging sessions and payments, scoped to a user's stations."""
from datetime import date, datetime, tzinfo

from sqlalchemy import or_, select

from ... import params
from ...extensions import db
from ...models import Booking, Charger, ChargingSession, Connector, MeterSample, Payment, Station, User
from ...timeutil import UTC
from ..charging.metering import ENERGY, POWER, SOC, Sample, outlet_readings
from ..platform import days
from .monitoring import station_scope, visible_stations


def _scope(query, viewer: User):
    scope = station_scope(viewer)
    if scope is None:
        return query
    return query.where(Charger.station_id.in_(scope))


def bookings_query(viewer: User, q: str = "", status: str = "", station_id: int | None = None,
                   user_id: int | None = None, day_from: date | None = None,
                   day_to: date | None = None, zone: tzinfo = UTC):
    """Bookings matching: q (id, driver email or name, charger id), status, station, driver, created between days
    (whole days on `zone`'s clock, services/platform/days.py)."""
    query = (select(Booking).join(Connector, Booking.connector_id == Connector.id)
             .join(Charger, Connector.charger_id == Charger.id).join(User, Booking.user_id == User.id)
             .order_by(Booking.id.desc()))
    query = _scope(query, viewer)
    query = _search(query, q, [User.email, User.name, Charger.charge_point_id], [Booking.id])
    if status:
        query = query.where(Booking.status == status)
    if station_id:
        query = query.where(Charger.station_id == station_id)
    if user_id:
        query = query.where(Booking.user_id == user_id)
    return days.between(query, Booking.created_at, day_from, day_to, zone)


def sessions_query(viewer: User, q: str = "", state: str = "", station_id: int | None = None,
                   user_id: int | None = None, day_from: date | None = None,
                   day_to: date | None = None, zone: tzinfo = UTC):
    """Sessions matching: q (transaction id, driver email, idTag, charger id), state (active|finished), station,
    driver, started between days."""
    query = (select(ChargingSession).join(Connector, ChargingSession.connector_id == Connector.id)
             .join(Charger, Connector.charger_id == Charger.id).outerjoin(User, ChargingSession.user_id == User.id)
             .order_by(ChargingSession.id.desc()))
    query = _scope(query, viewer)
    query = _search(query, q, [User.email, ChargingSession.id_tag, Charger.charge_point_id], [ChargingSession.id])
    if state == "active":
        query = query.where(ChargingSession.stopped_at.is_(None))
    elif state == "finished":
        query = query.where(ChargingSession.stopped_at.is_not(None))
    if station_id:
        query = query.where(Charger.station_id == station_id)
    if user_id:
        query = query.where(ChargingSession.user_id == user_id)
    return days.between(query, ChargingSession.started_at, day_from, day_to, zone)


def payments_query(viewer: User, q: str = "", kind: str = "", status: str = "", user_id: int | None = None,
                   booking_id: int | None = None, day_from: date | None = None,
                   day_to: date | None = None, zone: tzinfo = UTC):
    """Payments matching: q (id, booking id, email, provider reference), kind, status, driver, booking, days.

    Operators see payments of bookings at their stations; debt settlements (no booking) are admin-only."""
    query = (select(Payment).join(User, Payment.user_id == User.id)
             .outerjoin(Booking, Payment.booking_id == Booking.id)
             .outerjoin(Connector, Booking.connector_id == Connector.id)
             .outerjoin(Charger, Connector.charger_id == Charger.id).order_by(Payment.id.desc()))
    query = _scope(query, viewer)
    query = _search(query, q, [User.email, Payment.provider_ref, Payment.reason], [Payment.id, Payment.booking_id])
    if kind:
        query = query.where(Payment.kind == kind)
    if status:
        query = query.where(Payment.status == status)
    if user_id:
        query = query.where(Payment.user_id == user_id)
    if booking_id:
        query = query.where(Payment.booking_id == booking_id)
    return days.between(query, Payment.created_at, day_from, day_to, zone)


def _search(query, q: str, text_columns: list, id_columns: list):
    """Match `q` against text columns (substring, any case) and, when it is a number like "42" or "#42", ids."""
    q = (q or "").strip()
    if not q:
        return query
    like = f"%{q}%"
    conditions = [column.ilike(like) for column in text_columns]
    number = params.id_in(q)
    if number is not None:
        conditions += [column == number for column in id_columns]
    return query.where(or_(*conditions))


def meter_series(session: ChargingSession) -> dict[str, list[tuple[datetime, float]]]:
    """The session's samples as series: energy (kWh delivered so far), power (kW), SoC (%), each point
    what the outlet meter read at that time (per-phase values summed when there is no total)."""
    rows = db.session.execute(select(MeterSample.timestamp, MeterSample.measurand, MeterSample.value,
                                     MeterSample.location, MeterSample.phase, MeterSample.unit)
                              .where(MeterSample.session_id == session.id,
                                     MeterSample.measurand.in_((ENERGY, POWER, SOC)))).all()
    readings = outlet_readings(Sample(*row) for row in rows)
    series = {"energy": [], "power": [], "soc": []}
    for ts in sorted(readings):
        reading = readings[ts]
        if ENERGY in reading:
            series["energy"].append((ts, max(0.0, (reading[ENERGY] - session.meter_start) / 1000)))
        if POWER in reading:
            series["power"].append((ts, reading[POWER] / 1000))
        if SOC in reading:
            series["soc"].append((ts, reading[SOC]))
    return series


def stations_for_filter(viewer: User) -> list[Station]:
    """The stations a viewer may filter by."""
    return visible_stations(viewer)
