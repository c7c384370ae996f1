"""The demo finishes what it starts: after a booked session stops (quota or the driver's RemoteStop) the
simulator's driver unplugs and closes the door, so the booking reaches COMPLETED; and a time-scaled
simulator's timestamps run in its scaled clock, so duration and average power fit the plug."""
import re
import time

import pytest

from tests.conftest import release_db, wait_until
from tests.driver.conftest import confirmed_booking
from webapp.extensions import db
from webapp.models import Booking
from webapp.services.fleet import chargers, qr

CP_ID = "SIM-DEMO-1"
SCALE = 120


@pytest.fixture
def demo_charger(live_server, make_charger, sim, scheduler):
    """One 22 kW connector, 120x time, whose booked drivers leave 0.5 s after their session stops."""
    password = make_charger(CP_ID, connectors=1)
    release_db()
    device = sim.add(CP_ID, live_server.ws_url, password=password, connectors=1, max_power_kw=22.0,
                     meter_interval=0.3, time_scale=SCALE, heartbeat_interval=2, plug_delay=0.2, unplug_delay=0.5)
    assert device.connect() == "Accepted"
    device.wait_status(1, "Available")
    return device


def booking(booking_id) -> Booking:
    release_db()
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


@pytest.mark.parametrize("stopped_by", ["quota", "driver"])
def test_booked_session_ends_by_itself_and_fits_the_plug(client, factory, login, demo_charger, stopped_by):
    driver = factory.user(email="demo-driver@example.com")
    login(driver)
    release_db()
    connector = chargers.get_by_cp_id(CP_ID).connectors[0]
    booking_id = confirmed_booking(client, connector)  # 10 kWh quota
    if stopped_by == "quota":
        db.session.get(Booking, booking_id).quota_kwh = 1
        db.session.commit()
    began = time.monotonic()
    assert client.post(f"/c/{qr.token_for(connector)}/start").status_code == 303
    wait_until(lambda: booking(booking_id).status == "CHARGING", message="CHARGING")
    if stopped_by == "driver":
        wait_until(lambda: booking(booking_id).session.energy_wh > 300, message="some energy")
        assert client.post(f"/bookings/{booking_id}/stop").status_code == 303
    # Nobody touches the simulator: its driver unplugs and closes the door after the stop.
    wait_until(lambda: booking(booking_id).status == "COMPLETED", timeout=20, message="COMPLETED")
    real_seconds = time.monotonic() - began
    b = booking(booking_id)
    [stop] = demo_charger.sent_calls("StopTransaction")
    assert stop[0]["reason"] == "Remote" and b.end_reason == ("quota reached" if stopped_by == "quota"
                                                              else "stopped by driver")
    assert demo_charger.status(1) == "Available" and demo_charger.connector_state(1)["door_locked"]
    session = b.session
    span = (session.stopped_at - session.started_at).total_seconds()
    average_kw = session.energy_wh / 1000 / (span / 3600)
    # The charger's clock ran 120x during the transaction: far more than the real seconds it took...
    assert span > 20 * real_seconds / 2
    # ...and the energy it measured against that clock is at most the plug's 22 kW (today: 120 x 22 kW).
    assert 5 < average_kw <= 22.0 * 1.05, average_kw
    page = client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True)
    shown = float(re.search(r'data-average-kw="([\d.]+)"', page).group(1))
    assert 5 < shown <= 23.1 and 'id="clock-suspect"' not in page
    assert int(re.search(r'data-duration-s="(\d+)"', page).group(1)) == int(span)
