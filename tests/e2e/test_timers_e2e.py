"""Timers on the phone with the embedded scheduler: a hold that expires, a no-show, an overstay."""
import re

import pytest
from playwright.sync_api import expect


from .steps import booking_row, charge_from_registration, find_and_book, pay, register, scan


@pytest.mark.parametrize("app_overrides", [{"HOLD_SECONDS": 4}], indirect=True)
def test_hold_that_expires(phone, shots, charger):
    page = phone
    register(page, shots)
    booking_id = find_and_book(page, shots)
    expect(page.get_by_text("Your hold expired")).to_be_visible(timeout=15000)  # the watcher moved the page on
    expect(page.get_by_text("The hold ended before payment. Nothing was charged.")).to_be_visible()
    shots(page, "expired")
    booking = booking_row(booking_id)
    assert booking.status == "EXPIRED" and booking.amount_authorised == 0
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_text("Hold expired", exact=True)).to_be_visible()
    expect(page.get_by_text("Hold about to expire", exact=True)).to_be_visible()
    shots(page, "notifications")
    page.goto("/")
    expect(page.locator("article.station [data-available]")).to_have_text("1 of 1")


@pytest.mark.parametrize("app_overrides", [{"ARRIVAL_GRACE_SECONDS": 5}], indirect=True)
def test_no_show(phone, shots, charger, live_server):
    page = phone
    register(page, shots)
    booking_id = find_and_book(page, shots)
    pay(page, shots, preset=10)
    expect(page.get_by_text("Confirmed. Arrive and start charging within")).to_be_visible()
    charger.wait_status(1, "Reserved", timeout=10)
    expect(page.get_by_text("Booking released: you did not arrive in time")).to_be_visible(timeout=15000)
    expect(page.get_by_text(re.compile(r"Kept: ₹20\.00 \(no-show fee\)"))).to_be_visible()
    shots(page, "no-show")
    booking = booking_row(booking_id)
    assert booking.status == "NO_SHOW" and booking.amount_captured == 2000
    assert booking.amount_refunded == booking.amount_authorised - 2000
    charger.wait_status(1, "Available", timeout=10)  # CancelReservation released the charger
    assert charger.received_calls("CancelReservation")
    scan(page, booking.connector_id, live_server.url)
    expect(page.get_by_text("You have no confirmed booking")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Start charging"))).to_have_count(0)
    shots(page, "scan-after-no-show")


@pytest.mark.sim(time_scale=30, meter_interval=0.4)
@pytest.mark.parametrize("app_overrides", [{"EXIT_GRACE_SECONDS": 6}], indirect=True)
def test_overstay_shows_the_idle_fee(phone, shots, charger, live_server):
    page = phone
    booking_id = charge_from_registration(page, shots, live_server.url, preset=40)
    page.get_by_role("button", name=re.compile("Stop charging")).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Stop charging").click()  # static/js/confirm.js
    # FINISHING lasts the exit grace (6 s): long enough for the 2 s poll to show it on a loaded machine
    expect(page.locator("#live-session")).to_have_attribute("data-status", "FINISHING")
    expect(page.locator("#live-session")).to_have_attribute("data-status", "OVERSTAY", timeout=15000)
    expect(page.get_by_text("Please move your car")).to_be_visible()
    expect(page.locator("[data-idle-fee]")).to_have_attribute("data-idle-fee", "500")
    shots(page, "overstay")
    charger.finish(1)
    expect(page.locator("#live-session")).to_have_attribute("data-status", "COMPLETED")
    page.get_by_role("link", name="See your receipt").click()
    expect(page.get_by_text("Idle fee (past the exit grace)")).to_be_visible()
    start = charger.sent_calls("StartTransaction")[-1][0]["meterStart"]
    stop = charger.sent_calls("StopTransaction")[-1][0]["meterStop"]
    booking = booking_row(booking_id)
    idle = booking.idle_fee
    assert booking.status == "COMPLETED" and idle >= 500 and idle % 500 == 0
    assert booking.amount_captured == (stop - start) * 1800 // 1000 + ((stop - start) * 1800 % 1000 >= 500) + 2000 + idle
    shots(page, "receipt")
