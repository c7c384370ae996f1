"""A hold protects its connector, with real WebSocket chargers (issue 10 point 4): ReserveNow when the hold
is placed, its refusal told to the driver with another connector offered, other idTags refused on a held
connector (staff cards included), and the console's explicit take-over."""
import uuid

import pytest
from sqlalchemy import select

from tests.conftest import release_db, wait_until
from tests.driver.pages import text
from webapp.extensions import db
from webapp.models import AuditLog, Booking, ChargerEvent, ChargingSession, Notification, Payment
from webapp.services.fleet import chargers

CP = "SIM-RES-1"


def fresh_booking(booking_id) -> Booking:
    db.session.rollback()
    return db.session.get(Booking, booking_id)


def connector_pk(number: int, cp: str = CP) -> int:
    release_db()
    return chargers.get_by_cp_id(cp).connector(number).id


def kinds(user_id):
    release_db()
    return [n.kind for n in db.session.execute(select(Notification).where(Notification.user_id == user_id)).scalars()]


def hold(client, number: int, cp: str = CP) -> int:
    response = client.post("/bookings", data={"connector_id": connector_pk(number, cp)})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def pay(client, booking_id):
    response = client.post(f"/bookings/{booking_id}/pay", data={
        "quota": "10", "method": "card", "details": "4242 4242 4242 4242", "idempotency_key": uuid.uuid4().hex})
    assert response.status_code == 303
    return response


def page(client, booking_id) -> str:
    return text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))


@pytest.fixture
def device(live_server, make_charger, sim, request):
    """A two-connector simulated charger (Reservation profile unless the test says no), Available."""
    reservation = getattr(request, "param", True)
    password = make_charger(CP, supports_reservation=reservation)
    c = sim.add(CP, live_server.ws_url, password=password, connectors=2, meter_interval=0.3, time_scale=600,
                heartbeat_interval=1, auto_plug=False, supports_reservation=reservation)
    assert c.connect() == "Accepted"
    wait_until(lambda: all(k.status == "Available" for k in chargers.get_by_cp_id(CP).connectors))
    return c


@pytest.fixture
def driver(factory, login):
    user = factory.user(email="res-driver@example.com")
    login(user)
    return user


def test_reserve_now_goes_out_when_the_hold_is_placed(client, driver, device, run_jobs):
    booking_id = hold(client, 1)
    run_jobs()
    [request] = device.received_calls("ReserveNow")
    assert request["connectorId"] == 1 and request["reservationId"] == booking_id
    assert request["idTag"] == driver.id_tag
    device.wait_status(1, "Reserved", timeout=5)
    assert fresh_booking(booking_id).reservation_status == "Accepted"
    pay(client, booking_id)
    run_jobs()
    again = device.received_calls("ReserveNow")
    assert len(again) == 2 and again[1]["reservationId"] == booking_id  # same id: the new expiry replaces it
    assert device.connector_state(1)["reservation_id"] == booking_id
    assert "reserved for you" in page(client, booking_id)
    client.post(f"/bookings/{booking_id}/cancel")
    run_jobs()
    assert device.received_calls("CancelReservation") == [{"reservationId": booking_id}]
    device.wait_status(1, "Available", timeout=5)


def test_occupied_answer_is_told_and_another_connector_taken(client, driver, device, run_jobs, sim):
    sim.call(device.charger.script_reserve_now, 1, "Occupied")
    booking_id = hold(client, 1)
    run_jobs()
    booking = fresh_booking(booking_id)
    assert booking.reservation_status == "Occupied" and booking.status == "HELD"
    assert "reservation_refused" in kinds(driver.id)
    shown = page(client, booking_id)
    assert "reserved for you" not in shown
    assert "could not reserve" in shown and "Occupied" in shown and f"Take {CP} #2 instead" in shown
    refused = pay(client, booking_id)  # paying for a connector the charger refused is not offered
    assert fresh_booking(booking_id).status == "HELD" and not db.session.query(Payment).count()
    assert refused.headers["Location"].endswith(f"/bookings/{booking_id}")
    response = client.post(f"/bookings/{booking_id}/move", data={"connector_id": connector_pk(2)})
    assert response.status_code == 303
    booking = fresh_booking(booking_id)
    assert booking.connector_id == connector_pk(2) and booking.reservation_status == "pending"
    run_jobs()
    device.wait_status(2, "Reserved", timeout=5)
    assert fresh_booking(booking_id).reservation_status == "Accepted"
    pay(client, booking_id)
    assert fresh_booking(booking_id).status == "CONFIRMED"
    assert "reserved for you" in page(client, booking_id)


