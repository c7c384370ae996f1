"""How many slots ahead one driver may hold (SLOT_MAX_PER_DRIVER, unpaid or scheduled), and unpaid slots giving
their time back when the checkout window ends (the read-side expiry is slot_gaps.expire_stale_slots; the job
here makes it visible and tells the driver)."""
from flask import current_app
from sqlalchemy import func, or_, select

from ...extensions import db
from ...models import Booking, User
from ...timeutil import utcnow
from . import slot_gaps
from ..platform import notifications, timers
from ..errors import Conflict

JOB = "jobs.bookings.expire_slot_hold"


def check_driver_limit(user_id: int) -> None:
    """Conflict when the driver already holds SLOT_MAX_PER_DRIVER future slots. The driver's row is locked
    first (PostgreSQL; SQLite's transactions are serialised), so two bookings at once cannot both pass."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update()).first()
    now, most = utcnow(), current_app.config["SLOT_MAX_PER_DRIVER"]
    held = db.session.execute(select(func.count(Booking.id)).where(
        Booking.user_id == user_id, Booking.slot_start > now,
        or_(Booking.status == "SCHEDULED", (Booking.status == "SLOT_HELD") & (Booking.hold_expires_at >= now))
    )).scalar_one()
    if held >= most:
        raise Conflict(f"You already have {held} slots booked ahead, the most one driver may hold. Pay or cancel "
                       "one of them first.", {"field": "slot_time", "slots": held, "max_slots": most})


def schedule_expiry(booking: Booking) -> None:
    timers.schedule(JOB, booking.hold_expires_at, booking.id)


def expire_unpaid(booking_id: int) -> bool:
    """An unpaid slot whose checkout window has passed: EXPIRED (its time is free again), the driver told."""
    booking = db.session.get(Booking, booking_id, populate_existing=True)
    if booking is None or booking.status not in ("SLOT_HELD", "EXPIRED") or booking.slot_start is None:
        return False
    if booking.status == "SLOT_HELD" and utcnow() < booking.hold_expires_at:
        schedule_expiry(booking)  # early (RQ runs up to a second early)
        db.session.commit()
        return False
    slot_gaps.expire_stale_slots(Booking.id == booking_id)
    db.session.refresh(booking)
    if booking.status == "EXPIRED" and booking.end_reason == "slot not paid in time":
        notifications.notify(booking.user_id, "slot_expired", "Slot not paid in time",
                             "Your slot was not paid within the checkout time, so it was released. Nothing was "
                             "charged.", link=f"/bookings/{booking.id}", dedupe_key=f"slot-expired-{booking.id}")
    db.session.commit()
    return True
