"""A refused reservation handled on a Pixel 7 (issue 10 point 4): the charger answers ReserveNow Occupied when
the hold is placed; the driver sees why on the phone (never "reserved for you"), takes the other connector
that is offered and charges there, or cancels and pays nothing."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import Connector, Payment

from .conftest import CP_ID, CP_PASSWORD
from .steps import booking_row, pay, register, rows, scan, start_charging


@pytest.fixture
def device(factory, station, live_server, sim, scheduler):
    """The station's charger with two connectors; connector 1 answers ReserveNow Occupied."""
    row = factory.charger(station=station, cp_id=CP_ID, connectors=2, password=CP_PASSWORD, online=False,
                          status="Unavailable")
    ids = [k.id for k in row.connectors]
    release_db()
    device = sim.add(CP_ID, live_server.ws_url, password=CP_PASSWORD, connectors=2, max_power_kw=22.0,
                     heartbeat_interval=30, plug_delay=0.3, time_scale=60, meter_interval=0.5)
    sim.call(device.charger.script_reserve_now, 1, "Occupied")
    assert device.connect() == "Accepted"
    wait_until(lambda: all(db.session.get(Connector, i).status == "Available" for i in ids),
               message="both connectors Available")
    return device


def book_connector_1(page, shots) -> int:
    page.get_by_label("Or type a place").fill("MG Road")
    page.get_by_role("button", name="Search").click()
    # The search's list replaces the first one: a click before it lands can hit a link being removed.
    expect(page.get_by_text("Nearest first from MG Road.")).to_be_visible()
    page.locator("article.station").first.get_by_role("link", name="MG Road Metro Hub").click()
    expect(page.locator('[data-state="available"]')).to_have_count(2)
    page.get_by_role("button", name=f"Book {CP_ID} connector 1").click()
    return int(re.search(r"/bookings/(\d+)", page.url).group(1))


def sees_the_refusal(page, shots):
    """The watcher brings the charger's answer to the page by itself (no reload by the driver)."""
    expect(page.get_by_role("heading", name=f"The charger could not reserve {CP_ID} #1")).to_be_visible(
        timeout=15000)
    expect(page.get_by_text("It answered Occupied: someone else is using or holding this connector")).to_be_visible()
    expect(page.get_by_text("reserved for you")).to_have_count(0)
    expect(page.locator("#pay-form")).to_have_count(0)  # nothing to pay for a connector that is not held
    shots(page, "refused")


def test_refused_reservation_driver_takes_the_offered_connector(phone, shots, device, live_server):
    page = phone
    register(page, shots)
    booking_id = book_connector_1(page, shots)
    sees_the_refusal(page, shots)
    page.get_by_role("button", name=f"Take {CP_ID} #2 instead").click()
    expect(page.get_by_text(f"Your booking moved to {CP_ID} #2.")).to_be_visible()
    expect(page.get_by_text("Held for you. Pay within")).to_be_visible()
    device.wait_status(2, "Reserved", timeout=10)  # ReserveNow for connector 2 was accepted
    shots(page, "moved")
    pay(page, shots, kwh=2)
    expect(page.get_by_text("Confirmed. Arrive and start charging within")).to_be_visible()
    expect(page.get_by_text(f"connector #2: it is reserved for you")).to_be_visible()
    booking = booking_row(booking_id)
    assert booking.status == "CONFIRMED" and booking.reservation_status == "Accepted"
    assert device.status(1) == "Available" and device.connector_state(2)["reservation_id"] == booking_id

    scan(page, booking.connector_id, live_server.url)
    start_charging(page, shots)
    assert device.transaction_id(2) is not None and device.transaction_id(1) is None
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_text("Connector could not be reserved", exact=True)).to_be_visible()
    shots(page, "notifications")
    assert page.errors == []


def test_refused_reservation_driver_cancels_and_pays_nothing(phone, shots, device):
    page = phone
    register(page, shots)
    booking_id = book_connector_1(page, shots)
    sees_the_refusal(page, shots)
    page.get_by_role("button", name="Cancel this booking").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Cancel booking").click()  # static/js/confirm.js
    expect(page.get_by_text("Booking cancelled. Nothing was charged.")).to_be_visible()
    shots(page, "cancelled")
    assert booking_row(booking_id).status == "CANCELLED"
    assert rows(select(Payment.id).where(Payment.booking_id == booking_id)) == []
    assert device.received_calls("CancelReservation") == []  # the charger holds nothing to cancel
    assert page.errors == []
