"""Booking state changes driven by the charger: started, progress, stopped, connector freed, faulted.

HELD -> CONFIRMED -> CHARGING -> FINISHING -> (OVERSTAY ->) COMPLETED; see DESIGN section 3.
"""
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Booking, ChargingSession, Connector
from ...timeutil import utcnow, zoned
from ..booking import grace
from . import stop_retry
from ..money import payments, pricing
from ..platform import listeners, notifications, timers
from ..platform.alerts import alert_staff

log = logging.getLogger(__name__)


def live_booking_on_charger(user_id: int, charger_id: int, connector_number: int | None) -> Booking | None:
    """The user's live booking on this charger (and connector, when given), its row locked.

    The lock makes a StartTransaction and the no-show timer take turns: whichever locks first decides, the
    other sees the outcome. A confirmed booking past its arrival grace (Start window included) is a no-show.
    """
    query = (select(Booking).join(Connector, Booking.connector_id == Connector.id)
             .where(Booking.user_id == user_id, Connector.charger_id == charger_id,
                    Booking.status.in_(("CONFIRMED", "CHARGING")))
             .with_for_update(of=Booking).execution_options(populate_existing=True))
    if connector_number:
        query = query.where(Connector.connector_id == connector_number)
    booking = db.session.execute(query).scalars().first()
    if booking is not None and booking.status == "CONFIRMED" and grace.passed(booking, utcnow()):
        return None  # the arrival grace has passed: a no-show, whatever the timer says
    return booking


def locked_booking(booking_id: int) -> Booking | None:
    """The booking row locked and re-read (never a stale copy from this session's identity map)."""
    return db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def charging_started(session: ChargingSession) -> None:
    """StartTransaction accepted for a booking: CONFIRMED -> CHARGING."""
    booking = locked_booking(session.booking_id)
    if booking is None or booking.status != "CONFIRMED":
        return
    booking.status, booking.started_at = "CHARGING", session.started_at
    notifications.notify(booking.user_id, "charging_started", "Charging started",
                         f"Connector {booking.connector.label} is charging since "
                         f"{zoned(session.started_at, booking.timezone)}.", link=f"/bookings/{booking.id}/live",
                         dedupe_key=f"started-{booking.id}", tz=booking.timezone)


def quota_reached(booking: Booking, session: ChargingSession) -> bool:
    return quota_met(booking.quota_kwh, booking.quota_minutes, session.energy_wh, session.started_at)


def quota_met(quota_kwh: float | None, quota_minutes: int | None, energy_wh: int, started_at: datetime) -> bool:
    """Has a session that started at `started_at` and delivered `energy_wh` used up the bought quota?"""
    if quota_kwh is not None and energy_wh >= quota_kwh * 1000:
        return True
    if quota_minutes is not None:
        return utcnow() - started_at >= timedelta(minutes=quota_minutes)
    return False


def session_progress(session: ChargingSession) -> None:
    """New meter values: stop from the server when the bought quota is reached."""
    booking = session.booking
    if booking is None or session.stopped_at is not None or session.remote_stop_sent:
        return
    if quota_reached(booking, session) and stop_retry.request(session, "quota"):
        notifications.notify(booking.user_id, "quota_reached", "Quota reached",
                             f"You got the energy you paid for; stopping the charge "
                             f"({zoned(utcnow(), booking.timezone)}).",
                             link=f"/bookings/{booking.id}/live", dedupe_key=f"quota-{booking.id}", tz=booking.timezone)


def charging_stopped(session: ChargingSession) -> None:
    """StopTransaction: the session's cost is fixed, the exit grace starts."""
    connector = session.connector
    price_session(session)
    if session.booking_id is None:
        stop_retry.after_end(session)
        return
    booking = locked_booking(session.booking_id)
    if booking.status not in ("CHARGING", "CONFIRMED"):
        return
    now = utcnow()
    booking.status, booking.stopped_at = "FINISHING", session.stopped_at
    grace = timers.duration("EXIT_GRACE")
    booking.exit_by = now + grace
    booking.end_reason = booking.end_reason or session.stop_reason
    timers.schedule("jobs.bookings.exit_grace", booking.exit_by, booking.id)
    notifications.notify(booking.user_id, "charging_complete", "Charging complete",
                         f"{session.energy_wh / 1000:.2f} kWh delivered. Unplug and close the door within "
                         f"{timers.describe(grace)} (by {zoned(booking.exit_by, booking.timezone)}).",
                         link=f"/bookings/{booking.id}/live", dedupe_key=f"complete-{booking.id}", tz=booking.timezone)
    if connector.status in ("Available", "Faulted"):  # a fault ends the booking now: no exit grace, no idle fee
        finalise(booking)


