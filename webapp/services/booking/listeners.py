"""What booking/ does when charging/ announces something (services/platform/listeners.py): registered once
at app start, in create_app, so the charger's lifecycle never imports the booking rules above it."""
from ...models import Booking
from ..platform import listeners
from . import app_sessions
from .releases import release


def cancel_faulted(booking: Booking) -> None:
    """A fault on its connector cancels (and refunds) a booking that has not started charging."""
    release(booking, "CANCELLED", "charger fault")


def register() -> None:
    """Listen for the charger's lifecycle (idempotent: each create_app calls it)."""
    listeners.listen("unstarted_booking_faulted", cancel_faulted)
    listeners.listen("booking_completed", app_sessions.apply_rating)
