"""Staff and booked slots (issue 16 point 5): moving a slot (the database decides a clash), cancelling one with
everything released and the driver told, and maintenance windows over booked slots (warn, then on confirm
cancel, release and notify). Audited. Runs on SQLite and PostgreSQL (tests/services)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog, Booking, MaintenanceWindow, Notification, Payment
from webapp.services.booking import slot_day, slot_pay, slot_staff, slots
from webapp.services.errors import Conflict, InvalidInput, StationClosed
from webapp.services.fleet import maintenance
from webapp.timeutil import utcnow

CARD = "4242 4242 4242 4242"


def tomorrow_at(hour: int, minute: int = 0):
    return (utcnow() + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.fixture
def station(factory):
    station = factory.station(timezone="Asia/Kolkata")
    factory.charger(station=station, connectors=2, online=False)
    return station


def booked(factory, station, start, minutes=60, connector_id=None, paid=True) -> Booking:
    driver = factory.user()
    booking = slots.book_slot(driver, station.id, start, minutes=minutes, connector_id=connector_id)
    if paid:
        booking = slot_pay.pay_slot(driver, booking.id, 10, "card", CARD, f"pay-{booking.id}")
        assert booking.status == "SCHEDULED"
    return booking


def entries(action):
    return db.session.execute(select(AuditLog).where(AuditLog.action == action)).scalars().all()


def notes(user_id, kind):
    return db.session.execute(select(Notification).where(Notification.user_id == user_id,
                                                         Notification.kind == kind)).scalars().all()


def test_move_to_a_free_time_keeps_length_and_payment_and_tells_the_driver(app, factory, station):
    slot = booked(factory, station, tomorrow_at(10))
    authorised = slot.amount_authorised
    moved = slot_staff.move(slot.id, tomorrow_at(12, 30), slot.connector_id, "cable swap at 10")
    assert (moved.slot_start, moved.slot_end) == (tomorrow_at(12, 30), tomorrow_at(13, 30))
    assert moved.slot_clear_at == tomorrow_at(13, 40) and moved.arrive_by > moved.slot_start
    assert moved.status == "SCHEDULED" and moved.amount_authorised == authorised
    entry = entries("booking.slot_move")[0]
    assert entry.after["reason"] == "cable swap at 10" and entry.after["slot_start"] == tomorrow_at(12, 30).isoformat()
    note = notes(moved.user_id, "slot_moved")[0]
    assert "(Asia/Kolkata)" in note.body and "18:00" in note.body  # 12:30 UTC on the station's clock


def test_move_onto_another_slot_is_refused_and_changes_nothing(app, factory, station):
    first = booked(factory, station, tomorrow_at(10))
    second = booked(factory, station, tomorrow_at(10), connector_id=[c.id for c in station.chargers[0].connectors
                                                                     if c.id != first.connector_id][0])
    with pytest.raises(Conflict, match="not free then") as refused:
        slot_staff.move(second.id, tomorrow_at(10, 45), first.connector_id, "swap")
    assert refused.value.details["field"] == "starts_at" and refused.value.status == 409
    with pytest.raises(Conflict):  # 11:00 is inside the first slot's changeover
        slot_staff.move(second.id, tomorrow_at(11), first.connector_id, "swap")
    db.session.rollback()
    again = db.session.get(Booking, second.id)
    assert (again.connector_id, again.slot_start) != (first.connector_id, tomorrow_at(10, 45))
    assert entries("booking.slot_move") == []
    assert slot_staff.move(second.id, tomorrow_at(11, 15), first.connector_id, "swap").connector_id == first.connector_id


def test_the_database_refuses_a_clashing_move_the_check_missed(app, factory, station, backend, monkeypatch):
    """PostgreSQL: even with the service's own check switched off, the exclusion constraint gives a 409."""
    if backend != "postgresql":
        pytest.skip("SQLite has no exclusion constraint; its check and update share one IMMEDIATE transaction")
    first = booked(factory, station, tomorrow_at(10))
    second = booked(factory, station, tomorrow_at(14), connector_id=first.connector_id)
    monkeypatch.setattr(slots, "_clashes", lambda *a: False)
    with pytest.raises(Conflict, match="just booked"):
        slot_staff.move(second.id, tomorrow_at(10, 30), first.connector_id, "swap")
    db.session.rollback()
    assert db.session.get(Booking, second.id).slot_start == tomorrow_at(14)