def price_session(session: ChargingSession) -> None:
    """Fix a stopped session's cost from its energy and times (staff sessions are not billed)."""
    station = session.connector.charger.station
    tariff = station.tariff if station else None
    if tariff is not None and session.auth_status == "Accepted" and session.user and not session.user.is_staff:
        session.cost = pricing.session_cost(tariff, session.energy_wh, session.started_at, session.stopped_at,
                                            *billing_modes(session)).total


def billing_modes(session: ChargingSession) -> tuple:
    """(mode, segments) the session is billed at: its booking's (a session without a booking charges Fast)."""
    booking = session.booking
    return (booking.charging_mode, booking.mode_segments) if booking is not None else ("fast", None)


def connector_status_changed(connector: Connector, previous: str, status: str) -> None:
    """React to a StatusNotification: a freed connector completes its booking, a fault ends its session."""
    if status == "Available" and previous != "Available":
        booking = db.session.execute(select(Booking).where(
            Booking.connector_id == connector.id, Booking.status.in_(("FINISHING", "OVERSTAY")))
        ).scalar_one_or_none()
        if booking is not None:
            finalise(locked_booking(booking.id))
    elif status == "Faulted":
        _connector_faulted(connector)


def _connector_faulted(connector: Connector) -> None:
    session = db.session.execute(select(ChargingSession).where(
        ChargingSession.connector_id == connector.id, ChargingSession.stopped_at.is_(None),
        ChargingSession.auth_status == "Accepted")).scalars().first()
    if session is not None:
        stop_retry.request(session, "fault")
    booking = db.session.execute(select(Booking).where(
        Booking.connector_id == connector.id, Booking.status.in_(("HELD", "CONFIRMED", "CHARGING")))
    ).scalar_one_or_none()
    if booking is None:
        return
    notifications.notify(booking.user_id, "charger_fault", "Charger fault",
                         f"Connector {connector.label} reported a fault ({connector.error_code}). "
                         + ("Charging was stopped; you pay only for what was delivered."
                            if booking.status == "CHARGING" else "Your booking was cancelled and refunded."),
                         link=f"/bookings/{booking.id}", dedupe_key=f"fault-{booking.id}", tz=booking.timezone)
    if booking.status in ("HELD", "CONFIRMED"):
        listeners.announce("unstarted_booking_faulted", locked_booking(booking.id))  # booking/ cancels it
    else:
        booking.end_reason = "charger fault"
    alert_staff(connector.charger.station_id, "charger_fault", f"{connector.label} faulted",
                f"Error {connector.error_code}", f"/admin/chargers/{connector.charger_id}")


def finalise(booking: Booking, idle_until: datetime | None = None) -> None:
    """Connector free again after a session: capture the real cost, refund the rest, COMPLETED.

    `idle_until`: when the connector is taken to have been freed, if not now (a force-finish)."""
    if booking is None or booking.status not in ("FINISHING", "OVERSTAY"):
        return
    now = utcnow()
    # Query rather than trust `booking.session`: it may have been loaded (as None) before the session existed.
    session = db.session.execute(select(ChargingSession).where(ChargingSession.booking_id == booking.id)).scalar_one_or_none()
    tariff = booking.connector.charger.station.tariff
    total = session.cost if session is not None else 0
    if booking.status == "OVERSTAY" and tariff is not None and booking.exit_by is not None:
        booking.idle_fee = pricing.idle_fee(tariff, booking.exit_by, min(now, idle_until or now))
        total += booking.idle_fee
    booking.status, booking.ended_at = "COMPLETED", now
    payments.settle(booking, total)
    stop_retry.after_end(session)
    listeners.announce("booking_completed", booking.id)  # booking/ applies a rating the app sent meanwhile
