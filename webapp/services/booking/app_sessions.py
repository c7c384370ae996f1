"""Charging sessions as the driver's app sees them: start, battery updates, end, and the numbers.

A session is a booking's charge. Energy comes from the charger's meter whenever the charger reports
one; otherwise from what the EV told the app; otherwise it is estimated from the battery levels and the
driver's own battery capacity (User.battery_kwh). With no capacity on file we say so instead of guessing.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select

from ...extensions import db
from ...models import AppSessionReport, Booking, ChargingSession, MeterSample, User
from ...timeutil import utcnow
from . import bookings, ratings, remote_charging
from ..money import pricing
from ..reports import history
from ..errors import Conflict, NotFound
from ..charging.metering import ENERGY

RUNNING = ("CHARGING",)


@dataclass
class AppSession:
    booking: Booking
    session: ChargingSession | None
    report: AppSessionReport | None
    status: str  # starting | active | completed | cancelled
    started_at: datetime | None
    ended_at: datetime | None
    duration_minutes: int
    energy_wh: int | None
    energy_source: str  # meter | vehicle | estimate | unknown
    cost: int | None
    cost_is_final: bool
    average_power_kw: float | None
    note: str | None


def report_of(booking_id: int) -> AppSessionReport | None:
    """What the app reported for a booking's charge, if anything."""
    return db.session.execute(select(AppSessionReport).where(AppSessionReport.booking_id == booking_id)
                              ).scalar_one_or_none()


def _record(user: User, booking: Booking, level: float, start: bool = False) -> AppSessionReport:
    """Note a battery level (creating the report on the first one; `start` restarts the baseline)."""
    report = report_of(booking.id)
    now = utcnow()
    if report is None:
        report = AppSessionReport(user_id=user.id, booking_id=booking.id, battery_level_start=level,
                                  battery_level=level, started_at=now, updated_at=now)
        db.session.add(report)
    elif start:
        report.battery_level_start, report.started_at = level, now
    report.battery_level, report.updated_at = level, now
    return report


def start(user: User, battery_level_start: float, booking_id: int | None = None, station_id: int | None = None,
          cp_id: str | None = None, connector_number: int | None = None) -> AppSession:
    """Start charging the driver's confirmed booking (RemoteStartTransaction) and note the battery level."""
    booking = remote_charging.booking_to_start(user, booking_id)
    if booking.status in RUNNING:
        raise Conflict("User already has an active charging session.", {"session_id": booking.id})
    station = booking.connector.charger.station
    if station_id is not None and station.id != station_id:
        raise Conflict(f"Your booking is at {station.name}, not station {station_id}.",
                       {"station_id": station.id})
    if cp_id is not None:
        booking = remote_charging.start(user, cp_id, connector_number or 1, booking.id)
    else:
        booking = bookings.start_charging(user, booking.id, booking.connector_id)
    _record(user, booking, battery_level_start, start=True)
    db.session.commit()
    return describe(booking)


def active_booking(user: User) -> Booking | None:
    """The booking whose charge is running or starting (RemoteStart sent, StartTransaction not yet in)."""
    booking = history.live_booking(user)
    if booking is None:
        return None
    if booking.status in RUNNING or (booking.status == "CONFIRMED" and report_of(booking.id) is not None):
        return booking
    return None


def update(user: User, battery_level: float, energy_kwh: float | None = None) -> AppSession:
    """The app reports the battery level (and the EV's energy counter when it has one)."""
    booking = active_booking(user)
    if booking is None:
        raise NotFound("Active charging session not found.")
    report = _record(user, booking, battery_level)
    if energy_kwh is not None:
        report.energy_reported_wh = round(energy_kwh * 1000)
    db.session.commit()
    return describe(booking)


def end(user: User, booking_id: int, battery_level_end: float, rating: int | None = None) -> AppSession:
    """Stop the charge if it still runs (RemoteStopTransaction), note the final level and the rating."""
    booking = bookings.get_for_user(user, booking_id)
    if booking.user_id != user.id:
        raise NotFound("No such session.")
    report = report_of(booking.id)
    if report is not None and report.ended_at is not None:
        raise Conflict("This session is already completed.", {"session_id": booking.id})
    if booking.status == "CHARGING":
        bookings.stop_charging(user, booking.id)
        booking = db.session.get(Booking, booking_id)
    elif booking.session is None:
        raise Conflict("Charging has not started on this booking; cancel the booking instead.",
                       {"booking_status": booking.status})
    report = _record(user, booking, battery_level_end)
    report.ended_at, report.station_rating = utcnow(), rating
    db.session.commit()
    apply_rating(booking_id)
    return describe(db.session.get(Booking, booking_id))