def test_refusal_after_payment_ends_with_nothing_charged(client, driver, device, run_jobs, sim, app):
    booking_id = hold(client, 1)
    run_jobs()
    sim.call(device.charger.script_reserve_now, 1, "Faulted")  # the re-sent reservation is refused
    pay(client, booking_id)
    run_jobs()
    booking = fresh_booking(booking_id)
    assert booking.status == "CONFIRMED" and booking.reservation_status == "Faulted"
    assert "could not reserve" in page(client, booking_id)
    # The driver does nothing: the arrival grace ends the booking with nothing charged (no no-show fee).
    booking.arrive_by = booking.arrive_by.replace(year=booking.arrive_by.year - 1)
    db.session.commit()
    from webapp.services.booking import bookings

    bookings.arrival_grace(booking_id)
    booking = fresh_booking(booking_id)
    assert booking.status == "CANCELLED" and booking.amount_captured == 0
    assert booking.amount_authorised > 0 and booking.end_reason == "reservation refused"


@pytest.mark.parametrize("device", [False], indirect=True)
def test_staff_card_cannot_take_a_held_connector(client, driver, operator, device, factory, login, run_jobs):
    booking_id = hold(client, 1)
    run_jobs()
    assert fresh_booking(booking_id).reservation_status == "none"  # no Reservation profile: idTag rule only
    # Connector 2 is free, so the staff card is authorised; on the held connector its transaction is refused.
    assert device.swipe(operator.id_tag, 1) == "Accepted"
    assert device.plug_in(1)
    _, answer = device.wait_sent("StartTransaction")
    assert answer["idTagInfo"]["status"] == "Invalid"
    wait_until(lambda: device.sent_calls("StopTransaction"), timeout=5)
    assert device.sent_calls("StopTransaction")[0][0]["reason"] == "DeAuthorized"
    release_db()
    session = db.session.execute(select(ChargingSession)).scalar_one()
    assert session.auth_status == "Invalid" and session.booking_id is None
    assert db.session.execute(select(ChargerEvent).where(ChargerEvent.kind == "connector_held")).first()
    assert fresh_booking(booking_id).status == "HELD"
    device.unplug(1)
    device.close_door(1)
    # Connector 2 is held too: no connector is free for the staff card, so Authorize itself is refused.
    client.post("/logout")
    login(factory.user(email="second@example.com"))
    hold(client, 2)
    assert device.swipe(operator.id_tag, 1) == "Invalid"
    assert device.swipe(operator.id_tag, 2) == "Invalid"

    # Staff take the connector over explicitly from the console: the booking ends, nothing charged.
    client.post("/logout")
    login(operator)
    response = client.post(f"/admin/bookings/{booking_id}/take-over", data={"reason": ""})
    assert fresh_booking(booking_id).status == "HELD"  # a reason is required
    response = client.post(f"/admin/bookings/{booking_id}/take-over", data={"reason": "cable check"})
    assert response.status_code == 302
    booking = fresh_booking(booking_id)
    assert booking.status == "CANCELLED" and booking.end_reason == "taken over by staff"
    assert booking.amount_captured == 0 and "booking_taken_over" in kinds(driver.id)
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "booking.take_over")).scalar_one()
    assert device.swipe(operator.id_tag, 1) == "Accepted"
    assert device.plug_in(1)
    device.wait_status(1, "Charging", timeout=5)
