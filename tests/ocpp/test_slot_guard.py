"""A session that would run into the next slot on its connector (issue 16 point 3), with a real WebSocket
charger: its driver is warned SLOT_WARN before it must end, it is stopped at the slot start less the
changeover through the server-stop path (a charger that rejects the first RemoteStop gets a second), and the
driver is told why; the slot itself stays booked."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import wait_until
from tests.ocpp.booked import charge
from tests.support.slots import paid_slot
from webapp.extensions import db
from webapp.models import Booking, ChargingSession, Notification
from webapp.services.fleet import chargers

CP = "SIM-SLOT-1"


@pytest.fixture
def app_overrides():
    # The next slot starts 1 min + a few seconds from now: its changeover (1 min) begins in a few seconds.
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 2.0, "QUOTA_STOP_RETRY_SECONDS": 1,
            "SLOT_CHANGEOVER_MINUTES": 1, "SLOT_WARN_SECONDS": 2, "SWEEP_SECONDS": 60}


@pytest.fixture
def sim_charger(live_server, make_charger, sim, scheduler):
    password = make_charger(CP, connectors=1)
    # Real time (no time scale): a 40 kWh quota is far from used up while the test runs.
    charger = sim.add(CP, live_server.ws_url, password=password, connectors=1, meter_interval=0.5,
                      heartbeat_interval=1)
    assert charger.connect() == "Accepted"
    return charger


def notes(user_id, kind):
    return list(db.session.execute(select(Notification).where(Notification.user_id == user_id,
                                                              Notification.kind == kind)).scalars())


def test_a_session_running_into_the_next_slot_is_warned_then_stopped_in_time(sim_charger, factory):
    driver, booking_id, tx = charge(sim_charger, factory, quota_kwh=40)
    sim_charger.script_answers("RemoteStopTransaction", "Rejected")
    connector = chargers.get_by_cp_id(CP).connector(1)
    next_driver = factory.user(email="next@example.com")
    slot = paid_slot(next_driver, connector, timedelta(minutes=1, seconds=5), changeover=timedelta(minutes=1))
    slot_id, clear_by = slot.id, slot.slot_start - timedelta(minutes=1)
    db.session.commit()

    warning = wait_until(lambda: notes(driver.id, "slot_next_warning"), timeout=10, message="the warning")[0]
    assert warning.link == f"/bookings/{booking_id}/live" and "will be stopped at" in warning.body

    sim_charger.wait_sent("StopTransaction", timeout=15)
    assert [p["transactionId"] for p in sim_charger.received_calls("RemoteStopTransaction")] == [tx, tx]
    wait_until(lambda: db.session.get(Booking, booking_id).status == "FINISHING", timeout=5)
    booking, session = db.session.get(Booking, booking_id), db.session.get(ChargingSession, tx)
    assert booking.end_reason == "stopped for the next slot"
    assert session.stop_requested_at >= clear_by - timedelta(seconds=1)  # not before it had to (RQ: whole s)
    assert warning.created_at < session.stop_requested_at  # warned first
    assert session.stopped_at < slot.slot_start
    told = wait_until(lambda: notes(driver.id, "slot_next_stop"), timeout=5, message="the driver told")[0]
    assert "booked from" in told.body and "stopped so that the next driver can charge" in told.body
    assert db.session.get(Booking, slot_id).status == "SCHEDULED"
    assert notes(next_driver.id, "slot_next_warning") == [] and notes(next_driver.id, "slot_next_stop") == []
    db.session.commit()
