"""The driver cancels a slot from "My booking" (issue 16): the page says until when it is free and what is
kept after; the outcome (free, or the session fee kept) is said in the flash, on the booking and in its
payments; someone else's booking is a 404."""
import re
from datetime import timedelta

from tests.support.slots import paid_slot
from webapp.extensions import db
from webapp.models import Booking

from .pages import text


def _connector(factory, free_minutes=60):
    station = factory.station(timezone="Europe/Berlin", tariff=factory.tariff(slot_free_cancel_minutes=free_minutes))
    return factory.charger(station=station, connectors=1, online=False).connectors[0]


def _cancel(client, booking_id):
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return client.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": token.group(1) if token else ""},
                       follow_redirects=True)


def test_my_booking_opens_the_next_slot_and_a_free_cancel_releases_everything(client, driver, factory):
    booking = paid_slot(driver, _connector(factory), timedelta(hours=3))
    home = client.get("/").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}" class="nav-live">My booking' in home
    page = text(client.get(f"/bookings/{booking.id}").get_data(as_text=True))
    assert "Free cancellation until" in page and "(Europe/Berlin); after that ₹20.00 (the session fee) is kept" in page
    shown = text(_cancel(client, booking.id).get_data(as_text=True))
    assert "Booking cancelled. Nothing was charged." in shown
    assert "Cancelled free of charge: the whole pre-authorisation was released." in shown
    booking = db.session.get(Booking, booking.id)
    assert booking.status == "CANCELLED" and booking.amount_captured == 0
    assert "My booking" not in client.get("/").get_data(as_text=True)


def test_a_late_cancel_keeps_the_session_fee_and_says_so(client, driver, factory):
    booking = paid_slot(driver, _connector(factory), timedelta(minutes=45))
    authorised = booking.amount_authorised
    page = text(client.get(f"/bookings/{booking.id}").get_data(as_text=True))
    assert "Cancelling now keeps ₹20.00 (the session fee); the rest is released." in page
    shown = text(_cancel(client, booking.id).get_data(as_text=True))
    assert "Booking cancelled late: the session fee of ₹20.00 was kept, the rest released." in shown
    assert "Cancelled after the free cancellation time" in shown
    assert "Kept: ₹20.00 (late cancellation: session fee)." in shown
    booking = db.session.get(Booking, booking.id)
    assert booking.amount_captured == 2000 and booking.amount_refunded == authorised - 2000


def test_someone_elses_slot_is_not_found(client, driver, factory):
    booking = paid_slot(factory.user(), _connector(factory), timedelta(hours=3))
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 404
    assert db.session.get(Booking, booking.id).status == "SCHEDULED"
