"""`flask seed-demo` leaves a few weeks of billed history: the console's analytics and the demo driver's
history are not empty, the history is deterministic, and seeding twice adds nothing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug import security

from webapp.extensions import db
from webapp.models import Booking, ChargingSession, Payment, Station, User
from webapp.services.demo import demo, demo_history
from webapp.services.reports import analytics, history
from webapp.timeutil import utcnow


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    def fast(password, method=None, salt_length=8):
        return security.generate_password_hash(password, method="pbkdf2:sha256:1", salt_length=salt_length)

    monkeypatch.setattr("webapp.models.user.generate_password_hash", fast)


def counts():
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (Booking, ChargingSession, Payment, User))


def test_seed_demo_fills_analytics_and_the_drivers_history(app):
    result = demo.seed()
    assert result["history_bookings"] > 30
    admin = db.session.execute(select(User).where(User.email == demo.DEMO_ADMIN[0])).scalar_one()
    today = utcnow().date()
    report = analytics.report(admin, today - timedelta(days=demo_history.DAYS + 1), today)
    totals = report["totals"]
    assert totals.sessions == result["history_bookings"] and totals.revenue > 0 and totals.energy_wh > 300_000
    assert sum(1 for _, figures in report["stations"] if figures.sessions) == len(demo.STATIONS)
    driver = db.session.execute(select(User).where(User.email == demo.DEMO_DRIVER[0])).scalar_one()
    mine = history.totals(driver, "all-time")
    assert mine.sessions >= 5 and mine.spent > 0 and mine.favourite_station is not None
    # Billed like a real booking: captured == the session's cost, the rest released, refunds recorded.
    for booking in db.session.execute(select(Booking)).scalars():
        assert booking.status == "COMPLETED" and booking.amount_captured == booking.session.cost > 0
        kinds = [p.kind for p in booking.payments]
        assert kinds[:2] == ["authorise", "capture"] and all(p.status == "succeeded" for p in booking.payments)
        assert booking.amount_refunded == sum(p.amount for p in booking.payments if p.kind == "refund")
        duration_h = (booking.session.stopped_at - booking.session.started_at).total_seconds() / 3600
        assert booking.session.energy_wh / 1000 / duration_h <= booking.connector.max_power_kw
    assert db.session.execute(select(func.count()).where(Payment.reason.like("Goodwill%"))).scalar_one() > 0
    before = counts()
    again = demo.seed()
    assert again["history_bookings"] == 0 and counts() == before


def test_the_plan_is_deterministic(app):
    demo.seed()
    drivers = db.session.execute(select(User).where(User.role == "driver").order_by(User.id)).scalars().all()
    stations = db.session.execute(select(Station).order_by(Station.id)).scalars().all()
    now = utcnow()
    assert demo_history.plan(drivers, stations, now) == demo_history.plan(drivers, stations, now)
    assert demo_history.plan(drivers, stations, now) != demo_history.plan(drivers, stations, now, seed=1)
