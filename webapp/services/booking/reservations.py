"""A hold protects its connector: the charger's answer to ReserveNow, moving a booking whose reservation was
refused to another free connector of the station, and staff taking a held connector over from the console.

Calls bookings (release, the bookable check), notifications and timers; bookings never calls back here.
"""
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import LIVE_STATUSES, RESERVATION_REFUSALS, Booking, Charger, Connector, User
from . import bookings, trail
from ..platform import notifications, timers
from ..errors import Conflict, Forbidden, InvalidInput, NotFound


def _locked(booking_id: int) -> Booking | None:
    return db.session.execute(select(Booking).where(Booking.id == booking_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def record_answer(booking_id: int, connector_pk: int, status: str) -> None:
    """Store what the charger answered to ReserveNow; a refusal is told to the driver at once."""
    booking = _locked(booking_id)
    if booking is None or booking.connector_id != connector_pk:
        return  # moved to another connector meanwhile: that one has its own ReserveNow
    if booking.status not in ("HELD", "CONFIRMED", "SCHEDULED"):
        if status == "Accepted":  # it ended while the charger was answering: free the charger again
            timers.enqueue("jobs.charging.cancel_reservation", booking.id)
        return
    booking.reservation_status = status
    if status in RESERVATION_REFUSALS:
        money = ("Your pre-authorisation is kept if you take another connector, and released if you cancel."
                 if booking.status == "CONFIRMED" else "Nothing has been charged.")
        if booking.status == "SCHEDULED":
            money = ("We ask the charger again when your slot starts; if the connector is not reserved for you "
                     "then, your pre-authorisation is released.")
        notifications.notify(booking.user_id, "reservation_refused", "Connector could not be reserved",
                             f"The charger could not reserve {booking.connector.label} ({status}). Take another "
                             f"connector of the station or cancel. {money}", link=f"/bookings/{booking.id}",
                             dedupe_key=f"refused-{booking.id}-{connector_pk}")


def alternatives(booking: Booking) -> list[Connector]:
    """Other connectors of the booking's station that are free right now (online, Available, unbooked)."""
    live = exists().where(Booking.connector_id == Connector.id, Booking.status.in_(LIVE_STATUSES))
    return list(db.session.execute(
        select(Connector).join(Charger, Connector.charger_id == Charger.id)
        .where(Charger.station_id == booking.connector.charger.station_id, Connector.id != booking.connector_id,
               Connector.status == "Available", Charger.online.is_(True), Charger.retired.is_(False),
               Charger.in_maintenance.is_(False), ~live)
        .order_by(Charger.charge_point_id, Connector.connector_id)).scalars())


def move(user: User, booking_id: int, connector_id: int) -> Booking:
    """Move a booking whose reservation was refused to another free connector of the same station.

    One UPDATE of the booking row: the partial unique index on live bookings makes the loser of a race for
    the target get Conflict. A held booking has nothing charged; a paid one keeps its authorisation.
    """
    booking = bookings.get_for_user(user, booking_id, lock=True)
    if booking.user_id != user.id:
        raise Forbidden("This booking belongs to someone else.")
    if booking.status not in ("HELD", "CONFIRMED"):
        raise Conflict(f"This booking is {booking.status.lower()}; it cannot move.")
    if not booking.reservation_refused:
        raise Conflict("Your connector is held for you; there is nothing to move.")
    target = db.session.get(Connector, connector_id) if connector_id else None
    if target is None:
        raise NotFound("No such connector.")
    if target.charger.station_id != booking.connector.charger.station_id or target.id == booking.connector_id:
        raise InvalidInput("Choose another connector of the same station.")
    bookings.check_connector_bookable(target)
    bookings.expire_stale(connector_id=target.id)
    before = trail.snapshot(booking)
    booking.connector = target
    if target.charger.supports_reservation:
        booking.reservation_id, booking.reservation_status = booking.id, "pending"
        timers.enqueue("jobs.charging.reserve", booking.id)
    else:
        booking.reservation_id, booking.reservation_status = None, "none"
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Sorry, that connector was just taken. Choose another one.") from None
    trail.log("booking.move", booking, before)
    db.session.commit()
    return booking


def _staff_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 150:
        raise InvalidInput("Give a reason (at most 150 characters); the driver sees it.", {"field": "reason"})
    return reason


def _unstarted(booking_id: int, what: str) -> Booking:
    """The booking locked, its timers applied; Conflict unless it is still HELD or CONFIRMED."""
    booking = _locked(booking_id)
    if booking is None:
        raise NotFound("No such booking.")
    bookings.expire_stale(connector_id=booking.connector_id)
    db.session.refresh(booking)
    if booking.status not in ("HELD", "CONFIRMED"):
        raise Conflict(f"This booking is {booking.status.lower()}: {what}")
    return booking


def cancel_by_staff(booking_id: int, reason: str) -> Booking:
    """Staff cancel a booking that has not started charging; its authorisation is released and the driver told."""
    reason = _staff_reason(reason)
    booking = _unstarted(booking_id, "only a held or confirmed booking can be cancelled. Stop its session or "
                                     "refund its payment instead.")
    before = trail.snapshot(booking)
    bookings.release(booking, "CANCELLED", f"cancelled by operator: {reason}")
    notifications.notify(booking.user_id, "booking_cancelled", "Booking cancelled by the operator",
                         f"{booking.connector.label}: {reason}. Your payment was released.",
                         link=f"/bookings/{booking.id}")
    trail.log("booking.cancel", booking, before, reason=reason)
    db.session.commit()
    return booking


def take_over(booking_id: int, reason: str) -> Booking:
    """Staff take a held or booked connector over: the booking ends, nothing charged, the driver is told."""
    reason = _staff_reason(reason)
    booking = _unstarted(booking_id, "only a held or booked connector can be taken over.")
    paid, before = booking.status == "CONFIRMED", trail.snapshot(booking)
    bookings.release(booking, "CANCELLED", "taken over by staff")
    trail.log("booking.take_over", booking, before, reason=reason)
    notifications.notify(booking.user_id, "booking_taken_over", "Your booking was ended by the station staff",
                         f"Staff needed {booking.connector.label}: {reason}. Nothing was charged"
                         + ("; your pre-authorisation was released." if paid else "."),
                         link=f"/bookings/{booking.id}", dedupe_key=f"takeover-{booking.id}")
    db.session.commit()
    return booking
