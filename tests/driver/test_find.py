"""Find a charger: distance sorting, typed places, filters, open badges in the station's timezone, live lists."""
from datetime import datetime, timezone

import pytest

from webapp.extensions import db
from webapp.services.fleet import geo

from .pages import fragment_headers, station_cards, text

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def city(factory):
    """Three stations in Bengaluru: MG Road (24/7), Whitefield (overnight 18-02), Airport (CCS2 60 kW)."""
    mg = factory.station(name="MG Road", latitude=12.9755, longitude=77.6068)
    wf = factory.station(name="Whitefield", latitude=12.9698, longitude=77.7500, always_open=False,
                         opening_hours={d: [["18:00", "02:00"]] for d in WEEK})
    ap = factory.station(name="Airport", latitude=13.1989, longitude=77.7068)
    factory.charger(station=mg, cp_id="MG-1")
    factory.charger(station=wf, cp_id="WF-1")
    airport = factory.charger(station=ap, cp_id="AP-1", connectors=1)
    airport.connectors[0].plug_type, airport.connectors[0].max_power_kw = "CCS2", 60.0
    db.session.commit()
    return {"mg": mg, "wf": wf, "ap": ap}


def at_ist(clock, y, mo, d, h, mi):
    """Set the clock to a wall time in India (UTC+05:30)."""
    clock.now = datetime(y, mo, d, h, mi, tzinfo=timezone.utc) - (datetime(2000, 1, 1, 5, 30) - datetime(2000, 1, 1))
    return clock.now


def test_haversine_is_right():
    # MG Road to Kempegowda airport is about 25 km as the crow flies.
    assert 24.5 < geo.haversine_km(12.9755, 77.6068, 13.1989, 77.7068) < 27.5
    assert geo.haversine_km(10, 10, 10, 10) == 0


def test_without_a_position_stations_are_listed_by_name(client, city):
    cards = station_cards(client.get("/").get_data(as_text=True))
    assert [c["name"] for c in cards] == ["Airport", "MG Road", "Whitefield"]
    assert all(c["distance"] is None for c in cards)


def test_typed_place_sorts_by_distance(client, city):
    html = client.get("/?place=whitefield").get_data(as_text=True)
    cards = station_cards(html)
    assert [c["name"] for c in cards] == ["Whitefield", "MG Road", "Airport"]
    assert cards[0]["distance"].endswith("m") and "Nearest first from Whitefield" in text(html)


def test_browser_position_sorts_by_distance(client, city):
    cards = station_cards(client.get("/?lat=13.19&lon=77.70").get_data(as_text=True))
    assert [c["name"] for c in cards] == ["Airport", "Whitefield", "MG Road"]
    assert cards[0]["distance"] == "1.2 km"  # (13.19, 77.70) to (13.1989, 77.7068)


@pytest.mark.parametrize("query, field, message", [
    ("place=Atlantis", "place", "We do not know the place"),
    ("lat=999&lon=1", "place", "out of range"),
    ("lat=abc&lon=1", "place", "could not be read"),
    ("min_kw=lots", "min_kw", "Minimum power must be a number"),
    ("min_kw=nan", "min_kw", "Minimum power must be a number"),
    ("min_kw=5000", "min_kw", "between 0 and 1000 kW"),
])
def test_bad_location_or_filter_gets_a_clear_answer(client, city, query, field, message):
    response = client.get(f"/?{query}")
    assert response.status_code == 422
    next_to_field = response.get_data(as_text=True).split(f'id="f-{field}-error"')[1].split("</small>")[0]
    assert message in next_to_field
    assert len(station_cards(response.get_data(as_text=True))) == 3  # still shows every station


def test_filters(client, city, factory, clock):
    at_ist(clock, 2025, 1, 6, 12, 0)  # Monday noon in Bengaluru: Whitefield (18:00-02:00) is closed
    city["mg"].chargers[0].connectors[0].status = "Charging"
    db.session.commit()
    names = lambda q: [c["name"] for c in station_cards(client.get(f"/?{q}").get_data(as_text=True))]
    assert names("plug=CCS2") == ["Airport"]
    assert names("min_kw=50") == ["Airport"]
    assert names("open=1") == ["Airport", "MG Road"]
    assert names("available=1") == ["Airport", "MG Road"]  # MG Road still has one free connector
    city["mg"].chargers[0].connectors[1].status = "Faulted"
    db.session.commit()
    assert names("available=1") == ["Airport"]
    assert names("available=1&plug=Type2") == []


