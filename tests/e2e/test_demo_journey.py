"""The demo on a Pixel 7, with no help: a new driver registers, finds a station, books, pays, scans the
QR code and starts; the demo simulator (as `make run` starts it: --demo, 30x time) charges until the
quota stop, its driver unplugs and closes the door by itself, and the receipt shows duration and average
power in the charger's own time (never more than the 22 kW plug)."""
import re

import pytest
from playwright.sync_api import expect

from device.__main__ import parse_args, unplug_delay

from .steps import booking_row, find_and_book, pay, register, scan, start_charging

DEMO = parse_args(["--demo", "--time-scale", "30"])  # scripts/run-embedded's simulator settings


@pytest.mark.sim(time_scale=DEMO.time_scale, meter_interval=1.0, unplug_delay=unplug_delay(DEMO))
def test_demo_journey_from_registration_to_receipt_with_no_help(phone, shots, charger, live_server):
    page = phone
    register(page, shots)
    booking_id = find_and_book(page, shots)
    pay(page, shots, kwh=2)
    expect(page.get_by_text("Payment authorised: your booking is confirmed.")).to_be_visible()
    scan(page, booking_row(booking_id).connector_id, live_server.url)
    start_charging(page, shots)
    average = page.locator("#live-session [data-average-kw]")
    expect(average).not_to_have_attribute("data-average-kw", "")
    assert 0 < float(average.get_attribute("data-average-kw")) <= 23.1
    # The quota stops the charge; nobody touches the charger: its driver unplugs and closes the door.
    expect(page.locator("#live-session")).to_have_attribute("data-status", "FINISHING", timeout=30000)
    shots(page, "quota-reached")
    expect(page.locator("#live-session")).to_have_attribute("data-status", "COMPLETED", timeout=20000)
    shots(page, "completed-by-itself")
    assert charger.received_calls("RemoteStopTransaction") and charger.status(1) == "Available"
    assert charger.connector_state(1)["door_locked"]

    page.get_by_role("link", name="See your receipt").click()
    expect(page.get_by_role("heading", name=re.compile("Receipt"))).to_be_visible()
    booking = booking_row(booking_id)
    assert booking.status == "COMPLETED" and booking.end_reason == "quota reached" and booking.idle_fee == 0
    shown_kw = float(page.locator("[data-average-kw]").get_attribute("data-average-kw"))
    seconds = int(page.locator("[data-duration-s]").get_attribute("data-duration-s"))
    energy_wh = int(page.locator("[data-energy-wh]").get_attribute("data-energy-wh"))
    assert energy_wh >= 2000 and 5 < shown_kw <= 23.1
    assert abs(energy_wh / 1000 / (seconds / 3600) - shown_kw) < 0.5 * shown_kw
    expect(page.locator("#clock-suspect")).to_have_count(0)
    expect(page.locator("[data-captured]")).not_to_have_attribute("data-captured", "0")
    shots(page, "receipt")
    assert page.errors == []
