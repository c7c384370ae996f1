"""Load-or-abort helpers: one per resource. Each answers 404 when the row does not exist and 403 when the
current user may not manage it (operators manage only their assigned stations; admins everything)."""
from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import (
    AuditLog,
    Booking,
    Charger,
    ChargingSession,
    Connector,
    MaintenanceWindow,
    Payment,
    Station,
    Tariff,
    User,
)


def _check(station: Station | None) -> None:
    """403 unless the current user manages `station` (a row without a station is for admins only)."""
    if current_user.is_admin:
        return
    if station is None or not current_user.can_manage(station):
        abort(403)


def _get(model, row_id: int):
    row = db.session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def station_or_abort(station_id: int) -> Station:
    """The station, if the current user manages it (404 / 403)."""
    station = _get(Station, station_id)
    _check(station)
    return station


def charger_or_abort(charger_id: int) -> Charger:
    """The charger, if the current user manages its station (404 / 403; unassigned chargers: admins)."""
    charger = _get(Charger, charger_id)
    _check(charger.station)
    return charger


def connector_or_abort(connector_id: int) -> Connector:
    """The connector, if the current user manages its charger's station (404 / 403)."""
    connector = _get(Connector, connector_id)
    _check(connector.charger.station)
    return connector


def booking_or_abort(booking_id: int) -> Booking:
    """The booking, if it is at one of the current user's stations (404 / 403)."""
    booking = _get(Booking, booking_id)
    _check(booking.connector.charger.station)
    return booking


def session_or_abort(session_id: int) -> ChargingSession:
    """The charging session, if it ran at one of the current user's stations (404 / 403)."""
    session = _get(ChargingSession, session_id)
    _check(session.connector.charger.station)
    return session


def payment_or_abort(payment_id: int) -> Payment:
    """The payment, if its booking is at one of the user's stations (404 / 403; debt settlements: admins)."""
    payment = _get(Payment, payment_id)
    _check(payment.booking.connector.charger.station if payment.booking else None)
    return payment


def window_or_abort(window_id: int) -> MaintenanceWindow:
    """The maintenance window, if it covers one of the current user's stations (404 / 403)."""
    window = _get(MaintenanceWindow, window_id)
    _check(window.station if window.station_id else window.charger.station)
    return window


def tariff_or_abort(tariff_id: int) -> Tariff:
    """A tariff (tariff routes are admin-only; 404 when missing)."""
    return _get(Tariff, tariff_id)


def user_or_abort(user_id: int) -> User:
    """A user account (user routes are admin-only; 404 when missing)."""
    return _get(User, user_id)


def audit_entry_or_abort(entry_id: int) -> AuditLog:
    """An audit entry (admin-only; 404 when missing)."""
    return _get(AuditLog, entry_id)