@pytest.mark.parametrize("when, error, message", [
    (lambda: tomorrow_at(10, 7), InvalidInput, "every 15 minutes"),
    (lambda: utcnow().replace(second=0, microsecond=0, minute=0) - timedelta(hours=1), InvalidInput, "has passed"),
])
def test_move_refuses_a_bad_time(app, factory, station, when, error, message):
    slot = booked(factory, station, tomorrow_at(10))
    with pytest.raises(error, match=message) as refused:
        slot_staff.move(slot.id, when(), slot.connector_id, "swap")
    assert refused.value.details["field"] == "starts_at"


def test_move_refuses_closed_hours_and_another_stations_connector(app, factory):
    station = factory.station(timezone="Asia/Kolkata", always_open=False,
                              opening_hours={d: [["08:00", "20:00"]] for d in
                                             ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    factory.charger(station=station, connectors=1, online=False)
    slot = booked(factory, station, tomorrow_at(4))  # 09:30 IST
    with pytest.raises(StationClosed) as closed:
        slot_staff.move(slot.id, tomorrow_at(15), slot.connector_id, "swap")  # 20:30 IST
    assert closed.value.details["field"] == "starts_at"
    elsewhere = factory.charger(connectors=1)
    with pytest.raises(InvalidInput, match="connector in service") as wrong:
        slot_staff.move(slot.id, tomorrow_at(5), elsewhere.connectors[0].id, "swap")
    assert wrong.value.details["field"] == "connector_id"
    with pytest.raises(InvalidInput, match="Give a reason"):
        slot_staff.move(slot.id, tomorrow_at(5), slot.connector_id, "  ")


def test_cancel_releases_everything_and_tells_the_driver(app, factory, station):
    slot = booked(factory, station, tomorrow_at(10))
    assert slot.amount_authorised > 0
    cancelled = slot_staff.cancel(slot.id, "charger damaged")
    assert cancelled.status == "CANCELLED" and cancelled.amount_captured == 0
    assert cancelled.amount_refunded == cancelled.amount_authorised > 0
    kinds = {(p.kind, p.status) for p in db.session.execute(select(Payment).where(Payment.booking_id == slot.id)).scalars()}
    assert ("void", "succeeded") in kinds or ("refund", "succeeded") in kinds, kinds
    assert "whole pre-authorisation was released" in notes(slot.user_id, "slot_cancelled")[0].body
    assert entries("booking.slot_cancel")[0].after["reason"] == "charger damaged"
    with pytest.raises(Conflict, match="cancelled"):
        slot_staff.cancel(slot.id, "again")
    assert len(entries("booking.slot_cancel")) == 1
    assert slots.book_slot(factory.user(), station.id, tomorrow_at(10), minutes=60,
                           connector_id=slot.connector_id).status == "SLOT_HELD"  # the time is free again


def test_upcoming_and_day_view(app, factory, station):
    a = booked(factory, station, tomorrow_at(10))
    b = booked(factory, station, tomorrow_at(8), paid=False)
    db.session.add(MaintenanceWindow(station_id=station.id, starts_at=tomorrow_at(16), ends_at=tomorrow_at(17)))
    db.session.commit()
    assert [s.id for s in slot_staff.upcoming_at_station(station)] == [b.id, a.id]
    day = slot_day.day(station, (tomorrow_at(10) + timedelta(hours=5, minutes=30)).date())
    assert len(day.hours) == 24 and len(day.rows) == 2
    kinds = {i.kind for row in day.rows for i in row.items}
    assert kinds == {"slot", "unpaid", "maintenance"}
    row = next(r for r in day.rows if r.connector.id == a.connector_id)
    local_hour = (tomorrow_at(10) + timedelta(hours=5, minutes=30)).hour  # 15:30 IST falls in the 15:00 hour
    assert any(i.booking is not None and i.booking.id == a.id for i in row.cells[local_hour])


def test_a_dst_day_has_twenty_three_hours(app, factory):
    station = factory.station(timezone="Europe/Berlin")
    factory.charger(station=station, connectors=1, online=False)
    assert len(slot_day.day(station, date(2026, 3, 29)).hours) == 23
    assert len(slot_day.day(station, date(2026, 10, 25)).hours) == 25


def test_maintenance_over_booked_slots_warns_then_cancels_on_confirm(app, factory, station):
    inside = booked(factory, station, tomorrow_at(10))
    unpaid = booked(factory, station, tomorrow_at(11), paid=False)
    outside = booked(factory, station, tomorrow_at(14))
    with pytest.raises(maintenance.SlotsOverlap) as warned:
        maintenance.schedule(station.id, None, tomorrow_at(9, 30), tomorrow_at(12), "new cable", None)
    assert sorted(warned.value.details["slot_ids"]) == sorted([inside.id, unpaid.id])
    assert db.session.execute(select(MaintenanceWindow)).first() is None  # nothing written
    assert db.session.get(Booking, inside.id).status == "SCHEDULED"

    later = booked(factory, station, tomorrow_at(11, 30), connector_id=inside.connector_id)  # booked meanwhile
    with pytest.raises(maintenance.SlotsOverlap):  # confirming the old list is not enough
        maintenance.schedule(station.id, None, tomorrow_at(9, 30), tomorrow_at(12), "new cable", None,
                             confirmed_slots={inside.id, unpaid.id})
    window = maintenance.schedule(station.id, None, tomorrow_at(9, 30), tomorrow_at(12), "new cable", None,
                                  confirmed_slots={inside.id, unpaid.id, later.id})
    for b in (inside, unpaid, later):
        row = db.session.get(Booking, b.id)
        db.session.refresh(row)
        assert (row.status, row.end_reason, row.amount_captured) == ("CANCELLED", "maintenance", 0)
        assert "new cable" in notes(b.user_id, "slot_cancelled")[0].body
    paid = db.session.get(Booking, inside.id)
    assert paid.amount_refunded == paid.amount_authorised > 0  # released in full, nothing captured
    assert db.session.get(Booking, outside.id).status == "SCHEDULED"
    assert len(entries("booking.slot_cancel")) == 3
    assert set(entries("maintenance.schedule")[0].after["slots_cancelled"]) == {inside.id, unpaid.id, later.id}
    with pytest.raises(Conflict):  # the window now keeps the time from new slots
        slots.book_slot(factory.user(), station.id, tomorrow_at(10), minutes=60)
    assert window.state == "scheduled"


def test_maintenance_without_booked_slots_does_not_warn(app, factory, station):
    booked(factory, station, tomorrow_at(14))
    window = maintenance.schedule(station.id, None, tomorrow_at(9), tomorrow_at(12), "new cable", None)
    assert window.id and entries("booking.slot_cancel") == []


def test_a_moved_slot_gets_its_timers_at_the_new_times(app, factory, station, monkeypatch):
    """Moved earlier, a slot's start, reminder, ReserveNow and arrival grace run at the new times (the old jobs,
    firing later, re-check and do nothing): otherwise the old start would find the new arrival deadline passed."""
    from webapp.services.booking import slot_life
    from webapp.services.platform import timers

    slot = booked(factory, station, tomorrow_at(12))
    planned = []
    monkeypatch.setattr(timers, "schedule", lambda job, at, *args, **kw: planned.append((job, at, args)))
    moved = slot_staff.move(slot.id, tomorrow_at(9), slot.connector_id, "earlier: the 12:00 crew is off")
    due = {job: at for job, at, args in planned if args == (moved.id,)}
    for job, at in slot_life.moments(moved).items():
        assert due.get(job) == max(at, utcnow()), f"{job} planned for the moved slot"
    assert due["jobs.bookings.arrival_grace"] == moved.arrive_by == tomorrow_at(9) + timers.duration("ARRIVAL_GRACE")
