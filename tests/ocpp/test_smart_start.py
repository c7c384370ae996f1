"""The start-to-first-profile window and the driver's Solar floor, over real WebSockets: a Solar or Standard
session at a station without a limit gets its TxProfile as soon as its StartTransaction is answered (not
SMART_DELAY_SECONDS later, set to 30 s here), and the planner keeps the floor the driver chose at checkout."""
import pytest

from tests.conftest import wait_until
from tests.ocpp.booked import paid_booking
from webapp.extensions import db
from webapp.models import Booking, ChargingSession
from webapp.services.fleet import chargers


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 5.0, "SMART_DELAY_SECONDS": 30,
            "SMART_REPLAN_SECONDS": 3600, "SMART_SOLAR_FLOOR_KW": 1.4}


def limit(tx):
    db.session.rollback()
    return db.session.get(ChargingSession, tx).power_limit_kw


@pytest.mark.parametrize("mode, floor, expected", [("solar", 3.5, 3.5), ("standard", None, 7.0)])
def test_the_profile_goes_out_as_soon_as_the_start_is_answered(live_server, make_charger, sim, factory, station,
                                                               scheduler, mode, floor, expected):
    station.standard_kw = 7.0  # no power limit at this station, and no sun
    db.session.commit()
    password = make_charger("START-1", connectors=1)
    c = sim.add("START-1", live_server.ws_url, password=password, connectors=1, meter_interval=0.3,
                time_scale=60, heartbeat_interval=1, max_power_kw=22.0, solar_kw=0.0, solar_follow_sun=False)
    assert c.connect() == "Accepted"
    # SMART_DELAY_SECONDS is 30: the configuration read after the boot is not here yet; a real boot read it
    row = chargers.get_by_cp_id("START-1")
    row.smart_config = {"SupportedFeatureProfiles": "Core,Reservation,SmartCharging",
                        "ChargeProfileMaxStackLevel": "8", "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
                        "MaxChargingProfilesInstalled": "10"}
    db.session.commit()
    driver, booking_id = paid_booking(factory, "START-1", quota_kwh=20, mode=mode, floor_kw=floor)
    assert db.session.get(Booking, booking_id).solar_floor_kw == floor
    c.wait_status(1, "Reserved", timeout=5)
    assert c.swipe(driver.id_tag, 1) == "Accepted"
    tx = c.wait_for(lambda s: (c.transaction_id(1) or 0) > 0 and c.transaction_id(1), timeout=5)
    wait_until(lambda: limit(tx) == expected, timeout=10, message="the TxProfile right after the start")
    sent = c.received_calls("SetChargingProfile")[-1]["csChargingProfiles"]
    assert (sent["chargingProfilePurpose"], sent["transactionId"]) == ("TxProfile", tx)
    c.wait_for(lambda s: 0 < c.connector_state(1)["power_kw"] <= expected + 1e-6, timeout=10)
