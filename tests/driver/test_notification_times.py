"""Times in notifications are on the station's clock with its zone, in the text and in the centre."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Booking, Notification
from webapp.timeutil import zoned

from .conftest import confirmed_booking, hold
from .pages import text


def test_a_new_york_station_tells_its_times_in_new_york_time(client, driver, factory, clock, link, run_jobs):
    station = factory.station(timezone="America/New_York")
    charger = factory.charger(station=station, cp_id="CP-NY-1")
    booking_id = confirmed_booking(client, charger.connectors[0])
    note = db.session.execute(select(Notification).where(Notification.kind == "booking_confirmed")).scalar_one()
    arrive_by = db.session.get(Booking, booking_id).arrive_by
    assert note.timezone == "America/New_York"
    assert f"by {zoned(arrive_by, 'America/New_York')}." in note.body
    assert " EST." in note.body or " EDT." in note.body
    page = text(client.get("/notifications").get_data(as_text=True))
    assert zoned(note.created_at, "America/New_York", "%d %b %H:%M") in page and " UTC" not in page


def test_the_hold_expiry_tells_the_clock_time_it_ran_out(client, driver, factory, clock, link, run_jobs):
    station = factory.station(timezone="Europe/Berlin")
    charger = factory.charger(station=station, cp_id="CP-BER-1")
    hold(client, charger.connectors[0])
    clock.advance(minutes=11)
    run_jobs(clock.now)
    note = db.session.execute(select(Notification).where(Notification.kind == "hold_expired")).scalar_one()
    assert note.body.endswith(" CET.") and note.timezone == "Europe/Berlin", note.body
