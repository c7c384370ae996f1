"""The operator's slot policy over the API (issue 16): a deposit instead of the quota's price (declines and
retry on the same path), DELETE cancels free or with the session fee kept (again: the same answer; someone
else's: 404), and at most SLOT_MAX_PER_DRIVER slots ahead per driver."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from webapp.timeutil import UTC

from .conftest import assert_error

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 09:30 in Kolkata
TOMORROW_8 = datetime(2026, 12, 2, 8, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
FEE = 2000


@pytest.fixture
def app_overrides():
    return {"SLOT_MAX_PER_DRIVER": 2}


@pytest.fixture
def clock(monkeypatch):
    """now[0] is the time every slot rule reads."""
    now = [NOW]
    for module in ("slots", "slot_gaps", "slot_pay", "bookings", "slot_cancel", "slot_limits", "slot_life"):
        monkeypatch.setattr(f"webapp.services.booking.{module}.utcnow", lambda: now[0])
    monkeypatch.setattr("webapp.api.bookings.utcnow", lambda: now[0])
    return now


@pytest.fixture
def station(factory):
    tariff = factory.tariff(slot_free_cancel_minutes=120)
    station = factory.station(tariff=tariff)
    factory.charger(station=station, connectors=2, online=False)
    return station


def _book(client, headers, station, at=TOMORROW_8):
    return client.post("/api/bookings", headers=headers, json={"station_id": station.id,
                                                               "slot_time": at.isoformat()})


def _pay(client, headers, booking_id, details="4242424242424242", key="key-one-1", **extra):
    return client.post("/api/payments/process", headers={**headers, "Idempotency-Key": key},
                       json={"booking_id": booking_id, "quota_kwh": 10, "payment_method": "card",
                             "payment_details": details, **extra})


def test_a_deposit_tariff_pre_authorises_the_deposit_with_declines_and_retry(client, driver, station, bearer, clock):
    station.tariff.slot_payment, station.tariff.slot_deposit = "deposit", 15000
    from webapp.extensions import db

    db.session.commit()
    headers = bearer(driver)
    slot = _book(client, headers, station).get_json()
    declined = assert_error(_pay(client, headers, slot["id"], "4000000000000002", "key-zero-0"), 402)
    assert declined["details"]["retryable"] is True
    assert_error(_pay(client, headers, slot["id"], key="key-two-2", amount=18000 + FEE), 400, "amount_mismatch")
    response = _pay(client, headers, slot["id"], amount=15000)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()["booking"]
    assert body["status"] == "SCHEDULED" and body["amount_authorised"] == 15000 and body["quota_kwh"] == 10


def test_cancel_free_then_late_then_again_and_not_someone_elses(client, driver, factory, station, bearer, clock):
    headers = bearer(driver)
    early = _book(client, headers, station).get_json()
    assert early["cancel_free_until"] == "2026-12-02T00:30:00.000Z"  # 08:00 in Kolkata less two hours
    assert _pay(client, headers, early["id"]).status_code == 200
    other = bearer(factory.user())
    assert_error(client.delete(f"/api/bookings/{early['id']}", headers=other), 404)
    free = client.delete(f"/api/bookings/{early['id']}", headers=headers).get_json()
    assert free["status"] == "CANCELLED" and free["amount_captured"] == 0
    assert free["amount_refunded"] == free["amount_authorised"] and free["end_reason"] == "cancelled by driver (free)"

    late = _book(client, headers, station).get_json()
    assert _pay(client, headers, late["id"], key="key-late-1").status_code == 200
    clock[0] = TOMORROW_8.astimezone(UTC) - timedelta(minutes=119)  # inside the last two hours
    body = client.delete(f"/api/bookings/{late['id']}", headers=headers).get_json()
    assert body["status"] == "CANCELLED" and body["amount_captured"] == FEE
    assert body["amount_refunded"] == body["amount_authorised"] - FEE
    assert body["end_reason"] == "cancelled by driver (late: fee kept)"
    again = client.delete(f"/api/bookings/{late['id']}", headers=headers)
    assert again.status_code == 200 and again.get_json() == body


def test_at_most_n_slots_ahead_per_driver(client, driver, station, bearer, clock):
    headers = bearer(driver)
    first = _book(client, headers, station).get_json()
    assert _book(client, headers, station, TOMORROW_8 + timedelta(hours=2)).status_code == 201
    error = assert_error(_book(client, headers, station, TOMORROW_8 + timedelta(hours=4)), 409)
    assert "2 slots booked ahead" in error["message"] and error["details"]["max_slots"] == 2
    client.delete(f"/api/bookings/{first['id']}", headers=headers)
    assert _book(client, headers, station, TOMORROW_8 + timedelta(hours=4)).status_code == 201


def test_unpaid_slots_past_their_checkout_window_do_not_count(client, driver, station, bearer, clock):
    headers = bearer(driver)
    _book(client, headers, station)
    _book(client, headers, station, TOMORROW_8 + timedelta(hours=2))
    clock[0] = NOW + timedelta(minutes=11)  # the checkout window (HOLD_MINUTES) has passed, unpaid
    assert _book(client, headers, station, TOMORROW_8 + timedelta(hours=4)).status_code == 201
