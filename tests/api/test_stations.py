"""Stations: open/closed, availability, distance and filters; details; lightweight status; bookable connectors."""
from datetime import datetime, timezone

import pytest

from webapp.extensions import db
from webapp.services.booking import bookings
from webapp.services.fleet import hours

from .conftest import assert_error

# A Monday, 10:00 in Bengaluru (04:30 UTC)
MONDAY_10_IST = datetime(2026, 1, 5, 4, 30, tzinfo=timezone.utc)


@pytest.fixture
def world(factory):
    """Three stations around Bengaluru: MG Road (open, 2 free), Airport (offline charger), Night (closed now)."""
    mg = factory.station(name="MG Road", latitude=12.9755, longitude=77.6068)
    factory.charger(station=mg, cp_id="MG-1", connectors=2)
    airport = factory.station(name="Airport", latitude=13.1989, longitude=77.7068)
    factory.charger(station=airport, cp_id="AIR-1", connectors=1, online=False)
    night = factory.station(name="Night Charge", latitude=12.9346, longitude=77.6113, always_open=False,
                            opening_hours={d: [["18:00", "02:00"]] for d in hours.DAYS})
    factory.charger(station=night, cp_id="NIGHT-1", connectors=1)
    fast = factory.charger(station=airport, cp_id="AIR-DC", connectors=1)
    fast.connectors[0].plug_type, fast.connectors[0].max_power_kw = "CCS2", 60.0
    retired = factory.station(name="Old Depot", status="retired")
    factory.charger(station=retired, cp_id="OLD-1")
    db.session.commit()
    return {"mg": mg.id, "airport": airport.id, "night": night.id, "retired": retired.id}


@pytest.fixture
def frozen_monday(monkeypatch):
    monkeypatch.setattr(hours, "utcnow", lambda: MONDAY_10_IST)


def _by_name(payload):
    return {s["name"]: s for s in payload["stations"]}


def test_list_shows_open_closed_and_availability(client, world, frozen_monday):
    body = client.get("/api/stations").get_json()
    stations = _by_name(body)
    assert set(stations) == {"MG Road", "Airport", "Night Charge"}  # retired stations are not listed
    assert body["total"] == 3 and body["server_time"].endswith("Z")
    assert stations["MG Road"]["is_open"] is True
    assert stations["MG Road"]["availability"] == {"available": 2, "total": 2}
    assert stations["Airport"]["availability"] == {"available": 1, "total": 2}
    assert stations["Night Charge"]["is_open"] is False
    assert stations["Night Charge"]["availability"] == {"available": 0, "total": 1}
    assert stations["Night Charge"]["opening_hours"][0] == {"day": "Mon", "hours": "18:00-02:00 (next day)"}
    assert stations["MG Road"]["distance_km"] is None
    assert stations["MG Road"]["tariff"]["price_per_kwh"] == 1800


def test_lat_lon_give_distance_nearest_first_and_radius(client, world):
    body = client.get("/api/stations?lat=12.9716&lon=77.5946").get_json()
    names = [s["name"] for s in body["stations"]]
    assert names == ["MG Road", "Night Charge", "Airport"]
    distances = [s["distance_km"] for s in body["stations"]]
    assert distances == sorted(distances) and 1.0 < distances[0] < 2.0 and 27.5 < distances[2] < 28.5
    near = client.get("/api/stations?lat=12.9716&lon=77.5946&radius_km=5").get_json()
    assert [s["name"] for s in near["stations"]] == ["MG Road", "Night Charge"]


@pytest.mark.both_dbs
def test_filters(client, world, frozen_monday):
    def names(query):
        response = client.get("/api/stations?" + query)
        assert response.status_code == 200, response.get_json()
        return sorted(s["name"] for s in response.get_json()["stations"])

    everything = ["Airport", "MG Road", "Night Charge"]
    assert names("open_now=true") == ["Airport", "MG Road"]
    assert names("open_now=false") == everything  # false means: do not filter
    assert names("available=true") == ["Airport", "MG Road"]
    assert names("plug_type=CCS2") == ["Airport"]
    assert names("min_power_kw=50") == ["Airport"]
    assert names("q=mg%20r") == ["MG Road"]
    assert names("q=TEST%20road") == ["Airport", "MG Road", "Night Charge"]  # the address matches too
    assert names("q=nowhere") == []
    assert names("limit=1&offset=1") == ["MG Road"]  # by name: Airport, MG Road, Night Charge


@pytest.mark.parametrize("query", ["lat=12.9", "lon=77.5", "radius_km=5", "lat=91&lon=0", "radius_km=0&lat=1&lon=1",
                                   "plug_type=ccs2", "min_power_kw=-1"])
def test_inconsistent_position_is_422(client, world, query):
    assert_error(client.get("/api/stations?" + query), 422, "invalid_input")


def test_detail_lists_connectors_with_their_state(client, world, frozen_monday):
    airport = client.get(f"/api/stations/{world['airport']}").get_json()
    connectors = {c["charger_id"]: c for c in airport["connectors"]}
    assert (connectors["AIR-1"]["state"], connectors["AIR-1"]["label"]) == ("offline", "Offline")
    assert connectors["AIR-1"]["bookable"] is False
    assert connectors["AIR-DC"]["bookable"] is True and connectors["AIR-DC"]["plug_type"] == "CCS2"
    assert airport["max_power_kw"] == 60.0 and airport["plug_types"] == ["CCS2", "Type2"]
    night = client.get(f"/api/stations/{world['night']}").get_json()
    assert night["connectors"][0]["state"] == "closed" and night["connectors"][0]["bookable"] is False


@pytest.mark.both_dbs
def test_a_hold_makes_the_connector_reserved_for_everyone(client, world, factory):
    mg = client.get(f"/api/stations/{world['mg']}").get_json()
    first = mg["connectors"][0]
    bookings.place_hold(factory.user(), first["id"])
    after = client.get(f"/api/stations/{world['mg']}").get_json()
    held = next(c for c in after["connectors"] if c["id"] == first["id"])
    assert held["state"] == "booked" and held["bookable"] is False
    assert after["availability"] == {"available": 1, "total": 2}
    available = client.get(f"/api/stations/{world['mg']}/chargers/available").get_json()
    assert [c["id"] for c in available["connectors"]] == [mg["connectors"][1]["id"]]


def test_status_is_lightweight(client, world, frozen_monday):
    body = client.get(f"/api/stations/{world['night']}/status").get_json()
    assert set(body) == {"id", "is_open", "status", "availability", "server_time"}
    assert body["is_open"] is False and body["availability"] == {"available": 0, "total": 1}


def test_closed_station_has_no_available_connectors(client, world, frozen_monday):
    body = client.get(f"/api/stations/{world['night']}/chargers/available").get_json()
    assert body == {"station_id": world["night"], "is_open": False, "connectors": []}


@pytest.mark.parametrize("suffix", ["", "/status", "/chargers/available"])
def test_unknown_or_retired_station_is_404(client, world, suffix):
    assert_error(client.get(f"/api/stations/{world['retired']}{suffix}"), 404, "not_found")
    assert_error(client.get(f"/api/stations/999999{suffix}"), 404, "not_found")


def test_stations_are_public(client, world):
    assert client.get("/api/stations").status_code == 200
    assert client.get(f"/api/stations/{world['mg']}", headers={"Authorization": "Bearer junk"}).status_code == 200
