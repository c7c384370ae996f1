"""Arrive and scan: check a scanned (or typed) connector against the driver's booking, then start."""
from dataclasses import dataclass

from ...models import Booking, Connector, User
from . import bookings, slot_life
from ..fleet import hours, qr
from ..reports import history
from ..errors import Conflict, DomainError


@dataclass
class Scan:
    connector: Connector
    booking: Booking | None
    problem: str | None  # why "Start charging" is not offered, in the driver's words

    @property
    def can_start(self) -> bool:
        return self.booking is not None and self.problem is None

    @property
    def running_here(self) -> bool:
        """The driver's session on this connector has already started."""
        return (self.booking is not None and self.booking.connector_id == self.connector.id
                and self.booking.status in ("CHARGING", "FINISHING", "OVERSTAY"))


def check(user: User, token: str) -> Scan:
    """Verify the code's signature (InvalidToken if forged), then the booking and the charger."""
    connector = qr.connector_for_token(token)
    bookings.expire_stale(user_id=user.id)
    slot_life.start_due(user.id)  # a slot whose time has come is usable even before its start job has run
    booking = history.live_booking(user)
    if booking is None:
        upcoming = history.my_booking(user)
        if upcoming is not None and upcoming.status == "SCHEDULED":
            station = upcoming.connector.charger.station
            return Scan(connector, None, f"Your slot on {upcoming.connector.label} starts at "
                                         f"{hours.local_now(station, upcoming.slot_start):%H:%M on %a %d %b} "
                                         f"({station.timezone}). Scan again then.")
        return Scan(connector, None, "You have no confirmed booking. Book a connector, pay, then scan again.")
    try:
        bookings.check_can_start(user, booking, connector)
    except DomainError as exc:
        return Scan(connector, booking, exc.message)
    return Scan(connector, booking, None)


def start(user: User, token: str) -> Booking:
    """Start charging on the scanned connector: RemoteStartTransaction; StartTransaction makes it CHARGING."""
    result = check(user, token)
    if result.booking is None or result.problem:
        raise Conflict(result.problem or "You have no confirmed booking for this connector.")
    return bookings.start_charging(user, result.booking.id, result.connector.id)
