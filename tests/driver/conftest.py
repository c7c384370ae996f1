"""Driver fixtures: a signed-in driver, a bookable charger, a movable clock, a fake charger link."""
import importlib
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.timeutil import utcnow

#: Modules that did `from ..timeutil import utcnow`; the clock patches each of them.
CLOCK_MODULES = ("webapp.timeutil", "webapp.services.booking.bookings", "webapp.services.booking.releases",
                 "webapp.services.charging.lifecycle",
                 "webapp.services.fleet.hours", "webapp.services.fleet.availability",
                 "webapp.services.reports.history", "webapp.services.charging.session_summary",
                 "webapp.services.charging.transactions", "webapp.services.platform.notifications",
                 "webapp.services.accounts.accounts", "webapp.services.platform.timers",
                 "webapp.services.money.payments", "webapp.services.charging.interventions",
                 "webapp.services.fleet.chargers", "webapp.services.charging.stop_retry",
                 "webapp.services.charging.stuck", "webapp.services.booking.slots",
                 "webapp.services.booking.slot_gaps")


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock for every service; `clock.advance(minutes=11)` moves it."""
    c = Clock()
    for name in CLOCK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "utcnow"):
            monkeypatch.setattr(module, "utcnow", c)
    return c


@pytest.fixture
def driver(factory, login):
    """A driver, signed in on `client`."""
    user = factory.user(email="driver@example.com", name="Dee Driver")
    login(user)
    return user


@pytest.fixture
def charger(factory):
    """An online charger (2 Available connectors, reservations supported) at an always-open station."""
    return factory.charger(cp_id="CP-TEST-1")


class FakeLink:
    """Stands in for the command bus: records the CALLs and answers Accepted (or what it is told)."""

    def __init__(self):
        self.calls = []
        self.answers = {}

    def __call__(self, cp_id, action, payload, timeout=None):
        self.calls.append((cp_id, action, payload))
        return self.answers.get(action, {"status": "Accepted"})

    def actions(self):
        return [action for _, action, _ in self.calls]


@pytest.fixture
def link(monkeypatch):
    """Replace the command bus with a FakeLink (no charger socket needed)."""
    fake = FakeLink()
    monkeypatch.setattr("webapp.services.platform.bus.call", fake)
    return fake


def hold(client, connector):
    """Book a connector through the page; returns the booking id."""
    response = client.post("/bookings", data={"connector_id": connector.id})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def pay(client, booking_id, details="4242 4242 4242 4242", method="card", quota="10", key=None, **extra):
    """Submit the pay form (a fresh idempotency key unless `key` is given)."""
    import uuid

    data = {"quota": quota, "method": method, "details": details,
            "idempotency_key": key or uuid.uuid4().hex, **extra}
    return client.post(f"/bookings/{booking_id}/pay", data=data)


def confirmed_booking(client, connector):
    """A CONFIRMED booking on `connector` for the signed-in driver (10 kWh, test card)."""
    booking_id = hold(client, connector)
    response = pay(client, booking_id)
    assert response.status_code == 303
    db.session.expire_all()
    return booking_id


@pytest.fixture
def charging(client, driver, charger, link, clock):
    """A CHARGING booking (10 kWh quota, 22 kW connector, ₹18/kWh + ₹20 fee) started from the QR code, and
    its transaction id."""
    from webapp.services.fleet import qr

    from .flow import start_tx, status

    booking_id = confirmed_booking(client, charger.connectors[0])
    client.post(f"/c/{qr.token_for(charger.connectors[0])}/start")
    status("Preparing")
    tx = start_tx(driver.id_tag)
    status("Charging")
    return booking_id, tx


#: What the simulator answers GetConfiguration after its boot (device/smart.py), as `smart.read_configuration`
#: stores it: Smart Charging, both units, stack levels up to 8, ten profiles.
SMART_CONFIG = {"SupportedFeatureProfiles": "Core,Reservation,RemoteTrigger,SmartCharging",
                "ChargeProfileMaxStackLevel": "8", "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
                "MaxChargingProfilesInstalled": "10"}


@pytest.fixture
def smart(charger):
    """The charger reported Smart Charging after its boot (its stored configuration, as a real boot leaves it)."""
    charger.smart_config = dict(SMART_CONFIG)
    db.session.commit()
    return charger


def replans():
    """The station re-plans waiting in the in-process timers (`jobs.smart.rebalance` station ids)."""
    from webapp.services.platform import timers

    return [args[0] for _, func, args in timers.backend().pending() if func == "jobs.smart.rebalance"]


@pytest.fixture
def redis(app):
    """The Redis database of a test that runs a real RQ worker (the REDIS_URL its app_overrides set), flushed
    before and after."""
    from redis import Redis

    connection = Redis.from_url(app.config["REDIS_URL"])
    connection.flushdb()
    yield connection
    connection.flushdb()
