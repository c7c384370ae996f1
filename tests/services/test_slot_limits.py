"""At most SLOT_MAX_PER_DRIVER slots ahead per driver, whatever the races: one driver's simultaneous bookings
of different times leave exactly that many (the driver's row is locked for the count on PostgreSQL; SQLite
serialises the transactions)."""
import itertools
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.booking import slots
from webapp.services.errors import Conflict
from webapp.timeutil import UTC

from ..support.races import race

NOW = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


@pytest.fixture
def app_overrides():
    return {"SLOT_MAX_PER_DRIVER": 2}


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    for module in ("slots", "slot_gaps", "slot_pay", "bookings", "slot_limits"):
        monkeypatch.setattr(f"webapp.services.booking.{module}.utcnow", lambda: NOW)


def test_six_simultaneous_bookings_of_one_driver_leave_two(app, factory):
    station = factory.station(always_open=True)
    factory.charger(station=station, connectors=1, online=False)
    driver_id, station_id = factory.user().id, station.id
    starts = itertools.count()
    db.session.commit()

    def attempt(user):
        slots.book_slot(user, station_id, NOW + timedelta(hours=2 + 2 * next(starts)), minutes=60)

    outcomes = race(app, [driver_id] * 6, attempt, Conflict)
    assert outcomes.count("won") == 2, outcomes
    assert all("slots booked ahead" in o.message for o in outcomes if o != "won")
    assert db.session.execute(select(func.count(Booking.id)).where(Booking.user_id == driver_id)).scalar_one() == 2
