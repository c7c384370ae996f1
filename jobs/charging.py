"""Commands sent to chargers outside the request or socket that decided them."""
import logging

from webapp.services.charging import interventions, stop_retry, stuck

from . import app_context

log = logging.getLogger(__name__)


def stop_session(session_id: int, reason: str, attempt: int | None = None) -> None:
    """One RemoteStopTransaction of a stop retried until StopTransaction arrives (services/charging/stop_retry.py)."""
    with app_context():
        stop_retry.attempt(session_id, attempt)


def make_inoperative(session_id: int) -> None:
    with app_context():
        stop_retry.make_inoperative(session_id)


def reserve(booking_id: int) -> None:
    with app_context():
        interventions.reserve(booking_id)


def cancel_reservation(booking_id: int) -> None:
    with app_context():
        interventions.cancel_reservation(booking_id)


def stop_forced(session_id: int) -> None:
    with app_context():
        stuck.stop_forced(session_id)
