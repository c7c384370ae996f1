"""Maintenance windows for a station or a charger."""
import logging
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Booking, Charger, Connector, MaintenanceWindow
from ..timeutil import utcnow
from . import commands, notifications
from .errors import CommandFailed, InvalidInput

log = logging.getLogger(__name__)


def chargers_of(window: MaintenanceWindow) -> list[Charger]:
    if window.charger_id is not None:
        return [window.charger]
    return list(db.session.execute(select(Charger).where(Charger.station_id == window.station_id)).scalars())


def schedule(station_id: int | None, charger_id: int | None, starts_at: datetime, ends_at: datetime,
             reason: str, by_user_id: int | None) -> MaintenanceWindow:
    """Plan a window; it starts (and ends) through the periodic tick."""
    if (station_id is None) == (charger_id is None):
        raise InvalidInput("Choose a station or a charger.")
    if ends_at <= starts_at:
        raise InvalidInput("The window must end after it starts.")
    if ends_at <= utcnow():
        raise InvalidInput("The window is already over.")
    window = MaintenanceWindow(station_id=station_id, charger_id=charger_id, starts_at=starts_at, ends_at=ends_at,
                               reason=reason, created_by=by_user_id)
    db.session.add(window)
    db.session.commit()
    return window


def tick(now: datetime | None = None) -> None:
    """Start windows that are due and end the ones that are over."""
    now = now or utcnow()
    due = db.session.execute(select(MaintenanceWindow).where(
        MaintenanceWindow.state == "scheduled", MaintenanceWindow.starts_at <= now)).scalars().all()
    for window in due:
        start(window)
    over = db.session.execute(select(MaintenanceWindow).where(
        MaintenanceWindow.state == "active", MaintenanceWindow.ends_at <= now)).scalars().all()
    for window in over:
        finish(window)


def start(window: MaintenanceWindow) -> None:
    """Affected bookings are cancelled with a refund; chargers go Inoperative."""
    from .bookings import release

    window.state = "active"
    targets = chargers_of(window)
    if window.station_id is not None:
        window.station.status = "maintenance"
    for charger in targets:
        charger.in_maintenance = True
    connector_ids = [c.id for ch in targets for c in ch.connectors]
    affected = db.session.execute(select(Booking).where(Booking.connector_id.in_(connector_ids),
                                                        Booking.status.in_(("HELD", "CONFIRMED")))).scalars().all()
    for booking in affected:
        release(booking, "CANCELLED", "maintenance")
        notifications.notify(booking.user_id, "booking_cancelled", "Booking cancelled for maintenance",
                             f"{booking.connector.label} goes into maintenance: {window.reason or 'planned work'}. "
                             "Your payment was released.", link=f"/bookings/{booking.id}")
    cp_ids = [c.charge_point_id for c in targets]
    db.session.commit()
    _availability(cp_ids, operative=False)


def finish(window: MaintenanceWindow) -> None:
    window.state = "done"
    targets = chargers_of(window)
    if window.station_id is not None and window.station.status == "maintenance":
        window.station.status = "active"
    for charger in targets:
        charger.in_maintenance = False
    cp_ids = [c.charge_point_id for c in targets]
    db.session.commit()
    _availability(cp_ids, operative=True)


def cancel(window: MaintenanceWindow) -> None:
    if window.state == "active":
        finish(window)
    window.state = "cancelled"
    db.session.commit()


def _availability(cp_ids: list[str], operative: bool) -> None:
    for cp_id in cp_ids:
        try:
            commands.change_availability(cp_id, 0, operative)
        except CommandFailed as exc:
            log.info("ChangeAvailability for %s not delivered (%s); it applies at the next boot", cp_id, exc)
