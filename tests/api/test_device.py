"""POST /device/heartbeat: per-device HTTP Basic, feeding the same online/offline logic as OCPP."""
import base64
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import Charger, ChargerEvent
from webapp.services.fleet import chargers
from webapp.timeutil import utcnow

from .conftest import assert_error


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def device(factory):
    """A simple charger that has never been seen."""
    return factory.charger(cp_id="DEV-1", connectors=2, password="dev-secret", online=False, status="Unavailable")


def _beat(client, headers, **body):
    return client.post("/device/heartbeat", headers=headers, json=body)


def test_heartbeat_marks_online_and_seen(client, device):
    response = _beat(client, basic("DEV-1", "dev-secret"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "Accepted" and body["online"] is True and body["charger_id"] == "DEV-1"
    db.session.expire_all()
    charger = db.session.get(Charger, device.id)
    assert charger.online is True and (utcnow() - charger.last_seen).total_seconds() < 5
    assert [e.kind for e in db.session.query(ChargerEvent).filter_by(charger_id=device.id)] == ["online"]


@pytest.mark.both_dbs
def test_heartbeat_reports_connector_status_changes_only(client, device):
    headers = basic("DEV-1", "dev-secret")
    connectors = [{"connector_id": 1, "status": "Available"}, {"connector_id": 2, "status": "Faulted",
                                                               "error_code": "GroundFailure"}]
    _beat(client, headers, connectors=connectors)
    _beat(client, headers, connectors=connectors)  # unchanged: no new events
    db.session.expire_all()
    charger = db.session.get(Charger, device.id)
    assert [(c.status, c.error_code) for c in charger.connectors] == [("Available", "NoError"),
                                                                       ("Faulted", "GroundFailure")]
    kinds = [e.kind for e in db.session.query(ChargerEvent).filter_by(charger_id=device.id)]
    assert sorted(kinds) == ["fault", "online", "status"]


def test_silence_marks_it_offline_and_the_next_heartbeat_back_online(client, device, app):
    headers = basic("DEV-1", "dev-secret")
    _beat(client, headers)
    db.session.expire_all()
    interval = db.session.get(Charger, device.id).heartbeat_interval
    silent_for = timedelta(seconds=2 * interval + app.config["OFFLINE_MARGIN_SECONDS"] + 1)
    assert chargers.detect_offline(utcnow() + silent_for) == ["DEV-1"]
    assert db.session.get(Charger, device.id).online is False
    assert _beat(client, headers).get_json()["online"] is True


def test_a_device_that_keeps_beating_stays_online(client, device):
    _beat(client, basic("DEV-1", "dev-secret"))
    assert chargers.detect_offline(utcnow() + timedelta(seconds=10)) == []


@pytest.mark.parametrize("headers", [{}, basic("DEV-1", "wrong"), basic("NOPE", "dev-secret"),
                                     {"Authorization": "Bearer dev-secret"}, {"Authorization": "Basic !!!"}])
def test_bad_device_credentials_are_401(client, device, headers):
    assert_error(_beat(client, headers), 401, "unauthorized")
    assert db.session.get(Charger, device.id).online is False


def test_a_charger_without_a_password_cannot_use_http(client, factory):
    factory.charger(cp_id="OPEN-1", online=False)
    assert_error(_beat(client, basic("OPEN-1", "")), 401, "unauthorized")


def test_retired_or_unaccepted_chargers_are_403(client, device):
    device.registration_status = "Pending"
    db.session.commit()
    assert_error(_beat(client, basic("DEV-1", "dev-secret")), 403, "forbidden")
    device.registration_status, device.retired = "Accepted", True
    db.session.commit()
    assert_error(_beat(client, basic("DEV-1", "dev-secret")), 403, "forbidden")


@pytest.mark.parametrize("connectors", [[{"connector_id": 1, "status": "Sleeping"}], [{"status": "Available"}],
                                        [{"connector_id": 0, "status": "Available"}], "all good"])
def test_bad_reports_are_422_and_change_nothing(client, device, connectors):
    assert_error(_beat(client, basic("DEV-1", "dev-secret"), connectors=connectors), 422, "invalid_input")
    assert db.session.get(Charger, device.id).online is False
