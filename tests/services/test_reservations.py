"""Reservation rules in the services, on SQLite and PostgreSQL: moving a refused booking keeps one live booking
per connector, take-over and refusals charge nothing, the charger's reservation is cancelled when a hold
ends, and the arrival grace keeps a booking whose Start was pressed in time."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Booking, Notification, Payment
from webapp.services.booking import bookings, reservations
from webapp.services.platform import timers
from webapp.services.errors import Conflict, InvalidInput, NotFound
from webapp.timeutil import utcnow


def jobs(name):
    return [args for _, func, args in timers.backend().pending() if func == name]


def refused_hold(factory, charger, status="Occupied"):
    driver = factory.user()
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    booking.reservation_status = status
    db.session.commit()
    return driver, booking


def test_hold_sends_reserve_now_at_once_and_a_charger_without_the_profile_gets_none(app, factory):
    charger = factory.charger()
    booking = bookings.place_hold(factory.user(), charger.connectors[0].id)
    assert (booking.reservation_id, booking.reservation_status) == (booking.id, "pending")
    assert jobs("jobs.charging.reserve") == [(booking.id,)]
    plain = factory.charger(supports_reservation=False)
    other = bookings.place_hold(factory.user(), plain.connectors[0].id)
    assert (other.reservation_id, other.reservation_status) == (None, "none")


def test_move_to_a_free_connector_and_the_loser_of_a_race_gets_conflict(app, factory):
    charger = factory.charger(connectors=3)
    driver, booking = refused_hold(factory, charger)
    bookings.place_hold(factory.user(), charger.connectors[1].id)  # connector 2 is taken (still "Available")
    with pytest.raises(Conflict, match="just taken"):
        reservations.move(driver, booking.id, charger.connectors[1].id)
    assert db.session.get(Booking, booking.id).connector_id == charger.connectors[0].id
    elsewhere = factory.charger()
    with pytest.raises(InvalidInput, match="same station"):
        reservations.move(driver, booking.id, elsewhere.connectors[0].id)
    with pytest.raises(NotFound):
        reservations.move(factory.user(), booking.id, charger.connectors[2].id)
    moved = reservations.move(driver, booking.id, charger.connectors[2].id)
    assert moved.connector_id == charger.connectors[2].id and moved.reservation_status == "pending"
    assert jobs("jobs.charging.reserve")[-1] == (booking.id,)
    with pytest.raises(Conflict, match="nothing to move"):
        reservations.move(driver, booking.id, charger.connectors[0].id)


def test_two_refused_bookings_racing_for_one_connector_leave_one_on_it(app, factory):
    charger = factory.charger(connectors=3)
    first = refused_hold(factory, charger)
    booking = bookings.place_hold(factory.user(), charger.connectors[1].id)
    booking.reservation_status = "Rejected"
    contenders = [(first[0].id, first[1].id), (booking.user_id, booking.id)]
    target = charger.connectors[2].id
    db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def attempt(user_id, booking_id):
        from webapp.models import User

        with app.app_context():
            user = db.session.get(User, user_id)
            db.session.commit()
            barrier.wait()
            try:
                reservations.move(user, booking_id, target)
                outcomes.append("moved")
            except Conflict as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=c) for c in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["Sorry, that connector was just taken. Choose another one.", "moved"]
    on_target = db.session.execute(select(Booking).where(Booking.connector_id == target)).scalars().all()
    assert len(on_target) == 1


def test_take_over_of_a_paid_booking_voids_it_and_tells_the_driver(app, factory):
    charger = factory.charger()
    driver = factory.user()
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    bookings.pay(driver, booking.id, 10, "card", "4242 4242 4242 4242", "k-take-over-1")
    with pytest.raises(InvalidInput):
        reservations.take_over(booking.id, "  ")
    reservations.take_over(booking.id, "cable inspection")
    booking = db.session.get(Booking, booking.id)
    assert booking.status == "CANCELLED" and booking.amount_captured == 0
    kinds = [p.kind for p in db.session.execute(select(Payment).where(Payment.booking_id == booking.id)).scalars()]
    assert kinds == ["authorise", "void"]
    assert jobs("jobs.charging.cancel_reservation") == [(booking.id,)]
    [note] = db.session.execute(select(Notification).where(Notification.kind == "booking_taken_over")).scalars()
    assert "cable inspection" in note.body and note.user_id == driver.id
    with pytest.raises(Conflict):
        reservations.take_over(booking.id, "again")


def test_pay_is_refused_while_the_reservation_is_refused(app, factory):
    charger = factory.charger()
    driver, booking = refused_hold(factory, charger, "Unavailable")
    with pytest.raises(Conflict, match="could not reserve"):
        bookings.pay(driver, booking.id, 10, "card", "4242 4242 4242 4242", "k-refused-1")
    assert db.session.execute(select(Payment)).first() is None


def test_expired_hold_cancels_the_reservation_once(app, factory):
    charger = factory.charger()
    booking = bookings.place_hold(factory.user(), charger.connectors[0].id)
    booking.reservation_status = "Accepted"
    booking.hold_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert bookings.expire_hold(booking.id) and bookings.expire_hold(booking.id)
    assert jobs("jobs.charging.cancel_reservation") == [(booking.id,)]


def test_a_start_pressed_in_time_keeps_the_booking_for_the_connection_window(app, factory):
    charger = factory.charger()
    driver = factory.user()
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    bookings.pay(driver, booking.id, 10, "card", "4242 4242 4242 4242", "k-window-1")
    now = utcnow()
    booking.arrive_by, booking.start_requested_at = now - timedelta(seconds=5), now - timedelta(seconds=6)
    db.session.commit()
    bookings.expire_stale(user_id=driver.id)
    assert bookings.arrival_grace(booking.id) is False  # re-scheduled to the end of the window
    assert db.session.get(Booking, booking.id).status == "CONFIRMED"
    due = [at for at, func, args in timers.backend().pending() if func == "jobs.bookings.arrival_grace"]
    assert booking.start_requested_at + timedelta(seconds=app.config["START_CONNECT_SECONDS"]) in due
    booking.start_requested_at = now - timedelta(seconds=app.config["START_CONNECT_SECONDS"] + 1)
    db.session.commit()
    bookings.expire_stale(user_id=driver.id)
    db.session.commit()
    assert db.session.get(Booking, booking.id).status == "NO_SHOW"
