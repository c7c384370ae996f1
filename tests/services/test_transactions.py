"""Transactions through the services, without a socket: billing, idempotency, quota, faults."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import Booking, ChargingSession
from webapp.services.booking import bookings
from webapp.services.charging import transactions
from webapp.services.fleet import chargers
from webapp.timeutil import iso, utcnow


@pytest.fixture
def setup(factory):
    charger = factory.charger(cp_id="SVC-1")
    driver = factory.user()
    return charger, driver


def confirmed_booking(driver, charger, quota=10):
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    return bookings.pay(driver, booking.id, quota, "card", "4242 4242 4242 4242", f"key-{booking.id}")


def test_start_for_a_booking_makes_it_charging_and_stop_finishing(setup, run_jobs):
    charger, driver = setup
    booking = confirmed_booking(driver, charger)
    t0 = utcnow()
    tx, status = transactions.start("SVC-1", 1, driver.id_tag, 1000, t0)
    chargers.status_notification("SVC-1", 1, "Charging", "NoError", t0)
    db.session.commit()
    assert status == "Accepted" and db.session.get(Booking, booking.id).status == "CHARGING"
    transactions.stop("SVC-1", tx, 6000, t0 + timedelta(minutes=20), "Remote")
    db.session.commit()
    session = db.session.get(ChargingSession, tx)
    # 5 kWh at 18.00/kWh + 20.00 session fee, in paise
    assert session.energy_wh == 5000 and session.cost == 5 * 1800 + 2000
    assert db.session.get(Booking, booking.id).status == "FINISHING"


def test_connector_free_completes_and_settles(setup):
    charger, driver = setup
    booking = confirmed_booking(driver, charger)
    t0 = utcnow()
    tx, _ = transactions.start("SVC-1", 1, driver.id_tag, 0, t0)
    chargers.status_notification("SVC-1", 1, "Charging", "NoError", t0)
    transactions.stop("SVC-1", tx, 2500, t0 + timedelta(minutes=5), "Local")
    chargers.status_notification("SVC-1", 1, "Finishing", "NoError", utcnow())
    assert db.session.get(Booking, booking.id).status == "FINISHING"
    chargers.status_notification("SVC-1", 1, "Available", "NoError", utcnow() + timedelta(seconds=1))
    db.session.commit()
    booking = db.session.get(Booking, booking.id)
    assert booking.status == "COMPLETED"
    cost = (2500 * 1800 + 500) // 1000 + 2000
    assert booking.amount_captured == cost
    assert booking.amount_refunded == booking.amount_authorised - cost
    assert {p.kind for p in booking.payments} == {"authorise", "capture", "refund"}


def test_quota_reached_schedules_one_remote_stop(setup, app):
    charger, driver = setup
    confirmed_booking(driver, charger, quota=2)
    t0 = utcnow()
    tx, _ = transactions.start("SVC-1", 1, driver.id_tag, 0, t0)
    for wh in (1000, 2100, 2600):
        transactions.meter_values("SVC-1", 1, tx, [{"timestamp": iso(utcnow()), "sampledValue": [
            {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}])
    db.session.commit()
    from webapp.services.platform import timers

    stops = [p for p in timers.backend().pending() if p[1] == "jobs.charging.stop_session"]
    assert len(stops) == 1 and stops[0][2] == (tx, "quota")
    assert db.session.get(ChargingSession, tx).remote_stop_sent


def test_other_drivers_tag_is_refused_on_a_booked_connector(setup, factory):
    charger, driver = setup
    confirmed_booking(driver, charger)
    stranger = factory.user()
    tx, status = transactions.start("SVC-1", 1, stranger.id_tag, 0, utcnow())
    assert status == "Invalid"
    assert db.session.get(ChargingSession, tx).stopped_at is not None


def test_suspended_driver_is_blocked(setup):
    charger, driver = setup
    driver.active = False
    db.session.commit()
    assert transactions.authorize("SVC-1", driver.id_tag) == "Blocked"


def test_fault_during_session_stops_it_and_tells_the_driver(setup):
    charger, driver = setup
    confirmed_booking(driver, charger)
    tx, _ = transactions.start("SVC-1", 1, driver.id_tag, 0, utcnow())
    chargers.status_notification("SVC-1", 1, "Faulted", "GroundFailure", utcnow() + timedelta(seconds=1))
    db.session.commit()
    assert db.session.get(ChargingSession, tx).remote_stop_sent
    from webapp.services.platform import notifications

    assert any(n.kind == "charger_fault" for n in notifications.recent(driver.id))


def test_staff_cards_work_only_where_the_operator_manages(setup, factory):
    charger, _ = setup
    elsewhere = factory.user(role="operator")
    elsewhere.stations = [factory.station()]
    here = factory.user(role="operator")
    here.stations = [charger.station]
    admin = factory.user(role="admin")
    db.session.commit()
    assert transactions.authorize("SVC-1", elsewhere.id_tag) == "Invalid"
    assert transactions.authorize("SVC-1", here.id_tag) == "Accepted"
    assert transactions.authorize("SVC-1", admin.id_tag) == "Accepted"
