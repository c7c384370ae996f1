"""End-to-end: Debian's chromium (Playwright) on a Pixel 7 viewport against the live app and the simulator.

The embedded timer thread runs, as in `flask run`; timers are shortened with *_SECONDS settings, and the
simulator's time_scale makes a charge take seconds. Screenshots land in test-artifacts/e2e/<test>/.
"""
import pytest

from tests.conftest import Shots, release_db, wait_until
from webapp.extensions import db

CP_ID = "E2E-CP-1"
CP_PASSWORD = "e2e-charger-pass"

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_overrides(request):
    """CSRF on (as in production); long timers unless a test asks for short ones with indirect params."""
    return {"WTF_CSRF_ENABLED": True, "HOLD_SECONDS": 300, "ARRIVAL_GRACE_SECONDS": 300,
            "EXIT_GRACE_SECONDS": 300, "SWEEP_SECONDS": 1, **getattr(request, "param", {})}


@pytest.fixture(scope="session")
def browser(chromium):
    """The session's chromium (tests/conftest.py), with `.pixel_7` device settings."""
    return chromium


@pytest.fixture
def station(factory):
    """An always-open station at MG Road, ₹18/kWh + ₹20 session fee + ₹5/min idle fee."""
    tariff = factory.tariff(name="E2E", price_per_kwh=1800, session_fee=2000, idle_fee_per_minute=500)
    return factory.station(name="MG Road Metro Hub", latitude=12.9755, longitude=77.6068, tariff=tariff)


@pytest.fixture
def charger(factory, station, live_server, sim, scheduler, request):
    """A one-connector charger known to the server, driven by the simulator (connected, Available).

    Tests pick the simulator's speed with `@pytest.mark.sim(time_scale=..., meter_interval=...)`."""
    options = {"time_scale": 60, "meter_interval": 0.5}
    marker = request.node.get_closest_marker("sim")
    if marker:
        options.update(marker.kwargs)
    row = factory.charger(station=station, cp_id=CP_ID, connectors=1, password=CP_PASSWORD, online=False,
                          status="Unavailable")
    row.connectors[0].max_power_kw = 22.0
    db.session.commit()
    release_db()
    device = sim.add(CP_ID, live_server.ws_url, password=CP_PASSWORD, connectors=1, max_power_kw=22.0,
                     battery_kwh=60.0, soc_start=30.0, heartbeat_interval=30, plug_delay=0.3, **options)
    assert device.connect() == "Accepted"
    from webapp.models import Connector

    wait_until(lambda: db.session.get(Connector, row.connectors[0].id).status == "Available",
               message="connector Available")
    return device


@pytest.fixture
def shots(request):
    return Shots("e2e", request.node.name)


@pytest.fixture
def phone(browser, live_server):
    """A fresh Pixel 7 browser context on the live server (no geolocation permission)."""
    context = browser.new_context(**browser.pixel_7, base_url=live_server.url)
    context.set_default_timeout(15000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    # Anything our Content-Security-Policy blocked (an inline script, handler or style) is a page error too.
    page.on("console", lambda msg: page.errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    context.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "sim(**options): simulator options for the e2e charger fixture")
