"""Smart charging jobs (services/charging/smart.py): they send charging profiles and GetConfiguration."""
from webapp.services.charging import smart

from . import app_context


def read_configuration(cp_id: str) -> None:
    """After an accepted boot: the charger's Smart Charging keys."""
    with app_context():
        smart.read_configuration(cp_id)


def rebalance(station_id: int) -> None:
    """A session started or ended at the station."""
    with app_context():
        smart.rebalance(station_id)


def replan() -> None:
    """Periodic: every station with a limit or a Solar session (solar moves, time-of-day limits)."""
    with app_context():
        smart.replan_all()
