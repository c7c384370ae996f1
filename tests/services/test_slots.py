"""Slots booked ahead (issue 16): no overlaps under a race, overnight and DST days, changeover, maintenance."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Booking, MaintenanceWindow
from webapp.services.booking import slots
from webapp.services.errors import Conflict, StationClosed
from webapp.timeutil import UTC

from ..support.races import race

NOW = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # a Friday; Berlin's clocks go forward on Sunday 29 March
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    for module in ("slots", "slot_gaps", "slot_pay", "bookings"):
        monkeypatch.setattr(f"webapp.services.booking.{module}.utcnow", lambda: NOW)


def station_with(factory, hours_text=None, tz="Asia/Kolkata", connectors=1):
    kw = {"always_open": True} if hours_text is None else {
        "always_open": False, "opening_hours": {d: [hours_text.split("-")] for d in EVERY_DAY}}
    station = factory.station(timezone=tz, **kw)
    charger = factory.charger(station=station, connectors=connectors, online=False)
    return station, charger


def local(tz, *args):
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def test_twenty_four_attempts_at_one_slot_leave_one(app, factory):
    station_id = station_with(factory)[0].id
    users = [factory.user().id for _ in range(24)]
    start = NOW + timedelta(hours=3)
    db.session.commit()  # SQLite: a reading transaction would hold the write lock
    outcomes = race(app, users, lambda user: slots.book_slot(user, station_id, start, minutes=60), Conflict)
    assert outcomes.count("won") == 1, outcomes
    assert sorted(o.status for o in outcomes if o != "won") == [409] * 23
    assert db.session.execute(select(func.count(Booking.id)).where(Booking.slot_start.is_not(None))).scalar_one() == 1


def test_overlap_is_refused_by_the_database_itself(app, factory, backend):
    """Not only the service's check: two rows whose ranges overlap cannot both be live slots."""
    if backend != "postgresql":
        pytest.skip("SQLite has no exclusion constraints; its transactions are serialised instead")
    _, charger = station_with(factory)
    user_a, user_b = factory.user(), factory.user()
    start = NOW + timedelta(hours=2)
    for user, offset in ((user_a, 0), (user_b, 30)):
        s = start + timedelta(minutes=offset)
        db.session.add(Booking(user_id=user.id, connector_id=charger.connectors[0].id, status="SCHEDULED",
                               hold_expires_at=NOW, slot_start=s, slot_end=s + timedelta(hours=1),
                               slot_clear_at=s + timedelta(hours=1, minutes=10)))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="ex_bookings_slot_overlap"):
        db.session.commit()
    db.session.rollback()


def test_changeover_margin_and_second_connector(app, factory):
    station, charger = station_with(factory, connectors=2)
    a, b, c = factory.user(), factory.user(), factory.user()
    start = NOW + timedelta(hours=2)
    first = slots.book_slot(a, station.id, start, minutes=60)
    second = slots.book_slot(b, station.id, start + timedelta(minutes=60), minutes=60)
    assert second.connector_id != first.connector_id  # 11:00 is inside the first connector's changeover
    third = slots.book_slot(c, station.id, start + timedelta(minutes=75), minutes=30)
    assert third.connector_id == first.connector_id  # 11:15: past the 10-minute changeover
    assert third.slot_clear_at == third.slot_end + timedelta(minutes=10)
    with pytest.raises(Conflict, match="No connector is free"):
        slots.book_slot(factory.user(), station.id, start + timedelta(minutes=75), minutes=30)


def test_slot_across_midnight_at_an_overnight_station(app, factory):
    tz = "Asia/Kolkata"
    station, _ = station_with(factory, "20:00-02:00", tz)

    def sunday_starts():
        _, rows = slots.free_times(station.id, date(2026, 3, 29), minutes=60)
        return [t.astimezone(ZoneInfo(tz)).strftime("%H:%M") for t in rows[0].free]

    evening = [f"{h}:{m:02d}" for h in range(20, 24) for m in (0, 15, 30, 45)]  # 23:45 runs into Monday
    assert sunday_starts() == ["00:00", "00:15", "00:30", "00:45", "01:00"] + evening
    booking = slots.book_slot(factory.user(), station.id, local(tz, 2026, 3, 28, 23, 30), minutes=120)
    assert booking.slot_end == local(tz, 2026, 3, 29, 1, 30)
    assert sunday_starts() == evening  # Saturday's slot (and its changeover) took the early morning
    with pytest.raises(StationClosed, match="Station is closed"):
        slots.book_slot(factory.user(), station.id, local(tz, 2026, 3, 29, 1, 30), minutes=60)


