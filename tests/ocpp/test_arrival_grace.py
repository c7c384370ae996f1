"""Arrival grace measured at the press of Start, with a real WebSocket charger (issue 10 point 5): a driver who
presses Start inside the grace and plugs in after it is charging; the no-show timer and a StartTransaction
in the same instant give one outcome (the booking row is locked in both)."""
import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import Booking, ChargingSession, Payment
from webapp.services.booking import bookings
from webapp.services.charging import transactions
from webapp.services.fleet import chargers, qr
from webapp.timeutil import utcnow

CP = "SIM-GRACE-1"
GRACE = 5


@pytest.fixture
def app_overrides(app_overrides):
    return {**app_overrides, "ARRIVAL_GRACE_SECONDS": GRACE, "START_CONNECT_SECONDS": 30}


@pytest.fixture
def device(live_server, make_charger, sim):
    password = make_charger(CP, connectors=1)
    c = sim.add(CP, live_server.ws_url, password=password, connectors=1, meter_interval=0.3, time_scale=600,
                heartbeat_interval=1, auto_plug=False)
    assert c.connect() == "Accepted"
    wait_until(lambda: chargers.get_by_cp_id(CP).connector(1).status == "Available")
    return c


@pytest.fixture
def booked(client, factory, login, device, run_jobs):
    """A CONFIRMED booking on the charger's connector (paid through the pages); returns its id."""
    login(factory.user(email="grace@example.com"))
    release_db()
    connector = chargers.get_by_cp_id(CP).connector(1)
    response = client.post("/bookings", data={"connector_id": connector.id})
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/bookings/{booking_id}/pay", data={"quota": "10", "method": "card", "details": "4242 4242 4242 4242",
                                                     "idempotency_key": uuid.uuid4().hex})
    run_jobs()
    device.wait_status(1, "Reserved", timeout=5)
    return booking_id


def row(booking_id) -> Booking:
    db.session.rollback()
    return db.session.get(Booking, booking_id)


def sleep_until(moment):
    time.sleep(max(0.0, (moment - utcnow()).total_seconds()))


def test_start_pressed_inside_the_grace_and_plugged_in_after_it_is_charging(client, device, booked, run_jobs):
    release_db()
    token = qr.token_for(chargers.get_by_cp_id(CP).connector(1))
    response = client.post(f"/c/{token}/start")
    assert response.status_code == 303 and response.headers["Location"].endswith("/live")
    device.wait_status(1, "Preparing", timeout=5)  # the door is open; the driver is still parking
    arrive_by = row(booked).arrive_by
    assert row(booked).start_requested_at <= arrive_by
    sleep_until(arrive_by)
    time.sleep(0.5)
    run_jobs()  # the no-show timer is due: it must wait for the connection window instead
    client.get(f"/bookings/{booked}")  # and a read must not expire it either
    assert row(booked).status == "CONFIRMED"
    assert device.plug_in(1)
    _, answer = device.wait_sent("StartTransaction")
    assert answer["idTagInfo"]["status"] == "Accepted"
    wait_until(lambda: row(booked).status == "CHARGING", timeout=5)
    run_jobs()
    assert row(booked).status == "CHARGING"


@pytest.mark.both_dbs
def test_no_show_timer_and_start_transaction_in_the_same_instant_give_one_outcome(
        app, device, booked, monkeypatch, factory):
    booking = row(booked)
    arrive_by, user_tag = booking.arrive_by, booking.user.id_tag
    release_db()
    decided, timer_done = threading.Event(), threading.Event()
    original = transactions.id_tag_status

    def paused(charger, id_tag, connector_number=None):
        """StartTransaction has decided (Authorize names no connector); let the timer try to slip in now."""
        answer = original(charger, id_tag, connector_number)
        if connector_number is not None:
            decided.set()
            timer_done.wait(timeout=2)
        return answer

    monkeypatch.setattr(transactions, "id_tag_status", paused)

    def timer():
        decided.wait(timeout=10)
        sleep_until(arrive_by)
        time.sleep(0.05)
        with app.app_context():
            bookings.arrival_grace(booked)
            db.session.remove()
        timer_done.set()

    thread = threading.Thread(target=timer)
    sleep_until(arrive_by - timedelta(seconds=1.0))
    assert device.swipe(user_tag, 1) == "Accepted"  # the driver's own card, just before the grace ends
    thread.start()
    sleep_until(arrive_by - timedelta(seconds=0.4))
    assert device.plug_in(1)  # StartTransaction is decided inside the grace; the timer fires as it is answered
    thread.join(timeout=15)
    _, answer = device.wait_sent("StartTransaction")
    booking = row(booked)
    session = db.session.execute(select(ChargingSession)).scalar_one()
    settled = db.session.execute(select(Payment.kind).where(Payment.booking_id == booked,
                                                            Payment.kind != "authorise")).scalars().all()
    # One outcome, whichever wins: charging (accepted, nothing settled) or a no-show (refused, fee kept).
    if answer["idTagInfo"]["status"] == "Accepted":
        assert (booking.status, session.booking_id, settled) == ("CHARGING", booked, [])
    else:
        assert booking.status == "NO_SHOW" and session.booking_id is None and session.auth_status != "Accepted"
    assert decided.is_set()
