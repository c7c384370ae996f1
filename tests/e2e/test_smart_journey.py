"""The Solar journey on a Pixel 7, against the live app and the charger simulator (issue 15): the driver picks
Solar at checkout, watches the live power follow the station's solar surplus as a cloud passes, switches to
Fast mid-session, and finishes with a receipt that shows each mode's kWh and price."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import Charger, Tariff

from .conftest import CP_ID
from .steps import booking_row, find_and_book, pay, register, scan, start_charging

FAST_PRICE, SOLAR_PRICE, FEE = 1800, 1000, 2000
SMART = {"SMART_REPLAN_SECONDS": 1, "SMART_THRESHOLD_KW": 1.0, "SMART_DELAY_SECONDS": 0.3}


def kw(value: float):
    """The live page's power, within the tenth of a kW the charger may round down to."""
    return re.compile(rf"^({value - 0.1:.1f}|{value:.1f}) kW$")


@pytest.mark.parametrize("app_overrides", [SMART], indirect=True)
@pytest.mark.sim(time_scale=20, meter_interval=0.4, solar_kw=8.0, solar_follow_sun=False)
def test_solar_at_checkout_follows_the_sun_then_fast_and_the_receipt_shows_both(phone, shots, charger, live_server,
                                                                                 station):
    release_db()
    tariff = db.session.get(Tariff, station.tariff_id)
    tariff.price_per_kwh_solar = SOLAR_PRICE
    db.session.commit()
    wait_until(lambda: db.session.execute(db.select(Charger.smart_config).where(Charger.charge_point_id == CP_ID)
                                          ).scalar_one() is not None, message="the boot's Smart Charging keys read")
    page = phone
    register(page, shots)
    booking_id = find_and_book(page, shots)
    # the page reloads itself once the charger has the reservation: choose after that
    expect(page.get_by_text("Reserving the connector on the charger")).to_have_count(0, timeout=15000)
    page.wait_for_load_state("networkidle")
    solar = page.locator('label[data-mode="solar"]')
    expect(solar).to_contain_text("₹10.00/kWh · about 8 kW (follows the sun, at least your floor)")
    solar.get_by_role("radio").check()
    page.get_by_label("Solar floor in kW").fill("2")
    pay(page, shots, kwh=3, step="paid-solar")
    expect(page.get_by_text("Confirmed. Arrive and start charging within")).to_be_visible()
    booking = booking_row(booking_id)
    assert (booking.charging_mode, booking.solar_floor_kw) == ("solar", 2.0)
    release_db()

    scan(page, booking.connector_id, live_server.url)
    start_charging(page, shots)
    expect(page.locator("p.mode")).to_have_text(re.compile(r"^Solar charging \(at least 2 kW\)"))
    expect(page.locator("[data-power]")).to_have_text(kw(8.0), timeout=15000)  # the 8 kW the panels make
    shots(page, "solar-8kw")

    charger.solar.peak_kw = 3.0  # a cloud: the replan follows the surplus down
    expect(page.locator("[data-power]")).to_have_text(kw(3.0), timeout=15000)
    shots(page, "solar-cloud-3kw")

    page.get_by_role("link", name="Change mode or quota").click()
    expect(page.get_by_role("heading", name="Change your charging")).to_be_visible()
    page.get_by_role("radio", name="Fast").check()
    page.get_by_role("button", name="See the change").click()
    expect(page.locator("[data-price]")).to_have_attribute("data-price", str(FAST_PRICE))
    shots(page, "change-preview")
    page.get_by_role("button", name="Confirm the change").click()
    expect(page.get_by_text("Changed: your session charges with the new settings.")).to_be_visible()
    expect(page.locator("p.mode")).to_have_text(re.compile(r"^Fast charging"))
    expect(page.locator("[data-power]")).to_have_text(kw(22.0), timeout=15000)
    shots(page, "fast-22kw")

    expect(page.locator("#live-session")).to_have_attribute("data-status", "FINISHING", timeout=60000)
    charger.finish(1)
    expect(page.locator("#live-session")).to_have_attribute("data-status", "COMPLETED", timeout=15000)
    page.get_by_role("link", name="See your receipt").click()
    expect(page.get_by_role("heading", name=re.compile("Receipt"))).to_be_visible()
    expect(page.locator("[data-modes]")).to_have_attribute("data-modes", "solar,fast")
    expect(page.locator("[data-modes]")).to_contain_text("Solar → Fast")
    rows = page.locator("table.segments tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Solar")
    expect(rows.nth(0)).to_contain_text("₹10.00/kWh")
    expect(rows.nth(1)).to_contain_text("Fast")
    expect(rows.nth(1)).to_contain_text("₹18.00/kWh")
    shots(page, "receipt")

    booking = booking_row(booking_id)
    energy = int(page.locator("[data-energy-wh]").get_attribute("data-energy-wh"))
    solar_wh, fast_wh = (int(rows.nth(i).get_attribute("data-segment-wh")) for i in (0, 1))
    assert solar_wh > 0 and fast_wh > 0 and solar_wh + fast_wh == energy >= 3000
    assert booking.mode_segments == [[0, "solar"], [solar_wh, "fast"]]
    energy_cost = (solar_wh * SOLAR_PRICE + fast_wh * FAST_PRICE + 500) // 1000
    costs = [int(rows.nth(i).get_attribute("data-segment-cost")) for i in (0, 1)]
    assert sum(costs) == energy_cost == int(page.locator("[data-energy-cost]").get_attribute("data-energy-cost"))
    assert booking.amount_captured == energy_cost + FEE
    profiles = [p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
                for p in charger.received_calls("SetChargingProfile")]
    # A TxProfile that reaches the simulator before it has stored its StartTransaction answer's id is
    # rejected and sent again with the same limit: one step, told twice (seen once in CI).
    steps = [limit for n, limit in enumerate(profiles) if n == 0 or limit != profiles[n - 1]]
    assert steps[:3] == [8000.0, 3000.0, 22000.0], profiles  # what the charger was told, in order
    assert page.errors == []
