"""Slots over the API (issue 16): POST /api/bookings with slot_time, GET /api/stations/<id>/slots."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.services.booking import slots
from webapp.timeutil import UTC

from .conftest import assert_error

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 09:30 in Kolkata
TOMORROW_8 = datetime(2026, 12, 2, 8, 0, tzinfo=ZoneInfo("Asia/Kolkata"))


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    for module in ("slots", "slot_gaps", "slot_pay", "bookings"):
        monkeypatch.setattr(f"webapp.services.booking.{module}.utcnow", lambda: NOW)
    monkeypatch.setattr("webapp.api.bookings.utcnow", lambda: NOW)  # hold_seconds_left


@pytest.fixture
def station(factory):
    station = factory.station(always_open=False, opening_hours={d: [["06:00", "22:00"]] for d in
                                                                ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    factory.charger(station=station, connectors=1, online=False)  # a future slot needs no charger online now
    return station


def _book(client, headers, **body):
    return client.post("/api/bookings", headers=headers, json=body)


def test_seed_body_books_tomorrow_eight_with_the_default_duration(client, driver, station, bearer):
    response = _book(client, bearer(driver), station_id=station.id, slot_time=TOMORROW_8.isoformat())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "SLOT_HELD" and body["connector_id"] == 1
    assert body["slot_start"] == "2026-12-02T02:30:00.000Z" and body["slot_end"] == "2026-12-02T03:30:00.000Z"
    assert 0 < body["hold_seconds_left"] <= 600


def test_nothing_free_is_409_and_closed_is_403(client, driver, factory, station, bearer):
    assert _book(client, bearer(driver), station_id=station.id, slot_time=TOMORROW_8.isoformat(),
                 duration_minutes=120).status_code == 201
    error = assert_error(_book(client, bearer(factory.user()), station_id=station.id,
                               slot_time=(TOMORROW_8 + timedelta(hours=1)).isoformat()), 409, "conflict")
    assert "No connector is free" in error["message"]
    late = datetime(2026, 12, 2, 21, 30, tzinfo=ZoneInfo("Asia/Kolkata"))  # 60 min runs past 22:00
    error = assert_error(_book(client, bearer(driver), station_id=station.id, slot_time=late.isoformat()), 403)
    assert error["code"] == "station_closed" and "Station is closed" in error["message"]


@pytest.mark.parametrize("body, field", [
    ({"slot_time": "2026-12-02T08:00:00"}, "slot_time"),  # no offset
    ({"slot_time": "tomorrow"}, "slot_time"),
    ({"slot_time": "2026-12-02T08:00:00+05:30", "plug_type": "Type2"}, None),
    ({"duration_minutes": 60}, None),
])
def test_bad_slot_requests_are_422(client, driver, station, bearer, body, field):
    assert_error(_book(client, bearer(driver), station_id=station.id, **body), 422, "invalid_input")


def test_too_soon_is_422_with_the_field(client, driver, station, bearer):
    soon = (NOW + timedelta(minutes=15)).isoformat()
    error = assert_error(_book(client, bearer(driver), station_id=station.id, slot_time=soon), 422)
    assert "ahead" in error["message"]


def test_free_times_per_connector(client, driver, factory, station, bearer):
    _book(client, bearer(driver), station_id=station.id, slot_time=TOMORROW_8.isoformat())
    response = client.get(f"/api/stations/{station.id}/slots?date=2026-12-02")
    assert response.status_code == 200
    body = response.get_json()
    assert body["timezone"] == "Asia/Kolkata" and body["duration_minutes"] == 60
    times = [f["local_time"] for f in body["connectors"][0]["free"]]
    assert times[0] == "06:00" and times[-1] == "21:00"
    assert "06:45" in times and "07:00" not in times  # 07:00 + 60 min + 10 min changeover runs into 08:00
    assert "09:00" not in times and "09:15" in times  # the slot ends 09:00, then 10 min changeover
    today = client.get(f"/api/stations/{station.id}/slots?date=2026-12-01").get_json()
    assert today["connectors"][0]["free"][0]["local_time"] == "10:00"  # now 09:30 + 30 min lead
    assert_error(client.get(f"/api/stations/{station.id}/slots?date=someday"), 422)
    assert_error(client.get("/api/stations/999999/slots?date=2026-12-02"), 404)


def test_dates_outside_the_window_are_422(client, station):
    for day in ("2026-11-30", "2026-12-09", "9999-12-31", "0001-01-01"):
        error = assert_error(client.get(f"/api/stations/{station.id}/slots?date={day}"), 422, "invalid_input")
        assert "up to 7 days ahead" in error["message"]
    assert client.get(f"/api/stations/{station.id}/slots?date=2026-12-08").status_code == 200


def test_a_hold_before_a_slot_says_until_when(client, driver, factory, bearer, monkeypatch):
    from webapp.services.booking import bookings, slot_gaps

    monkeypatch.setattr(bookings, "utcnow", lambda: NOW)
    monkeypatch.setattr(slot_gaps, "utcnow", lambda: NOW)
    charger = factory.charger(connectors=1)  # online, at an always-open station
    slots.book_slot(factory.user(), charger.station_id, NOW + timedelta(hours=2), minutes=60)
    body = client.post("/api/bookings", headers=bearer(driver), json={"station_id": charger.station_id}).get_json()
    assert body["free_until"] == "2026-12-01T05:50:00.000Z" and body["max_quota_kwh"] == 34.8  # 95 min at 22 kW
    error = assert_error(client.get(f"/api/bookings/{body['id']}/quote?quota_kwh=40", headers=bearer(driver)), 422)
    assert "choose at most 34.8 kWh" in error["message"]


def _pay(client, headers, booking_id, details="4242424242424242", key="key-one-1"):
    return client.post("/api/payments/process", headers={**headers, "Idempotency-Key": key},
                       json={"booking_id": booking_id, "quota_kwh": 10, "payment_method": "card",
                             "payment_details": details})


def test_paying_a_slot_schedules_it_through_the_same_payment_path(client, driver, station, bearer, monkeypatch):
    from webapp.services.booking import bookings, slot_pay

    monkeypatch.setattr(bookings, "utcnow", lambda: NOW)
    monkeypatch.setattr(slot_pay, "utcnow", lambda: NOW)
    headers = bearer(driver)
    slot = _book(client, headers, station_id=station.id, slot_time=TOMORROW_8.isoformat()).get_json()
    declined = assert_error(_pay(client, headers, slot["id"], "4000000000000002", "key-zero-0"), 402)
    assert declined["details"]["retryable"] is True
    response = _pay(client, headers, slot["id"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()["booking"]
    assert body["status"] == "SCHEDULED" and body["amount_authorised"] > 0 and body["quota_kwh"] == 10
    assert body["arrive_by"] == "2026-12-02T02:45:00.000Z"  # the arrival grace counts from the slot's start
    assert _pay(client, headers, slot["id"]).get_json()["booking"]["amount_authorised"] == body["amount_authorised"]


def test_a_slot_not_paid_in_time_is_refused_and_freed(client, driver, factory, station, bearer, monkeypatch):
    from webapp.services.booking import bookings, slot_gaps, slot_pay

    headers = bearer(driver)
    slot = _book(client, headers, station_id=station.id, slot_time=TOMORROW_8.isoformat()).get_json()
    later = NOW + timedelta(minutes=11)
    for module in (bookings, slot_pay, slot_gaps):
        monkeypatch.setattr(module, "utcnow", lambda: later)
    error = assert_error(_pay(client, headers, slot["id"]), 409)
    assert "not paid in time" in error["message"]
    assert client.get(f"/api/bookings/{slot['id']}", headers=headers).get_json()["status"] == "EXPIRED"
    assert _book(client, bearer(factory.user()), station_id=station.id,
                 slot_time=TOMORROW_8.isoformat()).status_code == 201
