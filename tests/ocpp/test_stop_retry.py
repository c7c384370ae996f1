"""The quota stop is retried until StopTransaction arrives, with real WebSocket chargers: one that rejects
the first RemoteStopTransaction, one that never answers it, one that says Accepted and keeps metering.
After QUOTA_STOP_ALERT_ATTEMPTS failures staff are alerted once, and the connector is made Inoperative
when the booking ends."""
import pytest
from sqlalchemy import select

from tests.conftest import wait_until
from tests.ocpp.booked import charge
from webapp.extensions import db
from webapp.models import Booking, ChargerEvent, ChargingSession, Notification

CP = "SIM-STOP-1"


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 1.0, "QUOTA_STOP_RETRY_SECONDS": 1,
            "QUOTA_STOP_ALERT_ATTEMPTS": 3, "SWEEP_SECONDS": 60}


@pytest.fixture
def sim_charger(live_server, make_charger, sim, scheduler):
    password = make_charger(CP, connectors=1)
    # 22 kW at 60x: about 110 Wh per 0.3 s reading, so a 1 kWh quota is used up within a few seconds.
    charger = sim.add(CP, live_server.ws_url, password=password, connectors=1, meter_interval=0.3,
                      time_scale=60, heartbeat_interval=1)
    assert charger.connect() == "Accepted"
    return charger


def charge_on_quota(sim_charger, factory) -> tuple[int, int]:
    """A driver pays for 1 kWh, swipes and charges; returns (booking id, transaction id)."""
    _, booking_id, tx = charge(sim_charger, factory, quota_kwh=1)
    return booking_id, tx


def stop_events() -> list[ChargerEvent]:
    return list(db.session.execute(select(ChargerEvent).where(ChargerEvent.kind == "remote_stop")
                                   .order_by(ChargerEvent.id)).scalars())


def alerts(kind="stop_failed") -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.kind == kind)).scalars())


def test_a_charger_that_rejects_the_first_stop_is_stopped_by_the_retry(sim_charger, factory, operator):
    sim_charger.script_answers("RemoteStopTransaction", "Rejected")
    booking_id, tx = charge_on_quota(sim_charger, factory)
    sim_charger.wait_sent("StopTransaction", timeout=8)
    assert [p["transactionId"] for p in sim_charger.received_calls("RemoteStopTransaction")] == [tx, tx]
    wait_until(lambda: db.session.get(Booking, booking_id).status == "FINISHING", timeout=5)
    # An attempt's outcome is recorded once its answer is processed, which may follow the StopTransaction.
    wait_until(lambda: len(stop_events()) == 2, timeout=5, message="two stop attempts recorded")
    details = [e.detail for e in stop_events()]
    assert len(details) == 2 and "attempt 1" in details[0] and "Rejected" in details[0]
    assert "attempt 2" in details[1] and "Accepted" in details[1]
    session = db.session.get(ChargingSession, tx)
    assert session.stop_attempts == 2 and session.stop_requested_at is not None
    assert alerts() == []  # one failure is not worth an alert


def test_a_charger_that_never_answers_the_stop_is_retried_alerted_and_made_inoperative(
        sim_charger, factory, operator):
    sim_charger.script_answers("RemoteStopTransaction", "silent", "silent", "silent")
    booking_id, tx = charge_on_quota(sim_charger, factory)
    sim_charger.wait_sent("StopTransaction", timeout=15)
    assert len(sim_charger.received_calls("RemoteStopTransaction")) == 4
    wait_until(lambda: len(stop_events()) == 4, timeout=5, message="four stop attempts recorded")
    details = [e.detail for e in stop_events()]
    assert all("did not answer" in d for d in details[:3]) and "Accepted" in details[3]
    wait_until(lambda: len(alerts()) == 1, timeout=5, message="staff alerted once")
    assert alerts()[0].user_id == operator.id and f"/admin/bookings/{booking_id}" == alerts()[0].link
    # The car leaves; the booking ends and the connector is taken out of service until staff bring it back.
    sim_charger.finish(1)
    wait_until(lambda: db.session.get(Booking, booking_id).status == "COMPLETED", timeout=5)
    sim_charger.wait_status(1, "Unavailable", timeout=5)
    assert sim_charger.received_calls("ChangeAvailability") == [{"connectorId": 1, "type": "Inoperative"}]
    # The charger reports Unavailable before its CALLRESULT is processed: wait for the recorded answer.
    wait_until(lambda: any(e.kind == "availability" and "Inoperative" in e.detail
                           for e in db.session.execute(select(ChargerEvent)).scalars()), timeout=5,
               message="ChangeAvailability recorded")
    assert len(alerts()) == 1


def test_a_charger_that_keeps_metering_past_the_quota_gets_one_stop_per_retry_period(
        sim_charger, factory, operator):
    sim_charger.script_answers("RemoteStopTransaction", "Accepted", "Accepted", "Accepted", "Accepted")
    booking_id, tx = charge_on_quota(sim_charger, factory)
    sim_charger.wait_sent("StopTransaction", timeout=12)
    assert len(sim_charger.received_calls("RemoteStopTransaction")) == 5
    # The last attempt's outcome is recorded once its answer is processed, which may follow the StopTransaction.
    wait_until(lambda: len(stop_events()) == 5, timeout=5, message="five stop attempts recorded")
    events = stop_events()
    # MeterValues arrive every 0.3 s past the quota; the stops do not follow them: one per retry period.
    meter_values_after_quota = len(sim_charger.sent_calls("MeterValues"))
    assert meter_values_after_quota > 10
    gaps = [(b.created_at - a.created_at).total_seconds() for a, b in zip(events, events[1:])]
    assert all(gap >= 0.9 for gap in gaps), gaps
    wait_until(lambda: len(alerts()) == 1, timeout=5)
    session = db.session.get(ChargingSession, tx)
    assert session.stop_attempts == 5 and session.stop_escalated_at is not None
