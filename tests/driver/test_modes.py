"""Charging modes at checkout: Fast / Standard / Solar each with its price, power, finish and pre-authorisation;
only Fast where the charger takes no smart-charging profiles."""
import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Booking
from webapp.services.booking import modes

from .conftest import hold, pay
from .pages import text


@pytest.fixture
def priced(charger):
    """₹18/kWh Fast, ₹14 Standard (7 kW at this station), ₹10 Solar; ₹20 session fee."""
    tariff = charger.station.tariff
    tariff.price_per_kwh_standard, tariff.price_per_kwh_solar = 1400, 1000
    charger.station.standard_kw = 7.0
    db.session.commit()
    return tariff


@pytest.fixture
def held(client, driver, charger, priced):
    driver.battery_kwh = 40.0
    db.session.commit()
    return hold(client, charger.connectors[0])


def test_a_smart_charger_offers_every_mode_with_its_price_power_finish_and_pre_authorisation(client, held, smart):
    page = text(client.get(f"/bookings/{held}").get_data(as_text=True))
    # 10 kWh + 1 kWh headroom at the mode's price, + ₹20; finish: 10 kWh at the mode's power
    assert "Fast ₹18.00/kWh · about 22 kW · 10 kWh in about 28 min · pre-authorise ₹218.00" in page
    assert "Standard ₹14.00/kWh · about 7 kW · 10 kWh in about 1 h 26 min · pre-authorise ₹174.00" in page
    assert "Solar ₹10.00/kWh · about 3.7 kW" in page and "pre-authorise ₹130.00" in page
    assert "Only Fast" not in page


def test_the_finish_is_for_no_more_than_the_battery_holds(client, held, smart, driver):
    booking = db.session.get(Booking, held)
    driver.battery_kwh = 5.0
    db.session.commit()
    assert modes.offer(booking, "fast", 10).finish_minutes == 14  # 5 kWh at 22 kW, rounded up
    assert modes.offer(booking, "standard", 10).finish_minutes == 43


@pytest.mark.both_dbs
@pytest.mark.parametrize("mode, extra, authorised, floor", [
    ("fast", {}, 21800, None),
    ("standard", {}, 17400, None),
    ("solar", {"solar_floor_kw": "2"}, 13000, 2.0),
])
def test_paying_in_a_mode_authorises_its_price_and_keeps_the_mode(client, held, smart, mode, extra, authorised,
                                                                   floor):
    response = pay(client, held, quota="10", charging_mode=mode, **extra)
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    db.session.expire_all()
    booking = db.session.get(Booking, held)
    assert (booking.status, booking.charging_mode, booking.amount_authorised, booking.solar_floor_kw) == (
        "CONFIRMED", mode, authorised, floor)
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.pay")).scalar_one()
    assert entry.after["charging_mode"] == mode


@pytest.mark.parametrize("query, expected", [
    ("quota=10&charging_mode=standard", "₹174.00</strong> for 10 kWh (Standard)"),
    ("quota=10&charging_mode=solar", "₹130.00</strong> for 10 kWh (Solar)"),
    ("quota=amount&amount=300&charging_mode=solar", "₹300.00</strong> for 25.4 kWh (Solar)"),  # cheaper kWh: more for ₹300
    ("quota=10&charging_mode=solar&solar_floor_kw=0.5", "Choose a Solar floor between 1.4 and 22 kW"),
    ("quota=10&charging_mode=turbo", "Choose Fast, Standard or Solar"),
])
def test_live_quote_follows_the_mode(client, held, smart, query, expected):
    assert expected in client.get(f"/bookings/{held}/quote?{query}").get_data(as_text=True)


def test_a_charger_without_smart_charging_offers_fast_only(client, held):
    page = text(client.get(f"/bookings/{held}").get_data(as_text=True))
    assert "Only Fast charging is available at this charger." in page
    assert "Standard Not available here: This charger does not take smart-charging profiles" in page
    assert "Fast ₹18.00/kWh" in page
    response = pay(client, held, quota="10", charging_mode="solar")
    assert response.status_code == 422
    assert "only Fast is available here" in text(response.get_data(as_text=True))
    assert 'id="f-charging_mode-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    booking = db.session.get(Booking, held)
    assert (booking.status, booking.amount_authorised) == ("HELD", 0)


def test_a_solar_floor_out_of_range_is_refused_next_to_its_field(client, held, smart):
    response = pay(client, held, quota="10", charging_mode="solar", solar_floor_kw="40")
    assert response.status_code == 422
    assert 'id="f-solar_floor_kw-error"' in response.get_data(as_text=True)
    assert db.session.get(Booking, held).status == "HELD"
