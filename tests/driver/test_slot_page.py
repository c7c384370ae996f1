"""The driver's book-ahead page (issue 16 point 5): a day timeline per connector in the station's timezone,
booking a start, then paying it on the booking's page."""
import re
from datetime import timedelta

from webapp.extensions import db
from webapp.models import Booking

from .conftest import pay
from .pages import text


def _station(factory):
    station = factory.station(timezone="Europe/Berlin", always_open=False,
                              opening_hours={d: [["07:00", "19:00"]] for d in ("mon", "tue", "wed", "thu", "fri",
                                                                               "sat", "sun")})
    factory.charger(station=station, connectors=1, online=False)
    return station


def test_tomorrow_eight_is_booked_and_paid_from_the_timeline(client, driver, factory, clock):
    station = _station(factory)
    tomorrow = (clock.now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")) + timedelta(days=1)).date()
    page = client.get(f"/stations/{station.id}/slots?date={tomorrow.isoformat()}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Times are the station's local time (Europe/Berlin)" in text(html)
    values = re.findall(r'name="slot_time" value="([^"]+)"', html)
    labels = re.findall(r'name="slot_time" value="[^"]+" *(?:checked)? required> (\d\d:\d\d)', html)
    assert labels[0] == "07:00" and labels[-1] == "18:00" and len(values) == len(labels) == 45
    eight = values[labels.index("08:00")]
    response = client.post(f"/stations/{station.id}/slots", data={"slot_time": eight, "duration_minutes": 60,
                                                                  "date": tomorrow.isoformat()})
    assert response.status_code == 303
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    shown = text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    assert "08:00–09:00" in shown and "(Europe/Berlin). Pay to keep it." in shown
    assert pay(client, booking_id).status_code == 303
    assert db.session.get(Booking, booking_id).status == "SCHEDULED"
    shown = text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    assert "Slot booked:" in shown and "08:00–09:00" in shown and "by 08:15" in shown
    again = client.get(f"/stations/{station.id}/slots?date={tomorrow.isoformat()}").get_data(as_text=True)
    assert eight not in again  # taken now


def test_refusals_are_said_on_the_page(client, driver, factory, clock):
    station = _station(factory)
    assert client.get(f"/stations/{station.id}/slots?date=2020-01-01").status_code == 422
    assert "up to 7 days ahead" in text(client.get(f"/stations/{station.id}/slots?date=2020-01-01")
                                        .get_data(as_text=True))
    assert "Choose a date such as" in text(client.get(f"/stations/{station.id}/slots?date=soon")
                                           .get_data(as_text=True))
    response = client.post(f"/stations/{station.id}/slots", data={"slot_time": "nonsense", "duration_minutes": 60})
    assert response.status_code == 422 and "Choose a free start time." in text(response.get_data(as_text=True))
    late = (clock.now + timedelta(days=1)).replace(hour=22, minute=0, second=0, microsecond=0)  # Berlin: closed
    response = client.post(f"/stations/{station.id}/slots",
                           data={"slot_time": f"{station.chargers[0].connectors[0].id}@{late.isoformat()}",
                                 "duration_minutes": 60}, follow_redirects=True)
    assert "Station is closed at that time" in text(response.get_data(as_text=True))  # flashed on the timeline
    assert db.session.query(Booking).count() == 0
    assert client.get("/stations/999999/slots").status_code == 404


def test_an_open_scheduled_page_moves_on_when_the_slot_starts(client, driver, factory, clock, monkeypatch):
    """A driver waiting on the booked slot's page sees it start (Scan the QR code) without reloading: its
    watcher asks every 15 s while SCHEDULED and sends the page on at the change."""
    import html as markup

    from webapp.services.booking import slot_life

    from .pages import fragment_headers

    monkeypatch.setattr(slot_life, "utcnow", clock)
    station = _station(factory)
    tomorrow = (clock.now.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")) + timedelta(days=1)).date()
    html = client.get(f"/stations/{station.id}/slots?date={tomorrow.isoformat()}").get_data(as_text=True)
    values = re.findall(r'name="slot_time" value="([^"]+)"', html)
    response = client.post(f"/stations/{station.id}/slots", data={"slot_time": values[4], "duration_minutes": 60,
                                                                  "date": tomorrow.isoformat()})
    booking_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert pay(client, booking_id).status_code == 303
    page = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    watcher = re.search(r'<div id="booking-watch"[^>]*hx-get="([^"]+)"[^>]*hx-trigger="every 15s', page)
    assert watcher, "a scheduled booking's page does not watch for its start"
    watcher = markup.unescape(watcher.group(1))
    quiet = client.get(watcher, headers=fragment_headers("booking-watch"))
    assert quiet.status_code == 200 and "HX-Redirect" not in quiet.headers

    booking = db.session.get(Booking, booking_id)
    booking.reservation_status = "Occupied"  # the reservation sent ahead refused: sent again at the start
    db.session.commit()
    assert "HX-Redirect" not in client.get(watcher, headers=fragment_headers("booking-watch")).headers
    assert "could not reserve" not in client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    clock.now = booking.slot_start
    assert slot_life.start(booking_id) is True
    moved = client.get(watcher, headers=fragment_headers("booking-watch"))
    assert moved.headers["HX-Redirect"] == f"/bookings/{booking_id}"
    shown = text(client.get(f"/bookings/{booking_id}").get_data(as_text=True))
    assert "Next: scan the QR code at the charger" in shown
    fast = client.get(f"/bookings/{booking_id}").get_data(as_text=True)
    assert 'hx-trigger="every 3s' in fast  # CONFIRMED: the arrival countdown is watched closely again
