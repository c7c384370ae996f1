"""Booking timers: hold expiry, hold warning, arrival grace (no-show), exit grace (overstay), a slot's life."""
from webapp.services.booking import bookings, slot_life, slot_limits

from . import app_context


def expire_hold(booking_id: int) -> None:
    with app_context():
        bookings.expire_hold(booking_id)


def hold_warning(booking_id: int) -> None:
    with app_context():
        bookings.hold_warning(booking_id)


def arrival_grace(booking_id: int) -> None:
    with app_context():
        bookings.arrival_grace(booking_id)


def exit_grace(booking_id: int) -> None:
    with app_context():
        bookings.exit_grace(booking_id)


# -- a slot booked ahead (services/booking/slot_life.py, slot_limits.py) ----------------------------------
def slot_reminder(booking_id: int) -> None:
    with app_context():
        slot_life.remind(booking_id)


def slot_reserve(booking_id: int) -> None:
    with app_context():
        slot_life.reserve(booking_id)


def slot_warn(booking_id: int) -> None:
    with app_context():
        slot_life.warn(booking_id)


def slot_clear(booking_id: int) -> None:
    with app_context():
        slot_life.clear(booking_id)


def slot_start(booking_id: int) -> None:
    with app_context():
        slot_life.start(booking_id)


def expire_slot_hold(booking_id: int) -> None:
    with app_context():
        slot_limits.expire_unpaid(booking_id)
