"""Money jobs: raising an authorisation a session is about to outrun, and reconciling interrupted payments."""
from webapp.services.money import reconcile, topups

from . import app_context


def top_up(booking_id: int) -> None:
    with app_context():
        topups.top_up(booking_id)


def reconcile_payments() -> None:
    with app_context():
        reconcile.finish_pending()
