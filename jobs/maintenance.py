"""Maintenance windows: take chargers out of service at the start and back at the end."""
from . import app_context


def tick() -> None:
    with app_context():
        from webapp.services.fleet import maintenance

        maintenance.tick()
