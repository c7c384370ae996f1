"""Bookings: hold (by charger or station), read, cancel, quote, receipt; the same rules as the pages."""
import pytest

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.booking import bookings

from .conftest import assert_error


def _hold(client, headers, **body):
    return client.post("/api/bookings", headers=headers, json=body or {"charger_id": "CP-API-1", "connector_id": 1})


def test_hold_by_charger_and_connector(client, driver, charger, bearer):
    response = _hold(client, bearer(driver))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "HELD" and body["charger_id"] == "CP-API-1" and body["connector_id"] == 1
    assert 0 < body["hold_seconds_left"] <= 600
    assert db.session.get(Booking, body["id"]).user_id == driver.id


@pytest.mark.both_dbs
def test_hold_by_station_takes_a_free_connector(client, driver, factory, charger, bearer):
    bookings.place_hold(factory.user(), charger.connectors[0].id)
    body = _hold(client, bearer(driver), station_id=charger.station_id).get_json()
    assert body["status"] == "HELD" and body["connector_id"] == 2


def test_hold_by_station_decides_on_the_database_not_the_shared_snapshot(client, driver, charger, bearer):
    from sqlalchemy import update

    from webapp.models import Connector
    from webapp.services.platform import snapshots

    snapshots.cache().seconds = 60
    assert client.get(f"/api/stations/{charger.station_id}").get_json()["availability"]["available"] == 2
    db.session.execute(update(Connector).where(Connector.id == charger.connectors[0].id).values(status="Faulted"))
    db.session.commit()  # as a StatusNotification on another node would: the snapshot still says 2 free
    assert client.get(f"/api/stations/{charger.station_id}").get_json()["availability"]["available"] == 2
    body = _hold(client, bearer(driver), station_id=charger.station_id).get_json()
    assert body["status"] == "HELD" and body["connector_id"] == 2


def test_hold_by_station_with_nothing_free_is_409(client, driver, factory, charger, bearer):
    for connector in charger.connectors:
        bookings.place_hold(factory.user(), connector.id)
    assert_error(_hold(client, bearer(driver), station_id=charger.station_id), 409, "charger_unavailable")


def test_closed_station_refuses_holds_with_403(client, driver, charger, bearer):
    charger.station.always_open, charger.station.opening_hours = False, {}
    db.session.commit()
    error = assert_error(_hold(client, bearer(driver)), 403, "station_closed")
    assert error["message"] == "Station is closed. Bookings are not allowed."
    assert_error(_hold(client, bearer(driver), station_id=charger.station_id), 403, "station_closed")
    assert db.session.query(Booking).count() == 0


def test_a_taken_connector_is_409(client, driver, factory, charger, bearer):
    bookings.place_hold(factory.user(), charger.connectors[0].id)
    assert_error(_hold(client, bearer(driver)), 409, "conflict")


def test_a_second_live_booking_is_409(client, driver, charger, bearer):
    first = _hold(client, bearer(driver), charger_id="CP-API-1", connector_id=2).get_json()
    error = assert_error(_hold(client, bearer(driver), station_id=charger.station_id), 409)
    assert error["message"] == "You already have a live booking." and error["details"]["booking_id"] == first["id"]


def test_offline_charger_is_409(client, driver, charger, bearer):
    charger.online = False
    db.session.commit()
    assert "offline" in assert_error(_hold(client, bearer(driver)), 409, "charger_unavailable")["message"]


@pytest.mark.parametrize("body, status, code", [
    ({"charger_id": "NOPE", "connector_id": 1}, 404, "not_found"),
    ({"charger_id": "CP-API-1", "connector_id": 9}, 404, "not_found"),
    ({"station_id": 999999}, 404, "not_found"),
    ({"station_id": 1, "charger_id": "CP-API-1", "connector_id": 1}, 422, "invalid_input"),
    ({"charger_id": "CP-API-1"}, 422, "invalid_input"),
    ({"connector_id": 1, "station_id": 1}, 422, "invalid_input"),
    ({"plug_type": "CCS2", "charger_id": "CP-API-1", "connector_id": 1}, 422, "invalid_input"),
    ({"station_id": 0}, 422, "invalid_input"),
])
def test_bad_hold_requests(client, driver, charger, bearer, body, status, code):
    assert_error(client.post("/api/bookings", headers=bearer(driver), json=body), status, code)


def test_suspended_driver_cannot_hold(client, driver, charger, bearer):
    headers = bearer(driver)
    driver.active = False
    db.session.commit()
    assert_error(_hold(client, headers), 403, "forbidden")


def test_read_own_booking_and_not_others(client, driver, factory, held, bearer):
    body = client.get(f"/api/bookings/{held.id}", headers=bearer(driver)).get_json()
    assert body["id"] == held.id and body["status"] == "HELD" and body["transaction_id"] is None
    assert_error(client.get(f"/api/bookings/{held.id}", headers=bearer(factory.user())), 404, "not_found")
    assert_error(client.get(f"/api/bookings/{held.id}"), 401)


def test_staff_cannot_read_a_drivers_booking_through_the_api(client, factory, held, bearer):
    """Staff see drivers' bookings in the console (scoped to their stations), not through the driver's API."""
    for role in ("operator", "admin"):
        assert_error(client.get(f"/api/bookings/{held.id}", headers=bearer(factory.user(role=role))), 404)


