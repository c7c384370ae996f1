"""POST /api/charging/start and /stop and GET /api/chargers/{id}/status.

The charger side here is the OCPP service layer called directly (StartTransaction, StopTransaction) with
the command sender stubbed; test_golden_flow.py runs the same endpoints against the real simulator.
"""
import pytest

from webapp.extensions import db
from webapp.models import Booking
from webapp.services.charging import transactions
from webapp.services.platform import commands
from webapp.timeutil import utcnow

from .conftest import assert_error

START = {"charger_id": "CP-API-1", "connector_id": 1}


@pytest.fixture
def charger_accepts(monkeypatch):
    """The charger accepts RemoteStart/RemoteStop; returns the list of commands sent."""
    sent = []

    def remote_start(cp_id, connector_id, id_tag):
        sent.append(("start", cp_id, connector_id, id_tag))
        return True

    def remote_stop(cp_id, transaction_id):
        sent.append(("stop", cp_id, transaction_id))
        return True

    monkeypatch.setattr(commands, "remote_start", remote_start)
    monkeypatch.setattr(commands, "remote_stop", remote_stop)
    return sent


def _charger_starts(driver) -> int:
    tx, status = transactions.start("CP-API-1", 1, driver.id_tag, 1000, utcnow())
    db.session.commit()
    assert status == "Accepted"
    return tx


def test_start_sends_remote_start_with_the_drivers_own_id_tag(client, driver, confirmed, bearer, charger_accepts):
    response = client.post("/api/charging/start", headers=bearer(driver), json=START)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {"success": True, "message": "Charging start requested. The charger is starting...",
                    "transaction_id": None, "booking_id": confirmed.id, "booking_status": "CONFIRMED"}
    assert charger_accepts == [("start", "CP-API-1", 1, driver.id_tag)]


def test_start_names_a_booking_explicitly(client, driver, confirmed, bearer, charger_accepts):
    body = client.post("/api/charging/start", headers=bearer(driver), json={**START, "booking_id": confirmed.id})
    assert body.status_code == 200


def test_start_needs_a_confirmed_booking(client, driver, held, bearer, charger_accepts):
    assert "held" in assert_error(client.post("/api/charging/start", headers=bearer(driver), json=START),
                                  409, "conflict")["message"]
    assert charger_accepts == []


def test_start_without_any_booking_is_409(client, driver, charger, bearer, charger_accepts):
    error = assert_error(client.post("/api/charging/start", headers=bearer(driver), json=START), 409)
    assert error["message"] == "You have no confirmed booking. Book a connector and pay first."


def test_start_on_the_wrong_connector_is_409(client, driver, confirmed, bearer, charger_accepts):
    error = assert_error(client.post("/api/charging/start", headers=bearer(driver),
                                     json={"charger_id": "CP-API-1", "connector_id": 2}), 409)
    assert "not CP-API-1 #2" in error["message"]


def test_start_someone_elses_booking_is_404(client, factory, confirmed, bearer, charger_accepts):
    response = client.post("/api/charging/start", headers=bearer(factory.user()),
                           json={**START, "booking_id": confirmed.id})
    assert_error(response, 404, "not_found")


def test_start_unknown_charger_is_404(client, driver, confirmed, bearer, charger_accepts):
    assert_error(client.post("/api/charging/start", headers=bearer(driver),
                             json={"charger_id": "GHOST", "connector_id": 1}), 404, "not_found")


def test_charger_not_connected_is_502(client, driver, confirmed, bearer):
    error = assert_error(client.post("/api/charging/start", headers=bearer(driver), json=START), 502,
                         "command_failed")
    assert "not connected" in error["message"]


def test_charger_refusing_is_409(client, driver, confirmed, bearer, monkeypatch):
    monkeypatch.setattr(commands, "remote_start", lambda *a: False)
    assert_error(client.post("/api/charging/start", headers=bearer(driver), json=START), 409, "charger_unavailable")


def test_stop_sends_remote_stop(client, driver, confirmed, bearer, charger_accepts):
    tx = _charger_starts(driver)
    assert db.session.get(Booking, confirmed.id).status == "CHARGING"
    response = client.post("/api/charging/stop", headers=bearer(driver), json={"transaction_id": tx})
    assert response.status_code == 200
    assert response.get_json()["transaction_id"] == tx and response.get_json()["booking_status"] == "CHARGING"
    assert charger_accepts[-1] == ("stop", "CP-API-1", tx)
    # StopTransaction: now it is over, and a second stop is a conflict
    transactions.stop("CP-API-1", tx, 6000, utcnow(), "Remote")
    db.session.commit()
    assert_error(client.post("/api/charging/stop", headers=bearer(driver), json={"transaction_id": tx}), 409)


def test_stop_someone_elses_or_unknown_transaction_is_404(client, driver, factory, confirmed, bearer,
                                                          charger_accepts):
    tx = _charger_starts(driver)
    assert_error(client.post("/api/charging/stop", headers=bearer(factory.user()), json={"transaction_id": tx}), 404)
    assert_error(client.post("/api/charging/stop", headers=bearer(driver), json={"transaction_id": tx + 99}), 404)
    assert charger_accepts == []


@pytest.mark.parametrize("path, body", [("/api/charging/start", START), ("/api/charging/stop", {"transaction_id": 1})])
def test_charging_needs_a_token(client, path, body):
    assert_error(client.post(path, json=body), 401)


@pytest.mark.parametrize("path, body", [
    ("/api/charging/start", {"charger_id": "CP-API-1"}), ("/api/charging/start", {**START, "id_tag": "APP_USER"}),
    ("/api/charging/start", {"charger_id": "has space", "connector_id": 1}),
    ("/api/charging/stop", {}), ("/api/charging/stop", {"transaction_id": -1}),
])
def test_charging_bodies_are_validated(client, driver, bearer, path, body):
    assert_error(client.post(path, headers=bearer(driver), json=body), 422, "invalid_input")


def test_charger_status(client, driver, charger, bearer):
    body = client.get("/api/chargers/CP-API-1/status", headers=bearer(driver)).get_json()
    assert body["charger_id"] == "CP-API-1" and body["online"] is True and body["connected"] is False
    assert 0 <= body["seconds_since_seen"] < 5
    assert [(c["connector_id"], c["status"]) for c in body["connectors"]] == [(1, "Available"), (2, "Available")]
    assert_error(client.get("/api/chargers/GHOST/status", headers=bearer(driver)), 404)
    assert_error(client.get("/api/chargers/CP-API-1/status"), 401)
