"""The app's session endpoints: start/update/end with battery levels; energy from the meter, the EV, or the
driver's own battery capacity (never an assumed one); history, stats and dashboard."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import Booking, ChargingSession
from webapp.services.booking import bookings, checkout
from webapp.services.charging import transactions
from webapp.services.platform import commands
from webapp.timeutil import iso, utcnow

from .conftest import assert_error


@pytest.fixture(autouse=True)
def charger_accepts(monkeypatch):
    monkeypatch.setattr(commands, "remote_start", lambda *a: True)
    monkeypatch.setattr(commands, "remote_stop", lambda *a: True)


def _start(client, headers, level=20, **extra):
    return client.post("/api/charging/sessions/start", headers=headers, json={"batteryLevelStart": level, **extra})


def _update(client, headers, **body):
    return client.put("/api/charging/sessions/active/update", headers=headers, json=body)


def _charger_starts(user, connector=1) -> int:
    tx, _ = transactions.start("CP-API-1", connector, user.id_tag, 0, utcnow() - timedelta(minutes=30))
    db.session.commit()
    return tx


def _meter(tx, wh, connector=1):
    transactions.meter_values("CP-API-1", connector, tx, [{"timestamp": iso(utcnow()), "sampledValue": [
        {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}])
    db.session.commit()


@pytest.mark.both_dbs
def test_start_then_battery_updates_estimate_from_the_drivers_own_capacity(client, driver, confirmed, bearer):
    headers = bearer(driver)
    response = _start(client, headers, level=20, stationId=confirmed.connector.charger.station_id)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["id"] == confirmed.id and data["status"] == "starting" and data["transactionId"] is None
    assert data["batteryLevelStart"] == data["batteryLevel"] == 20
    tx = _charger_starts(driver)
    data = _update(client, headers, batteryLevel=50).get_json()["data"]
    assert data["status"] == "active" and data["transactionId"] == tx
    assert data["energySource"] == "estimate" and data["batteryCapacityKwh"] == 40.0
    assert data["energyDelivered"] == 12.0  # (50 - 20) % of the driver's 40 kWh, not of some 60 kWh default
    assert data["totalCost"] == 12 * 1800 + 2000 and data["costIsFinal"] is False
    assert data["duration"] == 30 and data["averagePower"] == 24.0
    assert "40 kWh" in data["note"]


def test_unknown_battery_capacity_is_said_not_invented(client, driver, confirmed, bearer):
    driver.battery_kwh = None
    db.session.commit()
    headers = bearer(driver)
    _start(client, headers, level=20)
    _charger_starts(driver)
    data = _update(client, headers, batteryLevel=60).get_json()["data"]
    assert data["energySource"] == "unknown" and data["energyDelivered"] is None
    assert data["totalCost"] is None and data["averagePower"] is None
    assert "Battery capacity unknown" in data["note"]


def test_energy_from_the_vehicle_then_from_the_meter(client, driver, confirmed, bearer):
    headers = bearer(driver)
    _start(client, headers)
    tx = _charger_starts(driver)
    data = _update(client, headers, batteryLevel=30, energyDelivered=4.2).get_json()["data"]
    assert (data["energySource"], data["energyDelivered"]) == ("vehicle", 4.2)
    _meter(tx, 5000)
    data = _update(client, headers, batteryLevel=31, energyDelivered=4.4).get_json()["data"]
    assert (data["energySource"], data["energyDelivered"], data["note"]) == ("meter", 5.0, None)


@pytest.mark.both_dbs
def test_end_stops_the_charge_and_keeps_the_rating(client, driver, confirmed, bearer):
    headers = bearer(driver)
    _start(client, headers)
    tx = _charger_starts(driver)
    _meter(tx, 7000)
    body = {"sessionId": confirmed.id, "batteryLevelEnd": 80, "stationRating": 5}
    data = client.post("/api/charging/sessions/end", headers=headers, json=body).get_json()["data"]
    assert data["status"] == "active"  # RemoteStop accepted; StopTransaction not yet in
    assert data["stationRating"] == 5 and data["batteryLevel"] == 80
    assert db.session.get(Booking, confirmed.id).rating is None  # counts for the station once complete
    assert db.session.get(ChargingSession, tx).remote_stop_sent is True
    transactions.stop("CP-API-1", tx, 7500, utcnow(), "Remote")
    db.session.commit()
    active = client.get("/api/charging/sessions/active", headers=headers).get_json()
    assert active == {"session": None}
    [done] = client.get("/api/charging/sessions", headers=headers).get_json()["sessions"]
    assert done["status"] == "completed" and done["energyDelivered"] == 7.5 and done["energySource"] == "meter"
    assert done["totalCost"] == (7500 * 1800 + 500) // 1000 + 2000
    assert_error(client.post("/api/charging/sessions/end", headers=headers, json=body), 409, "conflict")


def test_end_after_the_charger_stopped_by_itself(client, driver, confirmed, bearer):
    headers = bearer(driver)
    tx = _charger_starts(driver)  # started by QR scan on the pages: no app report yet
    transactions.stop("CP-API-1", tx, 3000, utcnow(), "EVDisconnected")
    db.session.commit()
    response = client.post("/api/charging/sessions/end", headers=headers,
                           json={"sessionId": confirmed.id, "batteryLevelEnd": 55, "stationRating": 3})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["status"] == "completed" and data["energyDelivered"] == 3.0
    # the stored connector status was Available, so the booking completed and was captured at once
    assert data["bookingStatus"] == "COMPLETED" and data["costIsFinal"] is True
    assert data["totalCost"] == db.session.get(Booking, confirmed.id).amount_captured == 3 * 1800 + 2000
    assert data["stationRating"] == db.session.get(Booking, confirmed.id).rating == 3  # complete: it counts


def test_start_conflicts(client, driver, factory, charger, bearer):
    headers = bearer(driver)
    error = assert_error(_start(client, headers), 409)
    assert "no confirmed booking" in error["message"]
    held = bookings.place_hold(driver, charger.connectors[0].id)
    assert "held" in assert_error(_start(client, headers), 409)["message"]
    checkout.pay(driver, held.id, 10, "wallet", "", "sessions-key-1")
    assert "not station" in assert_error(_start(client, headers, stationId=999), 409)["message"]
    assert _start(client, headers).status_code == 201
    _charger_starts(driver)
    error = assert_error(_start(client, headers), 409)
    assert error["message"] == "User already has an active charging session."


def test_update_without_an_active_session_is_404(client, driver, confirmed, bearer):
    error = assert_error(_update(client, bearer(driver), batteryLevel=50), 404, "not_found")
    assert error["message"] == "Active charging session not found."


def test_end_checks(client, driver, factory, confirmed, bearer):
    assert_error(client.post("/api/charging/sessions/end", headers=bearer(factory.user()),
                             json={"sessionId": confirmed.id, "batteryLevelEnd": 50}), 404)
    error = assert_error(client.post("/api/charging/sessions/end", headers=bearer(driver),
                                     json={"sessionId": confirmed.id, "batteryLevelEnd": 50}), 409)
    assert "has not started" in error["message"]
    assert db.session.get(Booking, confirmed.id).status == "CONFIRMED"


@pytest.mark.parametrize("path, method, body", [
    ("/api/charging/sessions/start", "POST", {}),
    ("/api/charging/sessions/start", "POST", {"batteryLevelStart": 101}),
    ("/api/charging/sessions/start", "POST", {"batteryLevelStart": 10, "connectorId": 1}),
    ("/api/charging/sessions/active/update", "PUT", {"batteryLevel": -1}),
    ("/api/charging/sessions/active/update", "PUT", {"batteryLevel": 50, "energyDelivered": -2}),
    ("/api/charging/sessions/end", "POST", {"sessionId": 1}),
    ("/api/charging/sessions/end", "POST", {"sessionId": 1, "batteryLevelEnd": 50, "stationRating": 6}),
])
def test_session_bodies_are_validated(client, driver, bearer, path, method, body):
    assert_error(client.open(path, method=method, headers=bearer(driver), json=body), 422, "invalid_input")


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/charging/sessions/start"), ("PUT", "/api/charging/sessions/active/update"),
    ("POST", "/api/charging/sessions/end"), ("GET", "/api/charging/sessions"),
    ("GET", "/api/charging/sessions/active"), ("GET", "/api/charging/stats"), ("GET", "/api/charging/dashboard"),
])
def test_session_endpoints_need_a_token(client, method, path):
    assert_error(client.open(path, method=method, json={}), 401)


def _finished_session(driver, charger, connector_index, started_ago, wh):
    """A completed booking with a charge of `wh`, started `started_ago` ago."""
    booking = bookings.place_hold(driver, charger.connectors[connector_index].id)
    checkout.pay(driver, booking.id, 20, "wallet", "", f"hist-{booking.id}")
    when = utcnow() - started_ago
    tx, _ = transactions.start("CP-API-1", connector_index + 1, driver.id_tag, 0, when)
    transactions.stop("CP-API-1", tx, wh, when + timedelta(minutes=40), "Local")
    db.session.commit()
    transactions_connector = db.session.get(ChargingSession, tx).connector
    from webapp.services.fleet import chargers

    chargers.status_notification("CP-API-1", transactions_connector.connector_id, "Available", "NoError", utcnow())
    db.session.commit()
    return db.session.get(Booking, booking.id)


@pytest.mark.both_dbs
def test_history_filters_stats_and_dashboard(client, driver, charger, bearer):
    old = _finished_session(driver, charger, 0, timedelta(days=40), 10000)
    new = _finished_session(driver, charger, 1, timedelta(hours=2), 5000)
    assert old.status == new.status == "COMPLETED"
    headers = bearer(driver)

    def ids(query):
        return [s["id"] for s in client.get("/api/charging/sessions" + query, headers=headers).get_json()["sessions"]]

    assert ids("") == ids("?filter=all-time") == [new.id, old.id]
    assert ids("?filter=recent") == [new.id]
    assert ids("?limit=1&offset=1") == [old.id]
    assert client.get("/api/charging/sessions?limit=1", headers=headers).get_json()["total"] == 2
    assert_error(client.get("/api/charging/sessions?filter=yesterday", headers=headers), 422)
    assert_error(client.get("/api/charging/sessions?limit=101", headers=headers), 422)

    stats = client.get("/api/charging/stats", headers=headers).get_json()["stats"]
    assert stats["totalSessions"] == 2 and stats["totalEnergyUsed"] == 15.0
    assert stats["totalSpent"] == old.amount_captured + new.amount_captured == (18000 + 2000) + (9000 + 2000)
    assert stats["averageSessionDuration"] == 40 and stats["favoriteStation"] == charger.station.name
    assert len(stats["monthlyUsage"]) == 12 and stats["currency"] == "INR"
    assert sum(m["sessions"] for m in stats["monthlyUsage"]) == 2
    assert sum(m["energyUsed"] for m in stats["monthlyUsage"]) == 15.0

    dashboard = client.get("/api/charging/dashboard", headers=headers).get_json()
    assert [s["id"] for s in dashboard["sessions"]] == [new.id, old.id]
    assert dashboard["stats"] == stats and dashboard["activeSession"] is None


def test_a_new_driver_has_empty_stats(client, driver, bearer):
    stats = client.get("/api/charging/stats", headers=bearer(driver)).get_json()["stats"]
    months = stats.pop("monthlyUsage")
    assert stats == {"totalSessions": 0, "totalEnergyUsed": 0.0, "totalSpent": 0, "currency": "INR",
                     "averageSessionDuration": 0.0, "favoriteStation": None}
    assert len(months) == 12 and all(m["sessions"] == m["totalSpent"] == 0 for m in months)


def test_others_sessions_are_invisible(client, driver, factory, charger, bearer):
    _finished_session(driver, charger, 0, timedelta(hours=1), 1000)
    other = bearer(factory.user())
    assert client.get("/api/charging/sessions", headers=other).get_json()["total"] == 0
    assert client.get("/api/charging/stats", headers=other).get_json()["stats"]["totalSessions"] == 0
