"""A Solar session follows the station's solar production over real WebSockets: the simulator reports its
production (DataTransfer), the periodic replan moves the session's TxProfile with it, and a move below the
threshold sends nothing (no flapping)."""
import time

import pytest

from tests.conftest import wait_until
from tests.ocpp.booked import paid_booking
from webapp.extensions import db
from webapp.models import Booking, ChargingSession
from webapp.services.fleet import chargers


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 5.0, "SMART_DELAY_SECONDS": 0.3,
            "SMART_REPLAN_SECONDS": 1, "SMART_THRESHOLD_KW": 1.0, "SMART_SOLAR_FLOOR_KW": 1.4}


def limit(tx):
    db.session.rollback()
    return db.session.get(ChargingSession, tx).power_limit_kw


def test_solar_session_follows_a_changing_surplus_without_flapping(live_server, make_charger, sim, factory,
                                                                   scheduler):
    password = make_charger("SOLAR-1", connectors=1)
    c = sim.add("SOLAR-1", live_server.ws_url, password=password, connectors=1, meter_interval=0.3,
                time_scale=60, heartbeat_interval=1, max_power_kw=22.0, solar_kw=8.0, solar_follow_sun=False)
    assert c.connect() == "Accepted"
    wait_until(lambda: chargers.get_by_cp_id("SOLAR-1").smart_config is not None)
    driver, booking_id = paid_booking(factory, "SOLAR-1", quota_kwh=20)
    db.session.get(Booking, booking_id).charging_mode = "solar"
    db.session.commit()
    c.wait_status(1, "Reserved", timeout=5)
    assert c.swipe(driver.id_tag, 1) == "Accepted"
    c.wait_status(1, "Charging", timeout=5)
    tx = c.transaction_id(1)
    wait_until(lambda: limit(tx) == 8.0, message="the Solar session takes the 8 kW produced")
    c.wait_for(lambda s: 7.5 < c.connector_state(1)["power_kw"] <= 8.0, timeout=10)

    c.solar.peak_kw = 3.0  # a cloud
    wait_until(lambda: limit(tx) == 3.0, message="the replan follows the surplus down")
    c.wait_for(lambda s: 2.5 < c.connector_state(1)["power_kw"] <= 3.0, timeout=10)

    c.solar.peak_kw = 0.5  # below the driver's floor: the floor holds
    wait_until(lambda: limit(tx) == 1.4, message="never below the floor")

    sent = len(c.received_calls("SetChargingProfile"))
    c.solar.peak_kw = 1.9  # moves 0.5 kW over the floor: under the 1 kW threshold
    time.sleep(3)  # three replans
    assert len(c.received_calls("SetChargingProfile")) == sent and limit(tx) == 1.4
