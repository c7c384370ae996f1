"""No session stays stuck, with real WebSocket chargers: a charger that goes silent mid-session is flagged by
the sweep and staff alerted; an operator force-finishes it from the console (reason required, audited),
the driver pays for the last stored reading and a late StopTransaction bills nothing more (the energy
reported beyond it is recorded with its price and staff are told). Retiring a
charger with live bookings ends them the same way."""
import time

import pytest
from sqlalchemy import select

from tests.admin.conftest import client_as
from tests.conftest import wait_until
from tests.driver.pages import text
from tests.ocpp.booked import charge, paid_booking
from webapp.extensions import db
from webapp.models import AuditLog, Booking, ChargerEvent, ChargingSession, Notification, Payment
from webapp.money import format_money
from webapp.services.money import pricing

CP = "SIM-STUCK-1"


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 1.0, "STUCK_SESSION_SECONDS": 3, "SWEEP_SECONDS": 1}


@pytest.fixture
def sim_charger(live_server, make_charger, sim, scheduler):
    password = make_charger(CP, connectors=2)
    charger = sim.add(CP, live_server.ws_url, password=password, connectors=2, meter_interval=0.3,
                      time_scale=60, heartbeat_interval=1)
    assert charger.connect() == "Accepted"
    return charger


def notes(kind: str) -> list[Notification]:
    return list(db.session.execute(select(Notification).where(Notification.kind == kind)).scalars())


def captures(booking_id: int) -> list[Payment]:
    return list(db.session.execute(select(Payment).where(Payment.booking_id == booking_id,
                                                         Payment.kind == "capture")).scalars())


def test_a_silent_charger_mid_session_is_flagged_alerted_and_force_finished_from_the_console(
        app, sim_charger, factory, operator, client, login):
    driver, booking_id, tx = charge(sim_charger, factory, quota_kwh=20)
    wait_until(lambda: db.session.get(ChargingSession, tx).energy_wh > 300, timeout=5)
    sim_charger.go_silent()
    wait_until(lambda: notes("session_stuck"), timeout=20, message="staff alerted about the stuck session")
    alert = notes("session_stuck")
    assert [n.user_id for n in alert] == [operator.id] and alert[0].link == f"/admin/bookings/{booking_id}"
    assert "silent" in alert[0].body
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "CHARGING" and booking.stuck_at is not None
    time.sleep(1.5)  # a sweep or two more
    db.session.commit()
    assert len(notes("session_stuck")) == 1  # flagged once, whatever the sweep does next

    login(operator)
    page = text(client.get(f"/admin/bookings/{booking_id}").get_data(as_text=True))
    assert "Stuck since" in page and "Force finish" in page
    refused = client.post(f"/admin/bookings/{booking_id}/force-finish", data={"reason": " "},
                          follow_redirects=True)
    assert "Give a reason" in refused.get_data(as_text=True)
    assert db.session.get(Booking, booking_id).status == "CHARGING"

    last = db.session.get(ChargingSession, tx, populate_existing=True).meter_last
    response = client.post(f"/admin/bookings/{booking_id}/force-finish", data={"reason": "charger silent"})
    assert response.status_code == 302
    db.session.expire_all()
    booking, session = db.session.get(Booking, booking_id), db.session.get(ChargingSession, tx)
    assert booking.status == "COMPLETED" and booking.end_reason.startswith("force-finished")
    assert session.meter_stop == last and session.energy_wh == last - session.meter_start > 300
    assert session.stop_reason == "ForceFinished" and session.stopped_at is not None
    tariff = booking.connector.charger.station.tariff
    cost = pricing.session_cost(tariff, session.energy_wh, session.started_at, session.stopped_at).total
    assert session.cost == cost and booking.amount_captured == cost
    assert booking.amount_refunded == booking.amount_authorised - cost
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.force_finish")).scalar_one()
    assert entry.user_id == operator.id and entry.after["reason"] == "charger silent"
    assert entry.after["status"] == "COMPLETED" and entry.before["status"] == "CHARGING"
    assert [n.user_id for n in notes("booking_force_finished")] == [driver.id]

    driver_client = client_as(app, driver)
    receipt = text(driver_client.get(f"/bookings/{booking_id}/receipt").get_data(as_text=True))
    assert f"Total {format_money(cost, 'INR')}" in receipt
    assert f"Energy {session.energy_wh / 1000:.3f} kWh" in receipt

    # The charger comes back and sends its StopTransaction late: acknowledged, nothing billed twice.
    sim_charger.resume()
    sim_charger.wait_online(timeout=15)
    if sim_charger.transaction_id(1) is not None:
        sim_charger.stop_local(1)
    stop = sim_charger.wait_sent("StopTransaction", lambda req, resp: resp and resp.get("idTagInfo", {}).get(
        "status") == "Accepted", timeout=15)
    db.session.expire_all()
    assert [c.amount for c in captures(booking_id)] == [cost]
    assert db.session.get(Booking, booking_id).amount_captured == cost
    assert db.session.get(ChargingSession, tx).meter_stop == last
    # What the charger delivered while silent is not dropped silently: recorded with its price, staff told once.
    unbilled = stop[0]["meterStop"] - last
    assert unbilled > 0  # the simulated car kept charging while the charger was silent
    wait_until(lambda: notes("unbilled_energy"), timeout=5, message="staff told about the unbilled energy")
    event = db.session.execute(select(ChargerEvent).where(ChargerEvent.kind == "unbilled_energy")).scalar_one()
    assert f"{unbilled / 1000:.3f} kWh" in event.detail and "not billed to the driver" in event.detail
    assert [n.user_id for n in notes("unbilled_energy")] == [operator.id]
    assert notes("unbilled_energy")[0].link == f"/admin/bookings/{booking_id}"


def test_retiring_a_charger_with_live_bookings_ends_them_the_same_way(sim_charger, factory, operator, client, login):
    driver, charging_id, tx = charge(sim_charger, factory, connector=1, quota_kwh=20)
    _, confirmed_id = paid_booking(factory, CP, connector=2, quota_kwh=5)
    wait_until(lambda: db.session.get(ChargingSession, tx).energy_wh > 300, timeout=5)
    login(operator)
    charger_id = db.session.get(Booking, charging_id).connector.charger_id
    response = client.post(f"/admin/chargers/{charger_id}/retire", follow_redirects=True)
    assert "1 session(s) force-finished" in text(response.get_data(as_text=True))
    db.session.expire_all()
    finished, released = db.session.get(Booking, charging_id), db.session.get(Booking, confirmed_id)
    session = db.session.get(ChargingSession, tx)
    assert finished.status == "COMPLETED" and session.stop_reason == "ForceFinished"
    assert finished.amount_captured == session.cost > 0
    assert released.status == "CANCELLED" and released.amount_captured == 0
    assert released.amount_refunded == released.amount_authorised > 0
    assert {p.kind for p in released.payments} == {"authorise", "void"}
    # The charger is told to stop; its StopTransaction is acknowledged and bills nothing more.
    sim_charger.wait_sent("StopTransaction", timeout=10)
    wait_until(lambda: any("after force-finish" in e.detail for e in db.session.execute(
        select(ChargerEvent)).scalars()), timeout=5)
    db.session.expire_all()
    assert [c.amount for c in captures(charging_id)] == [session.cost]
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "charger.retire")).scalar_one()
    assert audit.after["sessions_finished"] == 1 and audit.after["bookings_cancelled"] == 1