def apply_rating(booking_id: int) -> bool:
    """Give the station the rating the app sent at the end, once the session is complete (ratings' rule)."""
    booking = db.session.get(Booking, booking_id)
    report = report_of(booking_id)
    if report is None or report.station_rating is None or booking.rating is not None \
            or booking.status != "COMPLETED":
        return False
    ratings.rate(booking.user, booking_id, report.station_rating)
    return True


def history_page(user: User, filter_name: str = "all-time", limit: int = 50, offset: int = 0
                 ) -> tuple[list[Booking], int]:
    """The driver's charges (started, or started from the app), newest first, in the history's periods."""
    has_charge = or_(Booking.id.in_(select(ChargingSession.booking_id).where(ChargingSession.booking_id.isnot(None))),
                     Booking.id.in_(select(AppSessionReport.booking_id)))
    when = func.coalesce(Booking.started_at, Booking.created_at)
    query = select(Booking).where(Booking.user_id == user.id, has_charge)
    start = history.since(filter_name)
    if start is not None:
        query = query.where(when >= start)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(query.order_by(when.desc(), Booking.id.desc()).limit(limit).offset(offset)).scalars()
    return list(rows), total


def currency_of(user: User) -> str:
    """The currency of the driver's latest booking (what their totals are counted in)."""
    latest = db.session.execute(select(Booking.currency).where(Booking.user_id == user.id)
                                .order_by(Booking.id.desc()).limit(1)).scalar()
    return latest or "INR"


# -- the numbers ---------------------------------------------------------------------------------------------
def _has_meter(session: ChargingSession) -> bool:
    if session.stopped_at is not None:
        return True  # StopTransaction carries meterStop
    return db.session.execute(select(exists().where(MeterSample.session_id == session.id,
                                                    MeterSample.measurand == ENERGY))).scalar()


def estimate_energy_wh(user: User, level_start: float, level_now: float) -> int | None:
    """Energy from battery levels and the driver's own capacity; None when the capacity is unknown."""
    if user.battery_kwh is None:
        return None
    return round(max(0.0, level_now - level_start) / 100 * user.battery_kwh * 1000)


def _energy(booking: Booking, session, report) -> tuple[int | None, str, str | None]:
    if session is not None and _has_meter(session):
        return session.energy_wh, "meter", None
    if report is not None and report.energy_reported_wh is not None:
        return report.energy_reported_wh, "vehicle", "Reported by your vehicle; the charger's meter decides the bill."
    if report is None:
        return None, "unknown", "No meter reading or battery level yet."
    estimate = estimate_energy_wh(booking.user, report.battery_level_start, report.battery_level)
    if estimate is None:
        return None, "unknown", ("Battery capacity unknown: add your vehicle's battery capacity (kWh) to your "
                                 "account to estimate energy from battery levels.")
    return estimate, "estimate", (f"Estimated from battery levels and your {booking.user.battery_kwh:g} kWh "
                                  "battery; the charger's meter decides the bill.")


def _status(booking: Booking, session) -> str:
    if session is not None:
        return "active" if session.stopped_at is None else "completed"
    return "starting" if booking.status == "CONFIRMED" else "cancelled"


def describe(booking: Booking) -> AppSession:
    """Compute duration, energy (with its source), cost and average power for a booking's charge."""
    session, report = booking.session, report_of(booking.id)
    started = session.started_at if session is not None else (report.started_at if report else None)
    ended = session.stopped_at if session is not None else (booking.ended_at if report else None)
    minutes = max(0, int(((ended or utcnow()) - started).total_seconds() // 60)) if started else 0
    energy_wh, source, note = _energy(booking, session, report)
    tariff = booking.connector.charger.station.tariff
    cost, final = None, False
    if booking.status == "COMPLETED":
        cost, final = booking.amount_captured, True
    elif session is not None and session.stopped_at is not None:
        cost = session.cost
    elif energy_wh is not None and tariff is not None and started is not None:
        cost = pricing.session_cost(tariff, energy_wh, started, ended or utcnow(), booking.charging_mode,
                                     booking.mode_segments).total
    power = None
    if energy_wh is not None:
        power = round(energy_wh / 1000 / (minutes / 60), 2) if minutes > 0 else 0.0
    return AppSession(booking, session, report, _status(booking, session), started, ended, minutes, energy_wh,
                      source, cost, final, power, note)
