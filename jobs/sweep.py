"""The periodic safety net: apply every booking timer whose moment has passed."""
from webapp.services.booking import bookings

from . import app_context


def run() -> None:
    with app_context():
        bookings.sweep()
