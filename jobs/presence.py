"""Offline detection: chargers silent for longer than 2 x heartbeat interval + margin go offline."""
from webapp.services.fleet import chargers

from . import app_context


def detect_offline() -> None:
    with app_context():
        chargers.detect_offline()
