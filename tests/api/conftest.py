"""API test helpers: Bearer headers for a user, a JSON error assertion, a bookable connector, a paid booking."""
from functools import partial

import pytest
from werkzeug.security import generate_password_hash

from webapp.extensions import db
from webapp.services.accounts import tokens
from webapp.services.booking import bookings, checkout


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch):
    """Cheap hashes for test accounts and chargers (scrypt costs ~0.2 s each on this machine); checking a
    password still goes through werkzeug, which reads the method from the stored hash."""
    fast = partial(generate_password_hash, method="pbkdf2:sha256:1000")
    monkeypatch.setattr("webapp.models.user.generate_password_hash", fast)
    monkeypatch.setattr("webapp.models.charger.generate_password_hash", fast)


@pytest.fixture
def bearer(app):
    """bearer(user) -> headers with a fresh access token for that user."""

    def make(user):
        _, access, _ = tokens.issue_for(user)
        return {"Authorization": f"Bearer {access}"}

    return make


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the API's JSON error shape with this status (and code)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.fixture
def driver(factory):
    return factory.user(battery_kwh=40.0)


@pytest.fixture
def charger(factory):
    """An online charger with two Available connectors at an always-open station."""
    return factory.charger(cp_id="CP-API-1")


@pytest.fixture
def held(driver, charger):
    """A HELD booking of `driver` on connector 1 of `charger`."""
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    return booking


@pytest.fixture
def confirmed(driver, held):
    """The held booking, paid with the success test card."""
    booking, _ = checkout.pay(driver, held.id, 10, "card", "4242424242424242", "fixture-key-1")
    db.session.commit()
    return booking
