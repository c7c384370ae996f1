"""Timers: hold expiry, hold warning, arrival grace (NO_SHOW), exit grace; in-process in the embedded
default; never wrong when a job runs late, early or twice; *_SECONDS settings for sub-minute timers."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Booking, Notification
from webapp.services.booking import bookings
from webapp.services.platform import timers

from .conftest import confirmed_booking, hold
from .pages import text


def status_of(booking_id):
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def kinds(user_id):
    return [n.kind for n in db.session.execute(select(Notification).where(Notification.user_id == user_id)
                                               .order_by(Notification.id)).scalars()]


def test_hold_expiry_job_expires_notifies_and_frees_the_connector(client, driver, charger, clock, run_jobs):
    booking_id = hold(client, charger.connectors[0])
    run_jobs(clock.now)  # the warning is due at once only for holds shorter than HOLD_WARNING_SECONDS
    clock.advance(minutes=8, seconds=1)
    run_jobs(clock.now)
    assert "hold_expiring" in kinds(driver.id)
    assert status_of(booking_id) == "HELD"
    clock.advance(minutes=2)
    run_jobs(clock.now)
    assert status_of(booking_id) == "EXPIRED" and kinds(driver.id).count("hold_expired") == 1
    assert bookings.expire_hold(booking_id) is True  # twice: still EXPIRED, one notification
    db.session.commit()
    assert kinds(driver.id).count("hold_expired") == 1 and status_of(booking_id) == "EXPIRED"
    html = client.get(f"/stations/{charger.station_id}").get_data(as_text=True)
    assert html.count('data-state="available"') == 2


def test_expiry_is_exact_without_any_worker(client, factory, login, driver, charger, clock):
    hold(client, charger.connectors[0])
    clock.advance(minutes=10, seconds=1)  # no job has run
    client.post("/logout")
    login(factory.user(email="other@example.com"))
    response = client.post("/bookings", data={"connector_id": charger.connectors[0].id})
    assert response.status_code == 303 and response.headers["Location"].startswith("/bookings/")


def test_early_job_reschedules_itself(client, driver, charger, clock, app):
    booking_id = hold(client, charger.connectors[0])
    clock.advance(minutes=9)
    assert bookings.expire_hold(booking_id) is False
    assert status_of(booking_id) == "HELD"
    due = [at for at, func, args in timers.backend().pending() if func == "jobs.bookings.expire_hold"]
    assert max(due) == db.session.get(Booking, booking_id).hold_expires_at


def test_arrival_grace_gives_no_show_keeps_the_fee_and_cancels_the_reservation(client, driver, charger, clock,
                                                                            run_jobs, link):
    booking_id = confirmed_booking(client, charger.connectors[0])
    clock.advance(minutes=15, seconds=1)
    run_jobs(clock.now)
    b = db.session.get(Booking, booking_id)
    assert b.status == "NO_SHOW" and b.amount_captured == 2000  # the session fee
    assert b.amount_refunded == b.amount_authorised - 2000
    assert "no_show" in kinds(driver.id) and "payment_refunded" in kinds(driver.id)
    assert link.actions() == ["ReserveNow", "ReserveNow", "CancelReservation"]  # at the hold, after payment
    assert link.calls[2][2] == {"reservationId": booking_id}
    captured = b.amount_captured
    assert bookings.arrival_grace(booking_id) is False  # a second run changes nothing
    db.session.commit()
    assert db.session.get(Booking, booking_id).amount_captured == captured
    page = text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    assert "you did not arrive in time" in page and "(no-show fee)" in page


def test_late_arrival_grace_job_after_charging_started_does_nothing(client, driver, charger, clock, link):
    from .flow import start_tx

    booking_id = confirmed_booking(client, charger.connectors[0])
    start_tx(driver.id_tag)
    clock.advance(minutes=30)
    assert bookings.arrival_grace(booking_id) is False
    assert status_of(booking_id) == "CHARGING"


def test_sweep_applies_every_timer_that_was_lost(client, factory, login, charger, clock):
    a, b = factory.user(email="a@example.com"), factory.user(email="b@example.com")
    login(a)
    held = hold(client, charger.connectors[0])
    client.post("/logout")
    login(b)
    confirmed = confirmed_booking(client, charger.connectors[1])
    clock.advance(hours=1)
    timers.backend()._heap.clear()  # the jobs were lost (restart)
    bookings.sweep()
    assert status_of(held) == "EXPIRED" and status_of(confirmed) == "NO_SHOW"
    assert db.session.get(Booking, confirmed).amount_captured == 2000


@pytest.fixture
def app_overrides(request):
    return getattr(request, "param", {})


@pytest.mark.parametrize("app_overrides", [{"HOLD_SECONDS": 30, "ARRIVAL_GRACE_SECONDS": 45,
                                            "EXIT_GRACE_SECONDS": 20}], indirect=True)
def test_seconds_settings_win_over_minutes(client, driver, charger, clock):
    booking_id = hold(client, charger.connectors[0])
    b = db.session.get(Booking, booking_id)
    assert b.hold_expires_at == clock.now + timedelta(seconds=30)
    assert timers.duration("ARRIVAL_GRACE") == timedelta(seconds=45)
    assert timers.duration("EXIT_GRACE") == timedelta(seconds=20) and timers.describe(timedelta(seconds=20)) == "20 s"


@pytest.mark.parametrize("app_overrides", [{"HOLD_SECONDS": 1}], indirect=True)
def test_embedded_scheduler_thread_runs_the_expiry_by_itself(app, client, driver, charger):
    booking_id = hold(client, charger.connectors[0])
    db.session.commit()
    timers.start_embedded(app)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            db.session.rollback()
            note = db.session.execute(select(Notification.id).where(Notification.kind == "hold_expired")).first()
            if note:
                break
            db.session.commit()
            time.sleep(0.2)
        assert status_of(booking_id) == "EXPIRED" and note is not None
        db.session.commit()
    finally:
        timers.backend().stop()