def test_expired_hold_reads_as_expired(client, driver, held, bearer, monkeypatch):
    later = held.hold_expires_at
    from datetime import timedelta

    monkeypatch.setattr(bookings, "utcnow", lambda: later + timedelta(seconds=1))
    body = client.get(f"/api/bookings/{held.id}", headers=bearer(driver)).get_json()
    assert body["status"] == "EXPIRED" and body["hold_seconds_left"] is None


def test_live_booking(client, driver, held, bearer):
    assert client.get("/api/bookings/live", headers=bearer(driver)).get_json()["booking"]["id"] == held.id
    bookings.cancel(driver, held.id)
    assert client.get("/api/bookings/live", headers=bearer(driver)).get_json() == {"booking": None}


def test_cancel_voids_and_frees_the_connector(client, driver, confirmed, bearer):
    response = client.delete(f"/api/bookings/{confirmed.id}", headers=bearer(driver))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "CANCELLED" and body["amount_refunded"] == body["amount_authorised"] > 0
    assert_error(client.delete(f"/api/bookings/{confirmed.id}", headers=bearer(driver)), 409, "conflict")


def test_cancel_someone_elses_booking_is_404(client, factory, held, bearer):
    assert_error(client.delete(f"/api/bookings/{held.id}", headers=bearer(factory.user())), 404)
    assert db.session.get(Booking, held.id).status == "HELD"


def test_quote(client, driver, held, bearer):
    body = client.get(f"/api/bookings/{held.id}/quote?quota_kwh=10", headers=bearer(driver)).get_json()
    assert body == {"booking_id": held.id, "quota_kwh": 10, "amount": 11 * 1800 + 2000, "currency": "INR"}
    assert_error(client.get(f"/api/bookings/{held.id}/quote?quota_kwh=500", headers=bearer(driver)), 422)
    assert_error(client.get(f"/api/bookings/{held.id}/quote", headers=bearer(driver)), 422)


def test_receipt_waits_for_the_end_then_lists_payments(client, driver, confirmed, bearer):
    error = assert_error(client.get(f"/api/bookings/{confirmed.id}/receipt", headers=bearer(driver)), 409)
    assert error["details"] == {"booking_status": "CONFIRMED"}
    bookings.cancel(driver, confirmed.id)
    body = client.get(f"/api/bookings/{confirmed.id}/receipt", headers=bearer(driver)).get_json()
    assert body["final"] is True and body["breakdown"]["total"] == 0 and body["captured"] == 0
    assert [(p["kind"], p["status"]) for p in body["payments"]] == [("authorise", "succeeded"),
                                                                     ("void", "succeeded")]


def test_rating_after_a_completed_session(client, driver, factory, confirmed, bearer):
    from webapp.services.charging import transactions
    from webapp.services.fleet import chargers
    from webapp.timeutil import utcnow

    headers = bearer(driver)
    assert "once your charging session is complete" in assert_error(
        client.post(f"/api/bookings/{confirmed.id}/rating", headers=headers, json={"stars": 4}), 409)["message"]
    tx, _ = transactions.start("CP-API-1", 1, driver.id_tag, 0, utcnow())
    transactions.stop("CP-API-1", tx, 2000, utcnow(), "Local")
    chargers.status_notification("CP-API-1", 1, "Available", "NoError", utcnow())
    db.session.commit()
    response = client.post(f"/api/bookings/{confirmed.id}/rating", headers=headers, json={"stars": 4})
    assert response.status_code == 200 and response.get_json()["rating"] == 4
    assert_error(client.post(f"/api/bookings/{confirmed.id}/rating", headers=bearer(factory.user()),
                             json={"stars": 5}), 404)
    assert_error(client.post(f"/api/bookings/{confirmed.id}/rating", headers=headers, json={"stars": 6}), 422)
    stations = client.get(f"/api/stations/{confirmed.connector.charger.station_id}").get_json()
    assert stations["rating"] == {"average": 4.0, "count": 1}


def test_simultaneous_holds_over_http_one_wins_the_rest_get_409(app, factory, charger, live_server):
    import json
    import threading
    import urllib.error
    import urllib.request

    from webapp.services.accounts import tokens

    users = [factory.user() for _ in range(8)]
    access = [tokens.issue_for(u)[1] for u in users]
    db.session.commit()  # SQLite: release the write lock before the server's threads need it
    barrier, outcomes = threading.Barrier(len(access)), []

    def attempt(token):
        request = urllib.request.Request(live_server.url + "/api/bookings", method="POST",
                                         data=json.dumps({"charger_id": "CP-API-1", "connector_id": 1}).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                outcomes.append((response.status, json.loads(response.read())))
        except urllib.error.HTTPError as exc:
            outcomes.append((exc.code, json.loads(exc.read())))

    threads = [threading.Thread(target=attempt, args=(t,)) for t in access]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [201] + [409] * (len(access) - 1), outcomes
    assert all(body["error"]["code"] in ("conflict", "charger_unavailable") for status, body in outcomes
               if status == 409)
    assert db.session.query(Booking).filter_by(status="HELD").count() == 1
