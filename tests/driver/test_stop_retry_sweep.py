"""The edges of the retried stop and the stuck sweep on a frozen clock: a retry lost in a restart is re-armed
by the sweep; MeterValues past the quota never add a stop; a finished booking whose connector is never
freed is flagged once; a driver's stop that the charger rejects keeps being retried; force-finish refuses
a booking that is not running."""

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Booking, ChargingSession, Notification
from webapp.services.booking import bookings
from webapp.services.charging import stuck
from webapp.services.platform import timers
from webapp.services.errors import Conflict, InvalidInput

from .flow import meter, status, stop_tx


@pytest.fixture
def staff(factory, charger):
    user = factory.user(role="operator", email="op@example.com")
    user.stations = [charger.station]
    db.session.commit()
    return user


def stops(link) -> int:
    return link.actions().count("RemoteStopTransaction")


def session(tx) -> ChargingSession:
    db.session.expire_all()
    return db.session.get(ChargingSession, tx)


def test_meter_values_past_the_quota_add_no_stop_and_a_lost_retry_is_rearmed_by_the_sweep(
        charging, link, clock, run_jobs, app):
    booking_id, tx = charging
    link.answers["RemoteStopTransaction"] = {"status": "Rejected"}
    clock.advance(minutes=30)
    meter(tx, 1_010_100, 22000)
    for wh in (1_010_200, 1_010_300, 1_010_400):  # the charger keeps metering past the quota
        clock.advance(seconds=1)
        meter(tx, wh, 22000)
    run_jobs(clock.now)
    assert stops(link) == 1 and session(tx).stop_attempts == 1
    timers.backend()._heap.clear()  # a restart loses the scheduled retry
    clock.advance(seconds=app.config["QUOTA_STOP_RETRY_SECONDS"])
    bookings.sweep()
    assert stops(link) == 1  # not yet lost: a chain would still be waiting on a slow charger
    clock.advance(seconds=app.config["QUOTA_STOP_RETRY_SECONDS"] + app.config["OCPP_CALL_TIMEOUT"] + 1)
    bookings.sweep()
    assert stops(link) == 2 and session(tx).stop_attempts == 2
    bookings.sweep()  # the re-armed chain is the only one
    run_jobs(clock.now)
    assert stops(link) == 2
    clock.advance(seconds=app.config["QUOTA_STOP_RETRY_SECONDS"])
    run_jobs(clock.now)
    assert stops(link) == 3
    link.answers.pop("RemoteStopTransaction")
    clock.advance(seconds=app.config["QUOTA_STOP_RETRY_SECONDS"])
    run_jobs(clock.now)
    assert stops(link) == 4 and session(tx).stop_escalated_at is not None
    stop_tx(tx, 1_010_450)
    clock.advance(minutes=5)
    run_jobs(clock.now)
    assert stops(link) == 4  # stopped: the chain ends


def test_a_driver_stop_the_charger_rejects_is_retried(client, charging, link, clock, run_jobs, app):
    booking_id, tx = charging
    link.answers["RemoteStopTransaction"] = {"status": "Rejected"}
    response = client.post(f"/bookings/{booking_id}/stop", follow_redirects=True)
    assert "did not accept the stop yet; we keep asking" in response.get_data(as_text=True)
    link.answers.pop("RemoteStopTransaction")
    clock.advance(seconds=app.config["QUOTA_STOP_RETRY_SECONDS"])
    run_jobs(clock.now)
    assert stops(link) == 2 and session(tx).stop_reason_requested == "driver"


def test_a_finished_booking_whose_connector_is_never_freed_is_flagged_once(charging, staff, clock, app):
    booking_id, tx = charging
    stop_tx(tx, 1_002_000, reason="Local")
    status("Finishing")
    charger = db.session.get(Booking, booking_id).connector.charger

    def heartbeat():  # the charger itself is fine and heartbeating
        charger.last_seen = clock.now
        db.session.commit()

    clock.advance(minutes=app.config["EXIT_GRACE_MINUTES"] + 29)
    heartbeat()
    assert stuck.flag_stuck() == []
    clock.advance(minutes=2)
    heartbeat()
    assert stuck.flag_stuck() == [booking_id]
    assert stuck.flag_stuck() == []
    note = db.session.execute(select(Notification).where(Notification.kind == "session_stuck")).scalar_one()
    assert note.user_id == staff.id and "not freed" in note.body


def test_force_finish_needs_a_reason_and_a_running_booking(client, charger, driver, link, charging, clock):
    booking_id, tx = charging
    with pytest.raises(InvalidInput):
        stuck.force_finish(booking_id, "  ")
    clock.advance(minutes=1)
    meter(tx, 1_000_700, 22000)
    stuck.force_finish(booking_id, "charger silent")
    b = db.session.get(Booking, booking_id)
    assert b.status == "COMPLETED" and session(tx).meter_stop == 1_000_700
    with pytest.raises(Conflict, match="completed"):
        stuck.force_finish(booking_id, "again")
    assert sum(1 for p in b.payments if p.kind == "capture") == 1


def test_another_stations_operator_cannot_force_finish(app, charging, factory):
    from tests.admin.conftest import client_as

    booking_id, _ = charging
    stranger = factory.user(role="operator", email="other-op@example.com")
    response = client_as(app, stranger).post(f"/admin/bookings/{booking_id}/force-finish",
                                             data={"reason": "not mine"})
    assert response.status_code == 403
    assert db.session.get(Booking, booking_id).status == "CHARGING"