def test_open_badge_uses_station_timezone_overnight_and_24_7(client, city, factory, clock):
    ny = factory.station(name="New York weekdays", timezone="America/New_York", always_open=False,
                         opening_hours={d: [["08:00", "22:00"]] for d in WEEK[:5]})
    factory.charger(station=ny, cp_id="NY-1")
    at_ist(clock, 2025, 1, 7, 1, 30)  # Tue 01:30 in India = Mon 15:00 in New York
    cards = {c["name"]: c for c in station_cards(client.get("/").get_data(as_text=True))}
    assert cards["Whitefield"]["open"] is True  # Monday's 18:00-02:00 runs past midnight
    assert cards["MG Road"]["open"] is True  # 24/7
    assert cards["New York weekdays"]["open"] is True
    at_ist(clock, 2025, 1, 7, 2, 30)  # Tue 02:30 in India = Mon 16:00 in New York
    cards = {c["name"]: c for c in station_cards(client.get("/").get_data(as_text=True))}
    assert cards["Whitefield"]["open"] is False and cards["Whitefield"]["available"] == 0
    assert cards["New York weekdays"]["open"] is True
    at_ist(clock, 2025, 1, 11, 20, 0)  # Saturday in both places
    cards = {c["name"]: c for c in station_cards(client.get("/").get_data(as_text=True))}
    assert cards["New York weekdays"]["open"] is False and cards["Whitefield"]["open"] is True


def test_station_list_is_a_polled_fragment(client, city):
    page = client.get("/?place=MG Road").get_data(as_text=True)
    assert 'id="station-list"' in page and 'hx-trigger="every 10s' in page
    assert 'hx-get="/?place=MG+Road"' in page or 'hx-get="/?place=MG%20Road"' in page
    city["mg"].chargers[0].connectors[0].status = "Charging"
    db.session.commit()
    fragment = client.get("/?place=MG Road", headers=fragment_headers("station-list"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="station-list"')
    assert station_cards(body)[0]["available"] == 1


def test_station_page_shows_hours_tariff_directions_and_live_connectors(client, city, driver):
    station = city["wf"]
    html = client.get(f"/stations/{station.id}").get_data(as_text=True)
    page = text(html)
    assert "Mon 18:00-02:00 (next day)" in page and "Asia/Kolkata" in page
    assert "₹18.00 per kWh" in page and "₹20.00" in page and "₹5.00 per minute after the exit grace" in page
    assert f"destination={station.latitude},{station.longitude}" in html
    assert 'id="connectors"' in html and 'hx-trigger="every 5s' in html
    fragment = client.get(f"/stations/{station.id}", headers=fragment_headers("connectors"))
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.count('class="connector"') == 2


def test_station_page_offers_book_only_on_free_connectors(client, city, driver, clock):
    at_ist(clock, 2025, 1, 6, 12, 0)
    mg = city["mg"]
    mg.chargers[0].connectors[1].status = "Charging"
    db.session.commit()
    html = client.get(f"/stations/{mg.id}").get_data(as_text=True)
    assert html.count(">Book</button>") == 1
    assert 'data-state="in_use"' in html
    closed = client.get(f"/stations/{city['wf'].id}").get_data(as_text=True)
    assert ">Book</button>" not in closed and "Station closed" in closed


def test_anonymous_visitor_sees_log_in_to_book(client, city):
    html = client.get(f"/stations/{city['mg'].id}").get_data(as_text=True)
    assert "Log in to book" in html and ">Book</button>" not in html


def test_unknown_or_retired_station_is_404(client, city):
    assert client.get("/stations/999").status_code == 404
    city["ap"].status = "retired"
    db.session.commit()
    assert client.get(f"/stations/{city['ap'].id}").status_code == 404
    assert "Airport" not in [c["name"] for c in station_cards(client.get("/").get_data(as_text=True))]
