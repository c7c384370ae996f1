"""Server-initiated charging commands decided elsewhere: quota or fault stops, reservations."""
import logging

from ..extensions import db
from ..models import Booking, ChargingSession
from . import commands, events, reservations
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
    """ReserveNow for a held or confirmed booking (until the hold expiry, then arrive-by); store the answer."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status not in ("HELD", "CONFIRMED") or booking.reservation_id is None:
        return None
    charger = booking.connector.charger
    expiry = booking.hold_expires_at if booking.status == "HELD" else booking.arrive_by
    args = (charger.charge_point_id, booking.connector.connector_id, expiry, booking.user.id_tag,
            booking.reservation_id)
    connector_pk, charger_id, number = booking.connector_id, charger.id, booking.connector.connector_id
    db.session.commit()  # never wait on the charger inside a transaction
    try:
        status = commands.reserve_now(*args)
    except CommandFailed as exc:
        status, detail = "failed", exc.message
    else:
        detail = status
    events.record(charger_id, "reservation", f"ReserveNow booking {booking_id}: {detail}", number)
    reservations.record_answer(booking_id, connector_pk, status)
    db.session.commit()
    return status


def cancel_reservation(booking_id: int) -> bool:
    """CancelReservation when a reserved booking ends without charging (or moves to another connector)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.reservation_id is None or booking.status in ("HELD", "CONFIRMED", "CHARGING"):
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
