"""The driver's journey on a Pixel 7, against the live app and the charger simulator: registration to
receipt (stopped by quota), a stop by the driver, a fault mid-session, a declined payment then a
successful retry, a forged QR code, and a refused location falling back to a typed place."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import release_db
from webapp.models import ChargingSession, Payment

from .conftest import CP_ID
from .steps import booking_row, charge_from_registration, find_and_book, pay, register, rows, scan, start_charging

PRICE, FEE = 1800, 2000


def expected_cost(energy_wh: int) -> int:
    """energy x price (rounded half up to the minor unit) + the session fee, in integer minor units."""
    return (energy_wh * PRICE + 500) // 1000 + FEE


def meter_truth(device) -> tuple[int, int, list[int]]:
    """What the simulator itself sent: meterStart, meterStop and every energy register in MeterValues."""
    start = device.sent_calls("StartTransaction")[-1][0]["meterStart"]
    stop = device.sent_calls("StopTransaction")[-1][0]["meterStop"]
    registers = [int(float(sv["value"])) for req, _ in device.sent_calls("MeterValues")
                 for mv in req["meterValue"] for sv in mv["sampledValue"]
                 if sv.get("measurand") == "Energy.Active.Import.Register"]
    return start, stop, registers


@pytest.mark.sim(time_scale=120, meter_interval=0.4)
def test_journey_from_registration_to_receipt(phone, shots, charger, live_server):
    page = phone
    register(page, shots)
    booking_id = find_and_book(page, shots)
    pay(page, shots, kwh=2)
    expect(page.get_by_text("Payment authorised: your booking is confirmed.")).to_be_visible()
    expect(page.get_by_text("Confirmed. Arrive and start charging within")).to_be_visible()
    booking = booking_row(booking_id)
    # 2 kWh bought, held with 0.8 kWh of headroom
    assert booking.status == "CONFIRMED" and booking.amount_authorised == expected_cost(2800)
    charger.wait_status(1, "Reserved", timeout=10)  # ReserveNow reached the charger
    release_db()

    scan(page, booking.connector_id, live_server.url)
    start_charging(page, shots)
    polls = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith(f"/bookings/{booking_id}/live") else None)
    expect(page.locator("[data-soc]")).to_have_text(re.compile(r"\d+ %"))
    expect(page.locator("#quota-progress")).to_be_visible()

    # The server stops the charge at the 2 kWh quota; then the driver has the exit grace to unplug.
    expect(page.locator("#live-session")).to_have_attribute("data-status", "FINISHING", timeout=30000)
    expect(page.get_by_text("Unplug and close the door within")).to_be_visible()
    shots(page, "quota-reached")
    assert charger.received_calls("RemoteStopTransaction"), "the server did not stop the charge"
    charger.finish(1)  # cable out, door closed: the connector reports Available
    expect(page.locator("#live-session")).to_have_attribute("data-status", "COMPLETED", timeout=15000)
    shots(page, "completed")
    settled = len(polls)
    page.wait_for_timeout(4000)
    assert len(polls) == settled, "the live fragment kept polling after the session ended (286 expected)"

    page.get_by_role("link", name="See your receipt").click()
    expect(page.get_by_role("heading", name=re.compile("Receipt"))).to_be_visible()
    start, stop, registers = meter_truth(charger)
    energy = stop - start
    assert registers and max(registers) <= stop and energy >= 2000
    booking = booking_row(booking_id)
    [session] = rows(select(ChargingSession.meter_start, ChargingSession.meter_stop, ChargingSession.energy_wh)
                     .where(ChargingSession.booking_id == booking_id))
    assert session == (start, stop, energy)
    assert booking.end_reason == "quota reached" and booking.status == "COMPLETED"
    # Stopped by quota: the meter runs a little past 2 kWh; the pre-authorisation's headroom covers that,
    # so what is captured is exactly energy x price + fee.
    assert booking.amount_captured == expected_cost(energy) < booking.amount_authorised
    assert booking.amount_captured + booking.amount_refunded == booking.amount_authorised
    release_db()
    expect(page.locator("[data-energy-wh]")).to_have_attribute("data-energy-wh", str(energy))
    expect(page.locator("[data-total]")).to_have_attribute("data-total", str(expected_cost(energy)))
    expect(page.locator("[data-captured]")).to_have_attribute("data-captured", str(booking.amount_captured))
    expect(page.locator("table.payments tr[data-kind=capture] code")).to_have_text(re.compile(r"^cap_"))
    shots(page, "receipt")

    page.get_by_label("4 stars").check()
    page.get_by_role("button", name="Save rating").click()
    expect(page.get_by_text("Thanks for rating this station.")).to_be_visible()
    page.get_by_role("link", name="History").click()
    expect(page.locator("[data-total-sessions]")).to_have_text("1")
    expect(page.locator("svg.chart")).to_be_visible()
    shots(page, "history")
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    for title in ("Booking confirmed", "Charging started", "Quota reached", "Charging complete", "Payment captured"):
        expect(page.get_by_text(title, exact=True).first).to_be_visible()
    shots(page, "notifications")
    assert page.errors == []


@pytest.mark.sim(time_scale=30, meter_interval=0.4)
def test_stop_by_the_driver_captures_exactly_what_was_delivered(phone, shots, charger, live_server):
    page = phone
    booking_id = charge_from_registration(page, shots, live_server.url, preset=40)
    expect(page.locator("[data-cost]")).not_to_have_attribute("data-cost", str(FEE))
    page.get_by_role("button", name=re.compile("Stop charging")).click()
    page.locator("#confirm-dialog").get_by_role("button", name="Stop charging").click()  # static/js/confirm.js
    expect(page.get_by_text("Stopping the charge.")).to_be_visible()
    expect(page.locator("#live-session")).to_have_attribute("data-status", "FINISHING")
    shots(page, "stopped")
    assert charger.sent_calls("StopTransaction")[-1][0]["reason"] == "Remote"
    charger.finish(1)
    expect(page.locator("#live-session")).to_have_attribute("data-status", "COMPLETED")
    page.get_by_role("link", name="See your receipt").click()
    start, stop, registers = meter_truth(charger)
    booking = booking_row(booking_id)
    assert booking.end_reason == "stopped by driver"
    assert 0 < stop - start < 40000 and max(registers) <= stop
    assert booking.amount_captured == expected_cost(stop - start)  # energy x price + fee, exactly
    assert booking.amount_refunded == booking.amount_authorised - booking.amount_captured
    kinds = sorted(rows(select(Payment.kind).where(Payment.booking_id == booking_id)))
    assert kinds == ["authorise", "capture", "refund"]
    release_db()
    expect(page.locator("[data-captured]")).to_have_attribute("data-captured", str(expected_cost(stop - start)))
    shots(page, "receipt")
    assert page.errors == []


@pytest.mark.sim(time_scale=30, meter_interval=0.4)
def test_fault_mid_session_ends_it_safely(phone, shots, charger, live_server):
    page = phone
    booking_id = charge_from_registration(page, shots, live_server.url, preset=20)
    charger.fault(1, "GroundFailure")
    expect(page.locator("#live-session")).to_have_attribute("data-status", "COMPLETED")
    expect(page.get_by_text("The charger reported a fault")).to_be_visible()
    shots(page, "faulted")
    start, stop, _ = meter_truth(charger)
    booking = booking_row(booking_id)
    assert booking.end_reason == "charger fault" and booking.idle_fee == 0
    assert booking.amount_captured == expected_cost(stop - start)
    release_db()
    expect(page.locator(".nav-notes .count")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_text("Charger fault", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("GroundFailure"))).to_be_visible()
    shots(page, "fault-notification")
    page.goto("/")
    expect(page.locator("article.station [data-available]")).to_have_text("0 of 1")
    shots(page, "not-bookable")


def test_declined_payment_then_successful_retry(phone, shots, charger):
    page = phone
    register(page, shots)
    booking_id = find_and_book(page, shots)
    pay(page, shots, card="4000 0000 0000 0002", preset=10, step="declined")
    expect(page.get_by_text("Your card was declined.")).to_be_visible()
    expect(page.get_by_role("button", name="Pay and confirm")).to_be_visible()
    assert booking_row(booking_id).status == "HELD"
    release_db()
    pay(page, shots, card="4242 4242 4242 4242", preset=10, step="retried")
    expect(page.get_by_text("Payment authorised: your booking is confirmed.")).to_be_visible()
    attempts = rows(select(Payment.status).where(Payment.booking_id == booking_id).order_by(Payment.id))
    assert attempts == ["declined", "succeeded"] and booking_row(booking_id).status == "CONFIRMED"
    release_db()
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_text("Payment failed", exact=True)).to_be_visible()
    expect(page.get_by_text("Booking confirmed", exact=True)).to_be_visible()
    shots(page, "notifications")


def test_forged_qr_code_is_refused(phone, shots, charger, live_server):
    page = phone
    register(page, shots)
    booking_id = find_and_book(page, shots)
    pay(page, shots, preset=10)
    url = scan(page, booking_row(booking_id).connector_id, live_server.url)
    release_db()
    expect(page.get_by_role("button", name=re.compile("Start charging"))).to_be_visible()
    payload, stamp, signature = url.rsplit("/", 1)[1].split(".")
    forged = payload[:-2] + ("x" if payload[-2] != "x" else "y") + payload[-1]
    response = page.goto(f"{live_server.url}/c/{forged}.{stamp}.{signature}")
    assert response.status == 400
    expect(page.get_by_role("heading", name="This code cannot be used")).to_be_visible()
    expect(page.get_by_text(re.compile("This code is not valid"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Start charging"))).to_have_count(0)
    shots(page, "forged")
    assert charger.received_calls("RemoteStartTransaction") == []
    page.goto("/charge")
    page.get_by_label("Charger id").fill(CP_ID.lower())
    page.get_by_role("button", name="Open charger").click()
    expect(page.get_by_role("button", name=re.compile("Start charging"))).to_be_visible()
    shots(page, "typed-id-fallback")


def test_location_refused_then_typed_place_or_show_all(phone, shots, charger, browser, live_server):
    page = phone
    register(page, shots)
    page.get_by_role("button", name=re.compile("Use my location")).click()
    expect(page.locator("#location-status")).to_contain_text("Type a place, or press Show all.")
    shots(page, "location-refused")
    page.get_by_label("Or type a place").fill("Atlantis")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_contain_text("We do not know the place")
    page.get_by_role("link", name="Show all").click()
    expect(page.get_by_text("Showing all stations by name.")).to_be_visible()
    shots(page, "show-all")
    context = browser.new_context(**browser.pixel_7, base_url=live_server.url, permissions=["geolocation"],
                                  geolocation={"latitude": 12.9719, "longitude": 77.6412})
    try:
        located = context.new_page()
        located.goto("/")
        located.get_by_role("button", name=re.compile("Use my location")).click()
        expect(located.get_by_text("Nearest first from your location.")).to_be_visible()
        expect(located.locator("article.station .distance").first).to_have_text("3.7 km")
        shots(located, "located")
    finally:
        context.close()
