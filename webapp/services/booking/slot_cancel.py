"""The driver cancels a slot booked ahead, under the operator's policy (the station tariff's
slot_free_cancel_minutes): until that long before the start the whole pre-authorisation is released; later
(the slot about to start, or started and not yet charging) the session fee is captured and the rest released.
A second cancel returns the first one's outcome. The row lock orders a cancel against the slot's own start
job (slot_life.start): whichever comes second sees what the first did."""
from datetime import datetime, timedelta

from ...extensions import db
from ...models import Booking, User
from ...money import format_money
from ...timeutil import as_utc, utcnow
from . import bookings, releases, trail
from ..fleet import hours
from ..platform import notifications
from ..errors import Conflict

BY_DRIVER = "cancelled by driver"
FREE, LATE = f"{BY_DRIVER} (free)", f"{BY_DRIVER} (late: fee kept)"
CANCELLABLE = ("SLOT_HELD", "SCHEDULED", "CONFIRMED")  # CONFIRMED: a slot that has started, not charging yet


def cancel_any(user: User, booking_id: int) -> Booking:
    """Cancel a hold (bookings.cancel) or a slot (cancel_slot), whichever the booking is."""
    booking = bookings.get_for_user(user, booking_id)
    if booking.slot_start is None:
        return bookings.cancel(user, booking_id)
    return cancel_slot(user, booking_id)


def free_until(booking: Booking) -> datetime:
    """Until when cancelling the slot releases everything."""
    tariff = booking.connector.charger.station.tariff
    minutes = tariff.slot_free_cancel_minutes if tariff is not None else 0
    return as_utc(booking.slot_start) - timedelta(minutes=minutes)


def fee(booking: Booking, now: datetime) -> int:
    """What cancelling now keeps: nothing inside the free window or when nothing was paid, else the session
    fee (at most what was pre-authorised)."""
    if now < free_until(booking) or booking.amount_authorised <= 0:
        return 0
    tariff = booking.connector.charger.station.tariff
    return min(tariff.session_fee if tariff is not None else 0, booking.amount_authorised)


def cancel_slot(user: User, booking_id: int) -> Booking:
    """Cancel the driver's slot: free, or the session fee kept, by the tariff's policy. NotFound if not theirs."""
    booking = bookings.get_for_user(user, booking_id, lock=True)
    if booking.status == "CANCELLED" and (booking.end_reason or "").startswith(BY_DRIVER):
        db.session.commit()
        return booking  # a second cancel (double tap, retried request): the first one decided
    if booking.status not in CANCELLABLE:
        raise Conflict(f"A {booking.status.lower()} booking cannot be cancelled.")
    kept, paid = fee(booking, utcnow()), booking.amount_authorised
    before = trail.snapshot(booking)
    releases.release(booking, "CANCELLED", LATE if kept else FREE, fee=kept)
    trail.log("booking.cancel", booking, before, fee=kept)
    station = booking.connector.charger.station
    when = f"{hours.local_now(station, booking.slot_start):%a %d %b %H:%M} ({station.timezone})"
    if kept:
        body = (f"Your slot on {when} was cancelled less than {_window(booking)} before its start: the session "
                f"fee of {format_money(kept, booking.currency)} was kept and "
                f"{format_money(paid - kept, booking.currency)} released.")
    else:
        body = f"Your slot on {when} was cancelled free of charge" + (
            f"; the pre-authorisation of {format_money(paid, booking.currency)} was released." if paid else ".")
    notifications.notify(booking.user_id, "booking_cancelled", "Slot cancelled", body, link=f"/bookings/{booking.id}",
                         dedupe_key=f"cancel-{booking.id}")
    db.session.commit()
    return booking


def _window(booking: Booking) -> str:
    minutes = int((as_utc(booking.slot_start) - free_until(booking)).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 and minutes % 60 else (
        f"{minutes // 60} h" if minutes >= 60 else f"{minutes} min")


def terms(booking: Booking) -> dict | None:
    """For the booking page: until when a cancel is free, whether it still is, and the fee kept after that
    (None: not a slot)."""
    if booking.slot_start is None:
        return None
    tariff = booking.connector.charger.station.tariff
    late_fee = tariff.session_fee if tariff is not None else 0
    if booking.amount_authorised:
        late_fee = min(late_fee, booking.amount_authorised)  # never more than what was pre-authorised
    return {"free_until": free_until(booking), "free_now": utcnow() < free_until(booking), "late_fee": late_fee,
            "late": booking.end_reason == LATE}
