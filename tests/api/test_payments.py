"""POST /api/payments/process: Idempotency-Key required, never charged twice, declines answered with 402."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import Booking, Payment
from webapp.services.booking import bookings

from .conftest import assert_error

CARD = "4242 4242 4242 4242"


def _pay(client, headers, booking_id, key="key-00000001", **extra):
    body = {"booking_id": booking_id, "quota_kwh": 10, "payment_method": "card", "payment_details": CARD, **extra}
    return client.post("/api/payments/process", headers={**headers, **({"Idempotency-Key": key} if key else {})},
                       json=body)


def test_pay_confirms_the_booking(client, driver, held, bearer):
    response = _pay(client, bearer(driver), held.id)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "succeeded" and body["transaction_id"].startswith("auth_")
    assert body["amount"] == 11 * 1800 + 2000 and body["payment"]["kind"] == "authorise"
    assert body["booking"]["status"] == "CONFIRMED" and body["booking"]["arrive_by"]
    assert body["booking"]["amount_authorised"] == body["amount"]


def test_idempotency_key_is_required(client, driver, held, bearer):
    error = assert_error(_pay(client, bearer(driver), held.id, key=None), 400, "missing_header")
    assert error["details"] == {"header": "Idempotency-Key"}
    assert_error(_pay(client, bearer(driver), held.id, key="short"), 400, "malformed_request")
    assert db.session.query(Payment).count() == 0
    assert db.session.get(Booking, held.id).status == "HELD"


@pytest.mark.both_dbs
def test_the_same_key_never_charges_twice(client, driver, held, bearer):
    first = _pay(client, bearer(driver), held.id).get_json()
    second = _pay(client, bearer(driver), held.id).get_json()
    assert first["transaction_id"] == second["transaction_id"]
    assert first["payment"]["id"] == second["payment"]["id"]
    assert db.session.query(Payment).filter_by(kind="authorise").count() == 1


@pytest.mark.both_dbs
def test_a_decline_is_402_and_a_retry_with_a_new_key_can_succeed(client, driver, held, bearer):
    declined = _pay(client, bearer(driver), held.id, key="attempt-0001", payment_details="4000000000000002")
    error = assert_error(declined, 402, "payment_failed")
    assert error["message"] == "Your card was declined." and error["details"]["retryable"] is True
    again = _pay(client, bearer(driver), held.id, key="attempt-0001")  # same key: the same answer
    assert_error(again, 402, "payment_failed")
    assert db.session.get(Booking, held.id).status == "HELD"
    ok = _pay(client, bearer(driver), held.id, key="attempt-0002")
    assert ok.status_code == 200 and ok.get_json()["booking"]["status"] == "CONFIRMED"


def test_keys_are_scoped_to_the_driver(client, driver, factory, charger, held, bearer):
    other = factory.user()
    theirs = bookings.place_hold(other, charger.connectors[1].id)
    assert _pay(client, bearer(driver), held.id, key="shared-key-1").status_code == 200
    response = _pay(client, bearer(other), theirs.id, key="shared-key-1")
    assert response.status_code == 200
    assert db.session.query(Payment).filter_by(kind="authorise", status="succeeded").count() == 2


def test_amount_shown_must_match(client, driver, held, bearer):
    error = assert_error(_pay(client, bearer(driver), held.id, amount=1), 400, "amount_mismatch")
    assert error["details"]["expected"] == 21800
    assert _pay(client, bearer(driver), held.id, amount=21800).status_code == 200


def test_upi_in_capitals_as_the_seed_sends_it(client, driver, held, bearer):
    response = _pay(client, bearer(driver), held.id, payment_method="UPI", payment_details="driver@okbank")
    assert response.status_code == 200 and response.get_json()["payment"]["method"] == "upi"


def test_station_closed_since_the_hold_blocks_payment(client, driver, held, bearer):
    station = held.connector.charger.station
    station.always_open, station.opening_hours = False, {}
    db.session.commit()
    error = assert_error(_pay(client, bearer(driver), held.id), 403, "station_closed")
    assert error["message"] == "Payment blocked. Station is closed."


def test_expired_hold_cannot_be_paid(client, driver, held, bearer, monkeypatch):
    late = held.hold_expires_at + timedelta(seconds=1)
    monkeypatch.setattr(bookings, "utcnow", lambda: late)
    assert "expired" in assert_error(_pay(client, bearer(driver), held.id), 409, "conflict")["message"]
    assert db.session.query(Payment).count() == 0


def test_someone_elses_booking_is_404(client, factory, held, bearer):
    assert_error(_pay(client, bearer(factory.user()), held.id), 404, "not_found")


def test_payment_requires_a_token(client, held):
    assert_error(_pay(client, {}, held.id), 401)


@pytest.mark.parametrize("extra", [{"quota_kwh": 0}, {"quota_kwh": 151}, {"payment_method": "cash"},
                                   {"payment_details": 4242}, {"coupon": "FREE"}])
def test_invalid_payment_bodies_are_422(client, driver, held, bearer, extra):
    assert_error(_pay(client, bearer(driver), held.id, **extra), 422, "invalid_input")
    assert_error(_pay(client, bearer(driver), "one"), 422, "invalid_input")
    assert db.session.query(Payment).count() == 0