def test_dst_change_day_in_berlin(app, factory):
    tz = "Europe/Berlin"
    station, _ = station_with(factory, "01:00-05:00", tz)  # 01:00 CET to 05:00 CEST: three real hours
    _, rows = slots.free_times(station.id, date(2026, 3, 29), minutes=60)
    starts = [t.astimezone(ZoneInfo(tz)).strftime("%H:%M") for t in rows[0].free]
    assert starts == ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30", "03:45", "04:00"]
    booking = slots.book_slot(factory.user(), station.id, local(tz, 2026, 3, 29, 1, 30), minutes=60)
    assert booking.slot_end - booking.slot_start == timedelta(hours=1)
    assert booking.slot_end.astimezone(ZoneInfo(tz)).strftime("%H:%M") == "03:30"  # 01:30 CET + 1 h
    with pytest.raises(StationClosed):
        slots.book_slot(factory.user(), station.id, local(tz, 2026, 3, 29, 4, 15), minutes=60)


def test_maintenance_window_and_unpaid_slot(app, factory):
    station, charger = station_with(factory)
    start = NOW + timedelta(hours=5)
    db.session.add(MaintenanceWindow(station_id=station.id, starts_at=start - timedelta(minutes=30),
                                     ends_at=start + timedelta(minutes=30)))
    db.session.commit()
    with pytest.raises(Conflict):
        slots.book_slot(factory.user(), station.id, start, minutes=60)
    later = start + timedelta(hours=2)
    held = slots.book_slot(factory.user(), station.id, later, minutes=60)
    assert held.status == "SLOT_HELD"
    with pytest.raises(Conflict):
        slots.book_slot(factory.user(), station.id, later, minutes=60)
    held.hold_expires_at = NOW - timedelta(seconds=1)  # the driver never paid
    db.session.commit()
    again = slots.book_slot(factory.user(), station.id, later, minutes=60)
    assert again.connector_id == held.connector_id
    db.session.refresh(held)
    assert held.status == "EXPIRED"


def test_lead_time_and_step(app, factory):
    from webapp.services.errors import InvalidInput

    station, _ = station_with(factory)
    with pytest.raises(InvalidInput, match="ahead"):
        slots.book_slot(factory.user(), station.id, NOW + timedelta(minutes=15), minutes=60)
    with pytest.raises(InvalidInput, match="every 15 minutes"):
        slots.book_slot(factory.user(), station.id, NOW + timedelta(hours=2, minutes=7), minutes=60)
    with pytest.raises(InvalidInput, match="7 days"):
        slots.book_slot(factory.user(), station.id, NOW + timedelta(days=8), minutes=60)


def test_an_immediate_hold_before_a_slot_is_limited_to_the_gap(app, factory, monkeypatch):
    from webapp.services.booking import bookings, slot_gaps
    from webapp.services.errors import InvalidInput

    station = factory.station(timezone="Asia/Kolkata")
    charger = factory.charger(station=station, connectors=1)  # online, Available
    slots.book_slot(factory.user(), station.id, NOW + timedelta(minutes=60), minutes=60)
    assert slot_gaps.free_until(charger.connectors[0].id, NOW) == NOW + timedelta(minutes=50)  # less changeover
    hold = bookings.place_hold(factory.user(), charger.connectors[0].id)  # paid by +10, arrived by +25
    with pytest.raises(InvalidInput, match=r"booked from 15:20: choose at most 12.8 kWh") as refused:
        slot_gaps.check_gap(hold, 13)  # 22 kW for 35 minutes (charging from the end of the grace) is 12.83
    assert refused.value.details["field"] == "quota_kwh"
    slot_gaps.check_gap(hold, 12.8)
    bookings.cancel(hold.user, hold.id)

    station2 = factory.station(timezone="Asia/Kolkata")
    charger2 = factory.charger(station=station2, connectors=1)
    slots.book_slot(factory.user(), station2.id, NOW + timedelta(minutes=45), minutes=60)
    with pytest.raises(Conflict, match=r"#1 is booked from 15:05: too soon to charge"):
        bookings.place_hold(factory.user(), charger2.connectors[0].id)  # 35 - 25 = 10 min < 15
    other = factory.charger(station=station2, connectors=1)
    assert bookings.place_hold(factory.user(), other.connectors[0].id).status == "HELD"  # no slot there


def test_no_hold_during_a_slot_in_progress(app, factory, monkeypatch):
    from webapp.services.booking import bookings, slot_gaps

    station = factory.station(timezone="Asia/Kolkata")
    charger = factory.charger(station=station, connectors=1)
    slot = slots.book_slot(factory.user(), station.id, NOW + timedelta(minutes=60), minutes=60)
    slot.status = "SCHEDULED"  # paid
    db.session.commit()
    during = NOW + timedelta(minutes=90)
    for module in (bookings, slot_gaps):
        monkeypatch.setattr(module, "utcnow", lambda: during)
    assert slot_gaps.free_until(charger.connectors[0].id, during) == slot.slot_start - timedelta(minutes=10)
    with pytest.raises(Conflict, match="too soon to charge"):
        bookings.place_hold(factory.user(), charger.connectors[0].id)
