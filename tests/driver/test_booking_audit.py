"""The driver's booking changes are audited by the services that make them: who (the driver, or nobody for a
timer) and through what (the app, a job), in the same transaction; a refused change writes no entry."""
import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Booking
from webapp.services.booking import bookings
from webapp.services.errors import Conflict

from .conftest import confirmed_booking, hold, pay


def entries(booking_id):
    db.session.expire_all()
    return [(e.action, e.user_id, e.via, e.before and e.before["status"], e.after["status"])
            for e in db.session.execute(select(AuditLog).where(AuditLog.target_type == "booking",
                                                               AuditLog.target_id == str(booking_id))
                                        .order_by(AuditLog.id)).scalars()]


def test_hold_pay_cancel_through_the_app_are_the_drivers(client, driver, charger, link):
    booking_id = confirmed_booking(client, charger.connectors[0])
    assert client.post(f"/bookings/{booking_id}/cancel").status_code == 303
    assert entries(booking_id) == [("booking.hold", driver.id, "app", None, "HELD"),
                                   ("booking.pay", driver.id, "app", "HELD", "CONFIRMED"),
                                   ("booking.cancel", driver.id, "app", "CONFIRMED", "CANCELLED")]
    entry = db.session.execute(select(AuditLog).where(AuditLog.action == "booking.pay")).scalar_one()
    assert entry.after["quota_kwh"] == 10 and entry.after["amount_authorised"] > 0 and entry.after["method"] == "card"


def test_a_refused_change_writes_no_entry(client, driver, charger, link):
    booking_id = hold(client, charger.connectors[0])
    assert pay(client, booking_id, method="cheque").status_code in (303, 422)
    assert client.post(f"/bookings/{booking_id}/rate", data={"stars": "5"}).status_code in (303, 409)
    assert [e[0] for e in entries(booking_id)] == ["booking.hold"]
    assert db.session.get(Booking, booking_id).status == "HELD"


@pytest.mark.both_dbs
def test_timers_are_audited_as_jobs_with_no_user(client, driver, charger, clock, run_jobs):
    booking_id = hold(client, charger.connectors[0])
    clock.advance(minutes=10, seconds=1)
    run_jobs(clock.now)
    assert entries(booking_id)[-1] == ("booking.expire", None, "job", "HELD", "EXPIRED")
    run_jobs(clock.advance(seconds=30))  # once: the entry is for the change, not for each look at it
    assert [e[0] for e in entries(booking_id)].count("booking.expire") == 1


@pytest.mark.both_dbs
def test_an_expiry_seen_by_a_read_is_the_systems_through_that_channel(client, driver, charger, clock):
    booking_id = hold(client, charger.connectors[0])
    clock.advance(minutes=10, seconds=1)
    assert client.get(f"/bookings/{booking_id}").status_code == 200
    assert entries(booking_id)[-1][:3] == ("booking.expire", None, "app")


def test_no_show_is_audited_once_with_its_fee(client, driver, charger, clock, link, run_jobs):
    booking_id = confirmed_booking(client, charger.connectors[0])
    clock.advance(minutes=31)
    run_jobs(clock.now)
    no_shows = [e for e in entries(booking_id) if e[0] == "booking.no_show"]
    assert no_shows == [("booking.no_show", None, "job", "CONFIRMED", "NO_SHOW")]


def test_start_and_stop_from_the_phone(client, driver, charging):
    booking_id, _tx = charging
    assert client.post(f"/bookings/{booking_id}/stop").status_code == 303
    actions = [(a, user, via) for a, user, via, _, _ in entries(booking_id)]
    assert ("booking.start", driver.id, "app") in actions and actions[-1] == ("booking.stop", driver.id, "app")


def test_the_sweep_flags_a_stuck_session_as_a_job(app, client, driver, charging, clock):
    from jobs import sweep

    booking_id, _tx = charging
    clock.advance(minutes=app.config["STUCK_SESSION_MINUTES"] + 1)  # the charger has been silent since
    sweep.run()
    sweep.run()
    stuck = [e for e in entries(booking_id) if e[0] == "booking.stuck"]
    assert stuck == [("booking.stuck", None, "job", "CHARGING", "CHARGING")]


def test_a_declined_payment_or_a_lost_race_writes_no_entry(client, driver, charger, factory, link):
    booking_id = hold(client, charger.connectors[0])
    assert pay(client, booking_id, details="4000 0000 0000 0002").status_code == 402  # declined: said under the card number, try again
    assert [e[0] for e in entries(booking_id)] == ["booking.hold"]
    with pytest.raises(Conflict):  # the connector is taken: the loser's hold rolls back, its entry with it
        bookings.place_hold(factory.user(), charger.connectors[0].id)
    db.session.rollback()
    assert len(db.session.execute(select(AuditLog).where(AuditLog.action == "booking.hold")).scalars().all()) == 1
