"""Server-initiated charging commands decided elsewhere: quota or fault stops, reservations."""
import logging

from ..extensions import db
from ..models import Booking, ChargingSession
from . import commands, events
from .errors import CommandFailed

log = logging.getLogger(__name__)


def stop_session(session_id: int, reason: str) -> bool:
    """RemoteStopTransaction for a running session (quota reached, fault, operator)."""
    session = db.session.get(ChargingSession, session_id)
    if session is None or session.stopped_at is not None:
        return False
    charger = session.connector.charger
    if session.booking is not None and session.booking.end_reason is None:
        session.booking.end_reason = {"quota": "quota reached", "fault": "charger fault"}.get(reason, reason)
    cp_id, charger_id = charger.charge_point_id, charger.id
    db.session.commit()
    try:
        accepted = commands.remote_stop(cp_id, session_id)
    except CommandFailed as exc:
        accepted = False
        log.warning("Remote stop of session %s (%s) failed: %s", session_id, reason, exc)
    if not accepted:
        events.record(charger_id, "command_failed", f"RemoteStopTransaction {session_id} ({reason}) not accepted")
        db.session.commit()
    return accepted


def reserve(booking_id: int) -> str | None:
    """ReserveNow on the charger for a confirmed booking, until its arrive-by."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status != "CONFIRMED" or booking.reservation_id is None:
        return None
    charger = booking.connector.charger
    args = (charger.charge_point_id, booking.connector.connector_id, booking.arrive_by, booking.user.id_tag,
            booking.reservation_id)
    try:
        status = commands.reserve_now(*args)
    except CommandFailed as exc:
        status = f"failed: {exc.message}"
    events.record(charger.id, "reservation", f"ReserveNow booking {booking_id}: {status}",
                  booking.connector.connector_id)
    db.session.commit()
    return status


def cancel_reservation(booking_id: int) -> bool:
    """CancelReservation when a reserved booking ends without charging."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.reservation_id is None or booking.status in ("CONFIRMED", "CHARGING"):
        return False
    charger = booking.connector.charger
    cp_id, reservation_id = charger.charge_point_id, booking.reservation_id
    try:
        ok = commands.cancel_reservation(cp_id, reservation_id)
    except CommandFailed as exc:
        ok = False
        log.info("CancelReservation %s failed: %s", reservation_id, exc)
    events.record(charger.id, "reservation", f"CancelReservation {reservation_id}: {'Accepted' if ok else 'not accepted'}")
    db.session.commit()
    return ok
