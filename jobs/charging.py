"""Commands sent to chargers outside the request or socket that decided them."""
import logging

from webapp.services import charging

from . import app_context

log = logging.getLogger(__name__)


def stop_session(session_id: int, reason: str) -> None:
    with app_context():
        charging.stop_session(session_id, reason)


def reserve(booking_id: int) -> None:
    with app_context():
        charging.reserve(booking_id)


def cancel_reservation(booking_id: int) -> None:
    with app_context():
        charging.cancel_reservation(booking_id)
