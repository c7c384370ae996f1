"""Server-initiated charging commands decided elsewhere: quota or fault stops, reservations."""
import logging

from sqlalchemy import select

from ...extensions import db
from ...models import Booking, ChargingSession
from ..booking import reservations
from . import stop_retry
from ..platform import audit, commands, events
from ..errors import CommandFailed

log = logging.getLogger(__name__)


def stop_session(session_id: int, reason: str) -> bool | None:
    """Stop a running session now (staff): RemoteStopTransaction, retried until StopTransaction arrives.

    Returns the charger's answer, or None when a stop was sent moments ago and is being retried."""
    session = db.session.execute(select(ChargingSession).where(ChargingSession.id == session_id)
                                 .with_for_update()).scalar_one_or_none()
    if session is None or session.stopped_at is not None:
        return False
    if stop_retry.request(session, reason, enqueue=False):
        audit.log("session.stop", "session", session.id, {"active": True, "stop_requested_at": None},
                  audit.snapshot(session, ("stop_requested_at", "stop_reason_requested")))
    db.session.commit()
    return stop_retry.attempt(session_id)


def reserve(booking_id: int) -> str | None:
    """ReserveNow for a held, confirmed or scheduled booking (until the hold expiry, then arrive-by); store the
    answer."""
    booking = db.session.get(Booking, booking_id)
    if (booking is None or booking.status not in ("HELD", "CONFIRMED", "SCHEDULED")
            or booking.reservation_id is None):
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
    if booking is None or booking.reservation_id is None or booking.status in ("HELD", "CONFIRMED", "SCHEDULED",
                                                                                "CHARGING"):
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
