"""Hold: Book creates a HELD booking with a countdown; one live booking per connector and per driver;
clear refusals when closed (403), offline, faulted or in maintenance; "just taken" (409 for JSON)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Booking

from .conftest import hold
from .pages import fragment_headers, text

JSON = {"Accept": "application/json"}


def test_book_creates_a_held_booking_with_a_countdown(client, driver, charger, clock):
    booking_id = hold(client, charger.connectors[0])
    booking = db.session.get(Booking, booking_id)
    assert booking.status == "HELD" and booking.user_id == driver.id
    assert booking.hold_expires_at == clock.now + timedelta(minutes=10)
    html = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert f'data-countdown="{booking.hold_expires_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")}"' in html
    assert ">10:00</time>" in html and "Pay and confirm" in html
    assert 'hx-trigger="every 3s' in html  # the watcher follows the hold


def test_second_driver_gets_just_taken(client, factory, login, charger):
    first, second = factory.user(email="a@example.com"), factory.user(email="b@example.com")
    login(first)
    hold(client, charger.connectors[0])
    client.post("/logout")
    login(second)
    response = client.post("/bookings", data={"connector_id": charger.connectors[0].id}, follow_redirects=True)
    assert "just taken" in text(response.get_data(as_text=True))
    response = client.post("/bookings", data={"connector_id": charger.connectors[0].id}, headers=JSON)
    assert response.status_code == 409 and response.json["error"]["code"] == "conflict"
    assert "just taken" in response.json["error"]["message"]
    live = db.session.execute(select(func.count(Booking.id)).where(Booking.status == "HELD")).scalar_one()
    assert live == 1


def test_one_live_booking_per_driver(client, driver, charger):
    hold(client, charger.connectors[0])
    response = client.post("/bookings", data={"connector_id": charger.connectors[1].id}, headers=JSON)
    assert response.status_code == 409 and "already have a live booking" in response.json["error"]["message"]
    page = client.post("/bookings", data={"connector_id": charger.connectors[1].id}, follow_redirects=True)
    assert "already have a live booking" in text(page.get_data(as_text=True))


def test_closed_station_refuses_with_403(client, driver, factory, clock):
    station = factory.station(always_open=False, opening_hours={})  # never open
    charger = factory.charger(station=station)
    response = client.post("/bookings", data={"connector_id": charger.connectors[0].id}, headers=JSON)
    assert response.status_code == 403 and response.json["error"]["message"].startswith("Station is closed")
    page = client.post("/bookings", data={"connector_id": charger.connectors[0].id}, follow_redirects=True)
    assert "Station is closed. Bookings are not allowed." in text(page.get_data(as_text=True))
    assert db.session.execute(select(Booking)).first() is None


@pytest.mark.parametrize("breakage, message", [
    (lambda c: setattr(c, "online", False), "offline"),
    (lambda c: setattr(c.connectors[0], "status", "Faulted"), "reported a fault"),
    (lambda c: setattr(c, "in_maintenance", True), "in maintenance"),
    (lambda c: setattr(c.connectors[0], "status", "Charging"), "just taken"),
])
def test_unbookable_connector_is_refused_clearly(client, driver, charger, breakage, message):
    breakage(charger)
    db.session.commit()
    response = client.post("/bookings", data={"connector_id": charger.connectors[0].id}, headers=JSON)
    assert response.status_code == 409 and message in response.json["error"]["message"]
    page = client.post("/bookings", data={"connector_id": charger.connectors[0].id}, follow_redirects=True)
    assert message in text(page.get_data(as_text=True))
    assert db.session.execute(select(Booking)).first() is None


def test_missing_or_unknown_connector(client, driver):
    response = client.post("/bookings", data={}, headers=JSON)
    assert response.status_code == 422 and "Choose a connector" in response.json["error"]["message"]
    response = client.post("/bookings", data={"connector_id": 999}, headers=JSON)
    assert response.status_code == 404


def test_held_connector_shows_booked_to_others(client, factory, login, charger):
    login(factory.user(email="a@example.com"))
    hold(client, charger.connectors[0])
    client.post("/logout")
    html = client.get(f"/stations/{charger.station_id}").get_data(as_text=True)
    assert 'data-state="booked"' in html and html.count('data-state="available"') == 1


def test_watcher_sends_the_page_on_when_the_hold_expires(client, driver, charger, clock):
    booking_id = hold(client, charger.connectors[0])
    quiet = client.get(f"/bookings/{booking_id}?seen=HELD:", headers=fragment_headers("booking-watch"))
    assert quiet.status_code == 200 and "HX-Redirect" not in quiet.headers
    assert quiet.get_data(as_text=True).lstrip().startswith('<div id="booking-watch"')
    clock.advance(minutes=10, seconds=1)
    moved = client.get(f"/bookings/{booking_id}?seen=HELD:", headers=fragment_headers("booking-watch"))
    assert moved.headers["HX-Redirect"] == f"/bookings/{booking_id}"
    page = text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    assert "Your hold expired" in page and "Nothing was charged" in page


def _watcher_url(html: str) -> str:
    import html as markup
    import re

    return markup.unescape(re.search(r'<div id="booking-watch"[^>]*hx-get="([^"]+)"', html).group(1))


def test_the_chargers_reservation_answer_does_not_reload_the_pay_form(client, driver, charger):
    """ReserveNow is answered while the driver fills the pay form: an Accepted or a silent charger updates the
    watcher in place (a reload would wipe what the driver typed); a refusal sends the page on."""
    from webapp.services.booking import reservations

    booking_id = hold(client, charger.connectors[0])
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert "Reserving the connector on the charger" in page
    watcher = _watcher_url(page)
    for answer, says in (("Accepted", None), ("failed", "The charger did not answer the reservation")):
        booking = db.session.get(Booking, booking_id)
        if answer == "failed":
            booking.reservation_status = "failed"
            db.session.commit()
        else:
            reservations.record_answer(booking_id, booking.connector_id, answer)
            db.session.commit()
        quiet = client.get(watcher, headers=fragment_headers("booking-watch"))
        assert quiet.status_code == 200 and "HX-Redirect" not in quiet.headers, answer
        fragment = quiet.get_data(as_text=True)
        assert "Reserving the connector" not in fragment and (says is None or says in fragment), fragment
    reservations.record_answer(booking_id, db.session.get(Booking, booking_id).connector_id, "Occupied")
    db.session.commit()
    moved = client.get(watcher, headers=fragment_headers("booking-watch"))
    assert moved.headers["HX-Redirect"] == f"/bookings/{booking_id}"
    assert "The charger could not reserve" in client.get(f"/bookings/{booking_id}").get_data(as_text=True)


def test_someone_elses_booking_is_404(client, factory, login, charger):
    login(factory.user(email="a@example.com"))
    booking_id = hold(client, charger.connectors[0])
    client.post("/logout")
    login(factory.user(email="b@example.com"))
    for url in (f"/bookings/{booking_id}", f"/bookings/{booking_id}/live", f"/bookings/{booking_id}/receipt"):
        assert client.get(url).status_code == 404
    assert client.post(f"/bookings/{booking_id}/cancel").status_code == 404


def test_cancel_a_hold(client, driver, charger):
    booking_id = hold(client, charger.connectors[0])
    response = client.post(f"/bookings/{booking_id}/cancel", follow_redirects=True)
    assert "Booking cancelled" in text(response.get_data(as_text=True))
    assert db.session.get(Booking, booking_id).status == "CANCELLED"
    again = client.post(f"/bookings/{booking_id}/cancel", follow_redirects=True)
    assert "cannot be cancelled" in text(again.get_data(as_text=True))


def test_a_confirmed_booking_shows_the_chargers_answer_in_place(client, driver, charger):
    """Paid, the driver heads for the charger while ReserveNow is answered: the watcher says so in place. A reload
    would eat the "Payment authorised" message and cut short the driver's tap on Scan QR; a refusal still reloads."""
    from webapp.services.booking import reservations

    from .conftest import pay

    booking_id = hold(client, charger.connectors[0])
    confirmed = pay(client, booking_id)
    assert confirmed.status_code in (302, 303)
    assert db.session.get(Booking, booking_id).status == "CONFIRMED"
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    watcher = _watcher_url(page)
    booking = db.session.get(Booking, booking_id)
    reservations.record_answer(booking_id, booking.connector_id, "Accepted")
    db.session.commit()
    quiet = client.get(watcher, headers=fragment_headers("booking-watch"))
    assert quiet.status_code == 200 and "HX-Redirect" not in quiet.headers
    assert f"connector #{booking.connector.connector_id}: it is reserved for you" in text(quiet.get_data(as_text=True))
    reservations.record_answer(booking_id, booking.connector_id, "Occupied")
    db.session.commit()
    assert client.get(watcher, headers=fragment_headers("booking-watch")).headers["HX-Redirect"] == f"/bookings/{booking_id}"
