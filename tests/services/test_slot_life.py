"""A slot's start when its connector or its driver is still busy, the scan that starts a due slot itself,
the connector kept for the slot before its start, the unpaid slot's expiry job, a refused ReserveNow, and the
sweep starting a slot whose job was lost (issue 16 point 4)."""
import importlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.slots import paid_slot, unpaid_slot
from webapp.extensions import db
from webapp.models import Booking, Notification
from webapp.services.booking import bookings, reservations, scan, slot_life, slot_limits
from webapp.services.charging import transactions
from webapp.services.fleet import qr
from webapp.timeutil import utcnow

MODULES = ("webapp.services.booking.slot_life", "webapp.services.booking.bookings",
           "webapp.services.booking.releases", "webapp.services.booking.slot_gaps",
           "webapp.services.booking.slot_limits", "webapp.services.charging.transactions",
           "webapp.services.fleet.availability", "webapp.services.reports.history")


@pytest.fixture
def clock(monkeypatch):
    now = [utcnow()]
    for name in MODULES:
        monkeypatch.setattr(importlib.import_module(name), "utcnow", lambda: now[0])
    return now


@pytest.fixture
def connector(factory):
    return factory.charger(connectors=1).connectors[0]


def live(user, connector, status="FINISHING") -> Booking:
    """A live booking of `user` on `connector` (a session finishing there: the cable is still in)."""
    booking = Booking(user_id=user.id, connector_id=connector.id, status=status, hold_expires_at=utcnow())
    db.session.add(booking)
    db.session.commit()
    return booking


def kinds(user_id):
    return [k for k in db.session.execute(select(Notification.kind).where(Notification.user_id == user_id)
                                          .order_by(Notification.id)).scalars()]


def test_a_slot_waits_for_another_drivers_booking_then_starts(app, factory, connector, clock):
    driver, before = factory.user(), factory.user()
    slot = paid_slot(driver, connector, timedelta(minutes=30))
    ahead = live(before, connector)  # the connector's previous booking, still live
    clock[0] = slot.slot_start + timedelta(seconds=1)
    assert slot_life.start(slot.id) is False
    assert db.session.get(Booking, slot.id).status == "SCHEDULED" and "slot_waiting" in kinds(driver.id)
    ahead = db.session.get(Booking, ahead.id)
    ahead.status = "COMPLETED"  # the previous driver leaves
    db.session.commit()
    clock[0] += slot_life.START_RETRY
    assert slot_life.start(slot.id) is True
    booking = db.session.get(Booking, slot.id)
    assert booking.status == "CONFIRMED" and "slot_started" in kinds(driver.id)


def test_a_connector_still_taken_when_the_grace_ends_releases_the_slot_free(app, factory, connector, clock):
    driver = factory.user()
    slot = paid_slot(driver, connector, timedelta(minutes=30))
    live(factory.user(), connector)
    clock[0] = slot.arrive_by + timedelta(seconds=1)
    assert slot_life.start(slot.id) is True
    booking = db.session.get(Booking, slot.id)
    assert booking.status == "CANCELLED" and booking.amount_captured == 0
    assert booking.amount_refunded == booking.amount_authorised


def test_a_driver_busy_elsewhere_all_through_the_grace_is_a_no_show(app, factory, connector, clock):
    driver = factory.user()
    slot = paid_slot(driver, connector, timedelta(minutes=30))
    elsewhere = factory.charger(connectors=1).connectors[0]
    live(driver, elsewhere, "CHARGING")  # the driver's own other live booking
    clock[0] = slot.slot_start + timedelta(seconds=1)
    assert slot_life.start(slot.id) is False
    assert "slot_waiting" not in kinds(driver.id)  # nobody else is in the way
    clock[0] = slot.arrive_by + timedelta(seconds=1)
    slot_life.start(slot.id)
    booking = db.session.get(Booking, slot.id)
    assert booking.status == "NO_SHOW" and booking.amount_captured == 2000


def test_a_scan_at_the_slot_start_does_not_wait_for_the_job(app, factory, connector, clock, monkeypatch):
    monkeypatch.setattr("webapp.services.booking.scan.bookings.expire_stale", lambda **kw: None)
    driver = factory.user()
    slot = paid_slot(driver, connector, timedelta(minutes=30))
    early = scan.check(driver, qr.token_for(connector))
    assert early.can_start is False and "starts at" in early.problem and "Scan again then." in early.problem
    clock[0] = slot.slot_start + timedelta(seconds=1)
    result = scan.check(driver, qr.token_for(connector))
    assert result.can_start is True and result.booking.id == slot.id
    assert db.session.get(Booking, slot.id).status == "CONFIRMED"


def test_the_connector_is_kept_for_the_slot_from_the_changeover(app, factory, connector, clock):
    """A staff card may start a service session on a free connector, but not once the slot's protection has
    begun (the longer of SLOT_RESERVE_AHEAD and the changeover before the start)."""
    staff = factory.user(role="admin")
    slot = paid_slot(factory.user(), connector, timedelta(minutes=30))
    charger = connector.charger
    assert transactions.id_tag_status(charger, staff.id_tag, 1)[0] == "Accepted"
    clock[0] = slot.slot_start - timedelta(minutes=10, seconds=-1)  # inside the 10-minute changeover
    assert transactions.id_tag_status(charger, staff.id_tag, 1)[0] == "Invalid"


def test_an_unpaid_slot_expires_by_its_job_and_the_driver_is_told(app, factory, connector, clock):
    driver = factory.user()
    slot = unpaid_slot(driver, connector, timedelta(hours=2))
    paid = paid_slot(factory.user(), connector, timedelta(hours=4))
    assert slot_limits.expire_unpaid(slot.id) is False  # early: re-scheduled
    clock[0] = slot.hold_expires_at + timedelta(seconds=1)
    assert slot_limits.expire_unpaid(slot.id) is True
    assert db.session.get(Booking, slot.id).status == "EXPIRED" and kinds(driver.id) == ["slot_expired"]
    assert slot_limits.expire_unpaid(paid.id) is False and db.session.get(Booking, paid.id).status == "SCHEDULED"


def test_a_refused_reservation_is_told_and_sent_again_at_the_start(app, factory, connector, clock):
    driver = factory.user()
    slot = paid_slot(driver, connector, timedelta(minutes=30))
    clock[0] = slot.slot_start - timedelta(minutes=5)
    assert slot_life.reserve(slot.id) is True
    assert db.session.get(Booking, slot.id).reservation_status == "pending"
    reservations.record_answer(slot.id, connector.id, "Occupied")
    db.session.commit()
    note = db.session.execute(select(Notification).where(Notification.kind == "reservation_refused")).scalar_one()
    assert "We ask the charger again when your slot starts" in note.body
    clock[0] = slot.slot_start
    assert slot_life.start(slot.id) is True
    booking = db.session.get(Booking, slot.id)
    assert booking.status == "CONFIRMED" and booking.reservation_status == "pending"


def test_the_sweep_starts_a_slot_whose_job_was_lost(app, factory, connector, clock):
    slot = paid_slot(factory.user(), connector, timedelta(minutes=30))
    clock[0] = slot.slot_start + timedelta(seconds=5)
    bookings.sweep()
    assert db.session.get(Booking, slot.id).status == "CONFIRMED"
