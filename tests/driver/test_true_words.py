"""Say what is true: a closed station says when it opens next, maintenance says why and until when, the
driver's own connector is "Yours", statuses are words (one mapping for both sides), the unused part of a
pre-authorisation is "Released", and the door message goes once charging starts."""
from datetime import datetime, timedelta, timezone

import pytest

from webapp.extensions import db
from webapp.models import MaintenanceWindow
from webapp.services.booking import bookings
from webapp.services.fleet import hours
from webapp.status_words import status_word

from .pages import text
from .test_find import WEEK, at_ist


def words(html: str) -> str:
    """Visible text with the space a closing tag leaves before punctuation taken out."""
    return text(html).replace(" :", ":").replace(" .", ".").replace(" (", " (")


@pytest.fixture
def evening(factory):
    """Open 18:00-22:00 on weekdays only, in India."""
    station = factory.station(name="Evening Hub", always_open=False,
                              opening_hours={d: [["18:00", "22:00"]] for d in WEEK[:5]})
    factory.charger(station=station, cp_id="EV-1")
    return station


def test_a_closed_station_says_when_it_opens_next_in_station_time(client, evening, clock):
    at_ist(clock, 2025, 1, 7, 10, 0)  # Tue 10:00 in India: opens later today
    assert "Closed now · Opens 18:00" in text(client.get("/").get_data(as_text=True))
    page = text(client.get(f"/stations/{evening.id}").get_data(as_text=True))
    assert "Opens 18:00 (station time, Asia/Kolkata)" in page
    at_ist(clock, 2025, 1, 10, 23, 0)  # Fri 23:00: closed for the weekend, opens Monday
    assert "Opens Mon 18:00" in text(client.get(f"/stations/{evening.id}").get_data(as_text=True))
    at_ist(clock, 2025, 1, 7, 19, 0)  # open: nothing about opening
    assert "Opens" not in text(client.get(f"/stations/{evening.id}").get_data(as_text=True))


def test_next_opening_across_midnight_and_never(evening, factory):
    tue_2230 = datetime(2025, 1, 7, 17, 0, tzinfo=timezone.utc)  # 22:30 IST
    assert hours.next_opening(evening, tue_2230) == datetime(2025, 1, 8, 12, 30, tzinfo=timezone.utc)
    assert hours.opens_text(evening, hours.next_opening(evening, tue_2230), tue_2230) == "Opens Wed 18:00"
    never = factory.station(name="Never", always_open=False, opening_hours={})
    assert hours.next_opening(never, tue_2230) is None


def test_maintenance_shows_its_reason_and_until_when(client, factory, clock):
    station = factory.station(name="Works Hub", status="maintenance")
    factory.charger(station=station, cp_id="WK-1")
    at_ist(clock, 2025, 1, 7, 10, 0)
    db.session.add(MaintenanceWindow(station_id=station.id, starts_at=clock.now - timedelta(hours=1),
                                     ends_at=clock.now + timedelta(hours=8), reason="New cables", state="active"))
    db.session.commit()
    page = words(client.get(f"/stations/{station.id}").get_data(as_text=True))
    assert "In maintenance until Tue 18:00: New cables." in page
    assert "In maintenance until Tue 18:00: New cables." in words(client.get("/").get_data(as_text=True))


def test_a_charger_in_maintenance_says_so_on_its_connectors(client, factory, clock):
    station = factory.station(name="Half Hub")
    charger = factory.charger(station=station, cp_id="HF-1", in_maintenance=True)
    db.session.add(MaintenanceWindow(charger_id=charger.id, starts_at=clock.now, reason="Firmware update",
                                     ends_at=clock.now + timedelta(hours=2), state="active"))
    db.session.commit()
    page = words(client.get(f"/stations/{station.id}").get_data(as_text=True))
    assert page.count(": Firmware update.") == 2  # each connector of the charger


def test_the_drivers_own_connector_is_yours_and_others_see_booked(client, driver, charger, factory, login):
    booking = bookings.place_hold(driver, charger.connectors[0].id)
    station_id = charger.station_id
    page = client.get(f"/stations/{station_id}").get_data(as_text=True)
    assert page.count("data-yours") == 1 and ">Booked<" not in page
    fragment = client.get(f"/stations/{station_id}", headers={"HX-Request": "true", "HX-Target": "connectors"})
    assert fragment.get_data(as_text=True).count("data-yours") == 1
    client.post("/logout")
    login(factory.user(email="someone@example.com"))
    other = client.get(f"/stations/{station_id}").get_data(as_text=True)
    assert "data-yours" not in other and ">Booked<" in other
    assert booking.status == "HELD"


@pytest.mark.parametrize("raw, kind, word", [
    ("SuspendedEVSE", "ocpp", "Paused by the charger"), ("SuspendedEV", "ocpp", "Paused by the car"),
    ("Faulted", "ocpp", "Faulted"), ("NO_SHOW", "booking", "No-show"), ("SLOT_HELD", "booking", "Slot held"),
    ("Occupied", "reservation", "occupied"), ("succeeded", "payment", "Succeeded"), ("SOME_NEW", "booking", "Some new"),
])
def test_statuses_are_words(raw, kind, word):
    assert status_word(raw, kind) == word


def test_the_charger_page_shows_words_not_ocpp_values(client, driver, charger):
    from webapp.services.fleet import qr

    charger.connectors[0].status = "SuspendedEVSE"
    db.session.commit()
    page = client.get(f"/c/{qr.token_for(charger.connectors[0])}").get_data(as_text=True)
    assert "Paused by the charger" in text(page) and ">SuspendedEVSE<" not in page
