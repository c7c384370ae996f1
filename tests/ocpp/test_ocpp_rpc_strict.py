"""An independent client, the npm package ocpp-rpc in strictMode, finds no schema violation in anything
we send: answers to its CALLs and the commands our services send it."""
import shutil
import threading
from datetime import timedelta

import pytest

from tests.conftest import need, release_db, wait_until
from tests.support.ocpp_rpc import OcppRpcClient, ensure_installed
from webapp.extensions import db
from webapp.models import ChargingSession
from webapp.services.fleet import chargers
from webapp.services.platform import commands
from webapp.timeutil import iso, utcnow


@pytest.fixture(scope="module", autouse=True)
def node_client():
    if shutil.which("node") is None or shutil.which("npm") is None:
        need("node and npm for the ocpp-rpc strict client")
    ensure_installed()


def in_thread(app, fn, *args):
    """Run a service command in another thread (it blocks until the client answers)."""
    result = {}

    def run():
        with app.app_context():
            try:
                result["value"] = fn(*args)
            except Exception as exc:  # reported to the test
                result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_strict_client_full_session(app, live_server, make_charger, factory, station):
    operator = factory.user(role="operator")
    operator.stations = [station]
    password = make_charger("RPC-STRICT-1", connectors=1)
    tag = operator.id_tag
    release_db()
    with OcppRpcClient(live_server.ws_url, "RPC-STRICT-1", password=password) as client:
        boot = client.call("BootNotification", {"chargePointVendor": "ocpp-rpc", "chargePointModel": "strict"})
        assert boot["status"] == "Accepted"
        assert client.call("Heartbeat", {})["currentTime"]
        now = iso(utcnow())
        client.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                                           "timestamp": now})
        assert client.call("Authorize", {"idTag": tag})["idTagInfo"]["status"] == "Accepted"
        start = client.call("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 5000,
                                                 "timestamp": now})
        tx = start["transactionId"]
        assert start["idTagInfo"]["status"] == "Accepted"
        client.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": iso(utcnow()), "sampledValue": [
                {"value": "6500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"}]}]})
        stop = client.call("StopTransaction", {"transactionId": tx, "meterStop": 9000,
                                               "timestamp": iso(utcnow()), "reason": "Local", "idTag": tag})
        assert stop["idTagInfo"]["status"] == "Accepted"
        assert client.call("DataTransfer", {"vendorId": "Elsewhere"})["status"] == "UnknownVendorId"
        client.call("FirmwareStatusNotification", {"status": "Idle"})
        client.call("DiagnosticsStatusNotification", {"status": "Idle"})

        # Commands sent from a service call reach the client and come back answered.
        expiry = utcnow() + timedelta(minutes=10)
        for fn, args, action in [
            (commands.remote_start, ("RPC-STRICT-1", 1, tag), "RemoteStartTransaction"),
            (commands.remote_stop, ("RPC-STRICT-1", tx), "RemoteStopTransaction"),
            (commands.unlock, ("RPC-STRICT-1", 1), "UnlockConnector"),
            (commands.reserve_now, ("RPC-STRICT-1", 1, expiry, tag, 77), "ReserveNow"),
            (commands.cancel_reservation, ("RPC-STRICT-1", 77), "CancelReservation"),
            (commands.get_configuration, ("RPC-STRICT-1",), "GetConfiguration"),
            (commands.trigger_message, ("RPC-STRICT-1", "Heartbeat"), "TriggerMessage"),
        ]:
            thread, result = in_thread(app, fn, *args)
            params = client.wait_received(action, timeout=10)
            thread.join(10)
            assert "error" not in result, result
            assert result["value"] not in (False, None, "Rejected"), (action, result)
            if action == "ReserveNow":
                assert params["expiryDate"].endswith("Z") and params["reservationId"] == 77
        assert client.violations() == [], client.violations()
    session = wait_until(lambda: db.session.get(ChargingSession, tx))
    assert session.energy_wh == 4000 and session.stop_reason == "Local"
    wait_until(lambda: not chargers.get_by_cp_id("RPC-STRICT-1").online)
