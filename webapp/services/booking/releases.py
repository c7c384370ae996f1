"""Ending a booking that never charged: settle its authorisation (void, or capture a fee), cancel its
reservation. Apart from `bookings` so that what ends bookings from elsewhere (a fault, maintenance, a retired
charger, a suspended account, a dispute) needs only this and the money rules, not every booking rule."""
from ...models import Booking
from ...extensions import db
from ...timeutil import utcnow
from ..money import payments
from ..platform import timers


def release(booking: Booking, status: str, reason: str, fee: int = 0) -> None:
    """End a booking that never charged (a hold, or a slot booked ahead): void (or capture `fee` of) the
    authorisation, free the charger."""
    # Settling commits (the gateway is never called inside a transaction), which ends the row locks of a caller
    # releasing several bookings: lock this one again and leave it alone if it moved on meanwhile.
    db.session.refresh(booking, with_for_update=True)
    if booking.status not in ("HELD", "CONFIRMED", "SLOT_HELD", "SCHEDULED", status):
        return
    booking.status, booking.ended_at, booking.end_reason = status, utcnow(), reason
    if payments.authorisation_of(booking) is not None:
        payments.settle(booking, fee)
    release_reservation(booking)


def release_reservation(booking: Booking) -> None:
    """CancelReservation (by a job, after commit) if the charger may hold one for this booking; once."""
    if booking.reservation_id is not None and booking.reservation_status in ("pending", "Accepted", "failed"):
        booking.reservation_status = "cancelled"
        timers.enqueue("jobs.charging.cancel_reservation", booking.id)
