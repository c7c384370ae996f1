"""A hold now on a connector with a slot booked later (issue 16 point 3): the page says until when, the pay
form refuses a quota that would run into the slot, and a connector whose slot is too close cannot be held."""
from datetime import timedelta

from webapp.services.booking import slots

from .conftest import hold, pay
from .pages import text

JSON = {"Accept": "application/json"}


def _slot_after(factory, station, clock, minutes):
    """A slot starting on the first 15-minute step at least `minutes` from now."""
    start = clock.now + timedelta(minutes=minutes)
    start = start.replace(second=0, microsecond=0) + timedelta(minutes=-start.minute % 15)
    if start < clock.now + timedelta(minutes=minutes):
        start += timedelta(minutes=15)
    return slots.book_slot(factory.user(), station.id, start, minutes=60)


def test_hold_before_a_slot_is_limited_to_the_gap(client, driver, factory, charger, clock):
    slot = _slot_after(factory, charger.station, clock, 75)
    booking_id = hold(client, next(c for c in charger.connectors if c.id == slot.connector_id))
    html = text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    until = slot.slot_start - timedelta(minutes=10)
    local = until.astimezone(__import__("zoneinfo").ZoneInfo(charger.station.timezone))
    assert f"A slot is booked on this connector from {local:%H:%M} : charge until then, at most" in html
    response = pay(client, booking_id, quota="40")  # 22 kW for 50 to 65 minutes is 18.3 to 23.8 kWh
    assert response.status_code == 422
    assert f"is booked from {local:%H:%M}: choose at most" in text(response.get_data(as_text=True))
    assert pay(client, booking_id, quota="5").status_code in (200, 303)


def test_a_slot_too_close_refuses_the_hold(client, driver, factory, charger, clock):
    first = _slot_after(factory, charger.station, clock, 30)
    second = _slot_after(factory, charger.station, clock, 30)  # the station's other connector
    for slot in (first, second):
        response = client.post("/bookings", data={"connector_id": slot.connector_id}, headers=JSON)
        assert response.status_code == 409, response.get_data(as_text=True)
        assert "too soon to charge before then" in response.json["error"]["message"]
