"""Booking timers: hold expiry, hold warning, arrival grace (no-show), exit grace (overstay), the sweep."""
from webapp.services.booking import bookings

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
