"""Console fixtures: a small world of two stations (one per operator), an admin, a driver, paid bookings,
finished sessions with meter samples, maintenance windows; clients logged in as each role."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import g
from flask.testing import FlaskClient
from werkzeug import security

from webapp.extensions import db
from webapp.models import AuditLog, Booking, ChargingSession, MaintenanceWindow, MeterSample, SolarSample
from webapp.services.money import payments
from webapp.timeutil import utcnow

ROLES = ("anonymous", "driver", "other_operator", "operator", "admin")


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Hashing is deliberately slow; tests build many accounts, so use a one-round hash here."""
    def fast(password, method="pbkdf2:sha256:1", salt_length=8):
        return security.generate_password_hash(password, method="pbkdf2:sha256:1", salt_length=salt_length)

    monkeypatch.setattr("webapp.models.user.generate_password_hash", fast)
    monkeypatch.setattr("webapp.models.charger.generate_password_hash", fast)


def paid_booking(connector, user, authorised=5000, captured=3000, status="COMPLETED"):
    """A booking paid by card: authorised, then (unless CONFIRMED) captured with the rest refunded."""
    now = utcnow()
    booking = Booking(user_id=user.id, connector_id=connector.id, status="CONFIRMED" if status == "CONFIRMED" else "HELD",
                      hold_expires_at=now + timedelta(minutes=10), quota_kwh=10, currency="INR",
                      created_at=now - timedelta(hours=1))
    db.session.add(booking)
    db.session.flush()
    payments.authorise(booking, authorised, "card", "4242 4242 4242 4242", f"auth-{booking.id}")
    if status == "CONFIRMED":
        booking.confirmed_at, booking.arrive_by = now, now + timedelta(minutes=15)
    else:
        booking.status, booking.ended_at = status, now
        payments.settle(booking, captured)
    db.session.commit()
    return booking


def finished_session(connector, user, booking=None, energy_wh=7000, minutes=30):
    """A finished session with energy, power and SoC samples every five minutes."""
    stopped = utcnow() - timedelta(minutes=5)
    started = stopped - timedelta(minutes=minutes)
    session = ChargingSession(connector_id=connector.id, user_id=user.id, booking_id=booking.id if booking else None,
                              id_tag=user.id_tag, meter_start=1000, meter_stop=1000 + energy_wh, meter_last=1000 + energy_wh,
                              started_at=started, stopped_at=stopped, stop_reason="Local", energy_wh=energy_wh,
                              cost=3000, soc_start=30, soc_last=60)
    db.session.add(session)
    db.session.flush()
    steps = minutes // 5
    for i in range(steps + 1):
        ts = started + timedelta(minutes=5 * i)
        db.session.add_all([
            MeterSample(session_id=session.id, connector_id=connector.id, timestamp=ts,
                        measurand="Energy.Active.Import.Register", value=1000 + energy_wh * i / steps, unit="Wh"),
            MeterSample(session_id=session.id, connector_id=connector.id, timestamp=ts, measurand="Power.Active.Import",
                        value=14000.0, unit="W"),
            MeterSample(session_id=session.id, connector_id=connector.id, timestamp=ts, measurand="SoC",
                        value=30 + 30 * i / steps, unit="Percent"),
        ])
    db.session.commit()
    return session


@pytest.fixture
def world(app, factory):
    """Own station (operator's) and another station (other operator's), each with a charger, a paid booking,
    a finished session and a planned maintenance window; plus an admin and a driver."""
    w = SimpleNamespace()
    w.admin = factory.user("admin", email="admin@example.com", name="Ada Admin")
    w.operator = factory.user("operator", email="op@example.com", name="Otto Operator")
    w.other_operator = factory.user("operator", email="other-op@example.com", name="Olga Other")
    w.driver = factory.user("driver", email="driver@example.com", name="Dora Driver")
    w.other_driver = factory.user("driver", email="driver2@example.com", name="Dan Driver")
    w.station = factory.station(name="Own Station", solar_kw=10.0)
    w.other_station = factory.station(name="Far Station")
    w.operator.stations = [w.station]
    w.other_operator.stations = [w.other_station]
    db.session.commit()
    w.charger = factory.charger(station=w.station, cp_id="OWN-1")
    w.other_charger = factory.charger(station=w.other_station, cp_id="FAR-1")
    w.connector, w.other_connector = w.charger.connectors[0], w.other_charger.connectors[0]
    w.booking = paid_booking(w.connector, w.driver)
    w.other_booking = paid_booking(w.other_connector, w.other_driver)
    w.session = finished_session(w.connector, w.driver, w.booking)
    w.other_session = finished_session(w.other_connector, w.other_driver, w.other_booking)
    w.capture = next(p for p in w.booking.payments if p.kind == "capture")
    w.other_capture = next(p for p in w.other_booking.payments if p.kind == "capture")
    now = utcnow()
    w.window = MaintenanceWindow(station_id=w.station.id, starts_at=now + timedelta(days=1),
                                 ends_at=now + timedelta(days=1, hours=2), reason="cable swap")
    w.other_window = MaintenanceWindow(charger_id=w.other_charger.id, starts_at=now + timedelta(days=1),
                                       ends_at=now + timedelta(days=1, hours=2), reason="firmware")
    db.session.add_all([w.window, w.other_window])
    db.session.add_all(SolarSample(charger_id=w.charger.id, timestamp=now - timedelta(minutes=10 - i), kw=6.0)
                       for i in range(5))
    w.entry = AuditLog(user_id=w.admin.id, action="station.update", target_type="station",
                       target_id=str(w.station.id), before={"name": "Old"}, after={"name": "Own Station"}, ip="10.0.0.1")
    db.session.add(w.entry)
    db.session.commit()
    w.users = {"driver": w.driver, "other_operator": w.other_operator, "operator": w.operator, "admin": w.admin,
               "anonymous": None}
    return w


class FreshUserClient(FlaskClient):
    """The `app` fixture keeps one app context pushed, so requests share `g`, where Flask-Login caches the
    current user; forget it before each request so every client is judged by its own session cookie."""

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def client_as(app, user):
    """A test client whose session is logged in as `user` (None: anonymous)."""
    app.test_client_class = FreshUserClient
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()  # "id:epoch", as login_user stores it
            session["_fresh"] = True
    return client


@pytest.fixture
def as_user(app):
    """as_user(user) -> a client logged in as that user."""
    return lambda user: client_as(app, user)


@pytest.fixture
def admin_client(app, world):
    return client_as(app, world.admin)


@pytest.fixture
def operator_client(app, world):
    return client_as(app, world.operator)
