"""The WebSocket handshake: subprotocol negotiation and charger authentication (security profile 1)."""
import json

import pytest
from websockets.exceptions import InvalidStatus

from webapp.extensions import db
from webapp.models import Charger
from webapp.services.fleet import chargers


def test_subprotocol_is_echoed(raw, make_charger):
    password = make_charger("CP-HS-1")
    client = raw("CP-HS-1", password)
    assert client.ws.subprotocol == "ocpp1.6"
    assert client.boot()["status"] == "Accepted"


@pytest.mark.parametrize("offered", [(), ("ocpp2.0.1",)])
def test_client_without_ocpp16_is_refused(raw, make_charger, offered):
    password = make_charger("CP-HS-2")
    with pytest.raises(InvalidStatus) as err:
        raw("CP-HS-2", password, subprotocols=offered)
    assert err.value.response.status_code == 400


@pytest.mark.parametrize("password", [None, "wrong-password"])
def test_bad_password_is_refused(raw, make_charger, password):
    make_charger("CP-HS-3")
    with pytest.raises(InvalidStatus) as err:
        raw("CP-HS-3", password)
    assert err.value.response.status_code == 401


# An unknown id without auto-registration is refused at the handshake: tests/ocpp/test_charger_identity.py.


def test_unknown_charger_pending_when_configured(raw, app):
    app.config["OCPP_UNKNOWN_STATUS"] = "Pending"
    assert raw("CP-NEWCOMER").boot()["status"] == "Pending"
    db.session.rollback()
    assert chargers.get_by_cp_id("CP-NEWCOMER").registration_status == "Pending"


def test_auto_register_accepts_unknown_chargers(raw, app):
    app.config["OCPP_AUTO_REGISTER"] = True
    client = raw("CP-AUTO")
    assert client.boot()["status"] == "Accepted"
    provisioning = client.recv()  # its AuthorizationKey (tests/ocpp/test_charger_identity.py)
    assert provisioning[2] == "ChangeConfiguration"
    client.send_raw(json.dumps([3, provisioning[1], {"status": "Accepted"}]))
    assert client.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})[0] == 3
    db.session.rollback()
    charger = db.session.execute(db.select(Charger).where(Charger.charge_point_id == "CP-AUTO")).scalar_one()
    assert charger.online and charger.connectors[0].status == "Available"
