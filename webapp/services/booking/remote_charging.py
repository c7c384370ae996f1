"""Starting and stopping a charge from an app, by what the app knows (charger id, connector number,
OCPP transaction id); the rules themselves are `bookings.start_charging` and `bookings.stop_charging`."""
from ...extensions import db
from ...models import Booking, ChargingSession, User
from . import bookings
from ..fleet import connector_lookup
from ..reports import history
from ..errors import Conflict, NotFound


def booking_to_start(user: User, booking_id: int | None) -> Booking:
    """The booking named, or the driver's live one; Conflict when there is nothing to start."""
    booking = bookings.get_for_user(user, booking_id) if booking_id is not None else history.live_booking(user)
    if booking is None:
        raise Conflict("You have no confirmed booking. Book a connector and pay first.")
    return booking


def start(user: User, cp_id: str, connector_number: int, booking_id: int | None = None) -> Booking:
    """RemoteStartTransaction on `cp_id`/`connector_number` for the driver's confirmed booking."""
    connector = connector_lookup.by_number(cp_id, connector_number)
    booking = booking_to_start(user, booking_id)
    return bookings.start_charging(user, booking.id, connector.id)


def transaction_of(user: User, transaction_id: int) -> ChargingSession:
    """The driver's own OCPP transaction; NotFound for anyone else's."""
    session = db.session.get(ChargingSession, transaction_id)
    if session is None or session.user_id != user.id:
        raise NotFound("No such transaction.", {"transaction_id": transaction_id})
    return session


def stop(user: User, transaction_id: int) -> ChargingSession:
    """RemoteStopTransaction for the driver's running transaction."""
    session = transaction_of(user, transaction_id)
    if session.stopped_at is not None:
        raise Conflict("This transaction has already stopped.", {"transaction_id": transaction_id})
    if session.booking_id is None:
        raise Conflict("This session was not started with a booking; stop it at the charger.")
    return bookings.stop_charging(user, session.booking_id)
