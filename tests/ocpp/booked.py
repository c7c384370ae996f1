"""A driver's booked session on a simulated charger, through the real services and the real socket."""
import uuid

from tests.conftest import wait_until
from webapp.extensions import db
from webapp.models import Booking
from webapp.services.booking import bookings
from webapp.services.fleet import chargers


def paid_booking(factory, cp_id: str, connector: int = 1, quota_kwh: float = 1, mode: str = "fast",
                 floor_kw: float | None = None):
    """A driver holds and pays for `quota_kwh` on the connector (in `mode`, with the Solar floor
    `floor_kw`); returns (driver, booking id)."""
    wait_until(lambda: chargers.get_by_cp_id(cp_id).connector(connector).status == "Available")
    driver = factory.user(email=f"d-{uuid.uuid4().hex[:6]}@example.com")
    booking = bookings.place_hold(driver, chargers.get_by_cp_id(cp_id).connector(connector).id)
    bookings.pay(driver, booking.id, quota_kwh, "card", "4242 4242 4242 4242", uuid.uuid4().hex, mode, floor_kw)
    return driver, booking.id


def charge(sim_charger, factory, connector: int = 1, quota_kwh: float = 1):
    """A paid booking whose driver swipes and charges; returns (driver, booking id, transaction id)."""
    driver, booking_id = paid_booking(factory, sim_charger.cp_id, connector, quota_kwh)
    sim_charger.wait_status(connector, "Reserved", timeout=5)
    assert sim_charger.swipe(driver.id_tag, connector) == "Accepted"
    sim_charger.wait_status(connector, "Charging", timeout=5)
    tx = sim_charger.transaction_id(connector)
    wait_until(lambda: db.session.get(Booking, booking_id).status == "CHARGING", timeout=5)
    return driver, booking_id, tx
