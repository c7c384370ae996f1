"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL for service/model tests), a client,
factories, login helpers, and a live server with real WebSockets.

Services we cannot reach (PostgreSQL, Redis, chromium) skip loudly; with CHARGEWAY_REQUIRE_SERVICES=1
(set by .ci/run) such a skip becomes a failure.
"""
import os
import socket
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def worker_redis_url(base: str) -> str:
    """One Redis database per pytest-xdist worker: gwN uses the base database number + N (no xdist: the
    base). Every test that talks to Redis uses this one database, and may flush it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    prefix, _, number = base.rpartition("/")
    return f"{prefix}/{int(number or 0) + index}"


REDIS_URL = worker_redis_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
REQUIRE = os.environ.get("CHARGEWAY_REQUIRE_SERVICES") == "1"
BOTH_DB_DIRS = ("tests/services", "tests/models")


def need(reason: str):
    """Skip loudly, or fail when CI requires every service."""
    if REQUIRE:
        pytest.fail(f"REQUIRED SERVICE MISSING: {reason}")
    pytest.skip(f"SKIPPED, SERVICE MISSING: {reason}")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- database backends ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_schema():
    """A private schema per test process, so parallel runs never share tables."""
    if not _reachable("127.0.0.1", 5432):
        need("PostgreSQL on 127.0.0.1:5432")
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def pytest_generate_tests(metafunc):
    """Service and model tests run on SQLite and PostgreSQL; the rest on SQLite."""
    if "backend" in metafunc.fixturenames:
        path = str(metafunc.definition.path)
        both = any(d in path for d in BOTH_DB_DIRS) or metafunc.definition.get_closest_marker("both_dbs")
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"], scope="function")


def make_config(database_url: str, **overrides):
    attrs = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    return type("PerTestConfig", (TestConfig,), attrs)


@pytest.fixture
def db_url(backend, tmp_path, request):
    if backend == "postgresql":
        schema = request.getfixturevalue("pg_schema")
        return f"{PG_URL}?options=-csearch_path%3D{schema}"
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app_overrides():
    """Override to change settings for a test module."""
    return {}


@pytest.fixture
def app(db_url, app_overrides, backend):
    app = create_app(make_config(db_url, **app_overrides))
    with app.app_context():
        db.create_all()
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        if backend == "postgresql":
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


# -- factories -------------------------------------------------------------------------------------------
class Factory:
    """Rows for tests, with sensible defaults."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def tariff(self, **kw):
        from webapp.models import Tariff

        t = Tariff(name=kw.pop("name", f"Tariff {self._next()}"), currency=kw.pop("currency", "INR"),
                   price_per_kwh=kw.pop("price_per_kwh", 1800), session_fee=kw.pop("session_fee", 2000),
                   idle_fee_per_minute=kw.pop("idle_fee_per_minute", 500), **kw)
        db.session.add(t)
        db.session.commit()
        return t

    def station(self, **kw):
        from webapp.models import Station

        s = Station(name=kw.pop("name", f"Station {self._next()}"), address=kw.pop("address", "1 Test Road"),
                    latitude=kw.pop("latitude", 12.97), longitude=kw.pop("longitude", 77.59),
                    timezone=kw.pop("timezone", "Asia/Kolkata"), always_open=kw.pop("always_open", True),
                    tariff=kw.pop("tariff", None) or self.tariff(), **kw)
        db.session.add(s)
        db.session.commit()
        return s

    def charger(self, station=None, cp_id=None, connectors=2, password=None, online=True, status="Available", **kw):
        from webapp.models import Charger, Connector
        from webapp.timeutil import utcnow

        c = Charger(charge_point_id=cp_id or f"CP-{self._next():04d}", station=station or self.station(),
                    registration_status="Accepted", online=online, last_seen=utcnow() if online else None,
                    supports_reservation=kw.pop("supports_reservation", True), **kw)
        c.set_password(password)
        c.connectors = [Connector(connector_id=i, status=status, max_power_kw=22.0) for i in range(1, connectors + 1)]
        db.session.add(c)
        db.session.commit()
        return c

    def user(self, role="driver", email=None, password="charge-test-pass", **kw):
        from webapp.services.accounts import accounts

        user = accounts.register(email or f"user{self._next()}@example.com", kw.pop("name", "Test User"), password,
                                 role=role)
        for key, value in kw.items():
            setattr(user, key, value)
        db.session.commit()
        return user


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def login(client):
    """login(user, password='charge-test-pass') logs the test client in through the real form."""

    def do(user, password="charge-test-pass"):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


# -- live server -------------------------------------------------------------------------------------------
class LiveServer:
    def __init__(self, app, port):
        from werkzeug.serving import make_server

        self.app = app
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ocpp"
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        # shutdown() waits for the serve loop to notice: poll every 50 ms, not werkzeug's 500 ms.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP and WebSockets on a free port (same process, same database)."""
    server = LiveServer(app, free_port()).start()
    yield server
    server.stop()


def release_db():
    """End the test thread's transaction: on SQLite any open transaction holds the write lock
    (BEGIN IMMEDIATE), which would stall the live server while the test waits."""
    from flask import has_app_context

    if has_app_context():
        db.session.commit()


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition not met"):
    """Poll `predicate()` (which may read the database) without holding a transaction in between."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        release_db()
        value = predicate()
        release_db()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def sim():
    """The charger simulator harness (device/), stopped after the test.

    Every blocking call into the simulator first ends the test thread's database transaction.
    """
    from device.harness import SimulatorThread

    harness = SimulatorThread()
    for name in ("run", "call"):
        original = getattr(harness, name)

        def wrapped(*args, _original=original, **kwargs):
            release_db()
            return _original(*args, **kwargs)

        setattr(harness, name, wrapped)
    yield harness
    harness.stop()


@pytest.fixture
def run_jobs(app):
    """run_jobs(now=None) runs the due in-process timer jobs (tests use manual timers)."""
    from webapp.services.platform import timers

    def run(now=None):
        db.session.commit()
        return timers.backend().run_due(now)

    return run


# -- the browser ----------------------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright, one per test session (two sync Playwrights cannot share a
    thread). `chromium.pixel_7` holds the Pixel 7 device settings."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        need(f"chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                             chromium_sandbox=False)
        browser.pixel_7 = {k: v for k, v in playwright.devices["Pixel 7"].items() if k != "default_browser_type"}
        yield browser
        browser.close()


class Shots:
    """Numbered full-page screenshots of one test, kept under test-artifacts/<folder>/<test>/."""

    def __init__(self, folder: str, name: str):
        import re
        from pathlib import Path

        self.dir = Path(__file__).resolve().parents[1] / "test-artifacts" / folder / re.sub(r"[^\w.-]+", "_", name)
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.n = 0

    def __call__(self, page, step: str):
        self.n += 1
        path = self.dir / f"{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def scheduler(app):
    """The in-process timer thread (what the embedded server starts), stopped after the test."""
    from webapp.services.platform import timers

    timers.start_embedded(app)
    yield
    timers.backend().stop()
