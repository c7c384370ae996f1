"""The simulator against a tiny fake Central System built on the same ocpp library.

Both ends validate every payload against the OCPP 1.6 schemas, so any CALLERROR the
simulator gets back means it sent something invalid; the fixture asserts there is none.
"""

from __future__ import annotations

import base64
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from device.harness import SimulatorThread

_ids = itertools.count(1)


def utc(delta_s: float = 0) -> str:
    return (datetime.now(timezone.utc) + timedelta(seconds=delta_s)).isoformat()


class FakeCentral(ChargePoint):
    """Accepts everything; transaction ids from 100; idTag "BAD" is Invalid."""

    tx_ids = itertools.count(100)

    def __init__(self, cp_id, connection, log):
        super().__init__(cp_id, connection, response_timeout=5)
        self.log = log

    def _record(self, action, **kwargs):
        self.log.append((self.id, action, kwargs))

    @on(Action.boot_notification)
    def on_boot(self, charge_point_vendor, charge_point_model, **kw):
        self._record("BootNotification", vendor=charge_point_vendor, model=charge_point_model, **kw)
        if self.id.startswith("PEND") and len([e for e in self.log if e[0] == self.id]) == 1:
            return call_result.BootNotification(current_time=utc(), interval=1, status="Pending")
        return call_result.BootNotification(current_time=utc(), interval=30, status="Accepted")

    @on(Action.heartbeat)
    def on_heartbeat(self):
        return call_result.Heartbeat(current_time=utc())

    @on(Action.status_notification)
    def on_status(self, connector_id, error_code, status, **kw):
        self._record("StatusNotification", connector_id=connector_id, status=status, error_code=error_code)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag):
        return call_result.Authorize(id_tag_info={"status": "Invalid" if id_tag == "BAD" else "Accepted"})

    @on(Action.start_transaction)
    def on_start(self, connector_id, id_tag, meter_start, timestamp, **kw):
        tx = next(self.tx_ids)
        self._record("StartTransaction", transaction_id=tx, connector_id=connector_id, id_tag=id_tag,
                     meter_start=meter_start, timestamp=timestamp, **kw)
        status = "Invalid" if id_tag == "BAD" else "Accepted"
        return call_result.StartTransaction(transaction_id=tx, id_tag_info={"status": status})

    @on(Action.meter_values)
    def on_meter_values(self, connector_id, meter_value, transaction_id=None):
        self._record("MeterValues", connector_id=connector_id, transaction_id=transaction_id,
                     meter_value=meter_value)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop(self, meter_stop, timestamp, transaction_id, **kw):
        self._record("StopTransaction", meter_stop=meter_stop, timestamp=timestamp,
                     transaction_id=transaction_id, **kw)
        return call_result.StopTransaction(id_tag_info={"status": "Accepted"})

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kw):
        return call_result.DataTransfer(status="Accepted")

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status):
        self._record("FirmwareStatusNotification", status=status)
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, status):
        self._record("DiagnosticsStatusNotification", status=status)
        return call_result.DiagnosticsStatusNotification()


class Central:
    """The fake server: one FakeCentral per connection, a shared log of what arrived."""

    def __init__(self, harness):
        self.harness = harness
        self.log: list[tuple[str, str, dict]] = []
        self.sessions: dict[str, FakeCentral] = {}
        self.auth: dict[str, str | None] = {}
        async def start():
            return await serve(self._handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"])
        self.server = harness.run(start())
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/ocpp"

    async def _handler(self, ws):
        cp_id = ws.request.path.rsplit("/", 1)[-1]
        self.auth[cp_id] = ws.request.headers.get("Authorization")
        self.sessions[cp_id] = session = FakeCentral(cp_id, ws, self.log)
        try:
            await session.start()
        except ConnectionClosed:
            pass

    def send(self, cp_id, payload):
        return self.harness.run(self.sessions[cp_id].call(payload))

    def got(self, cp_id, action):
        return [kw for who, act, kw in list(self.log) if who == cp_id and act == action]


@pytest.fixture(scope="module")
def harness():
    h = SimulatorThread(default_timeout=10)
    yield h
    h.stop()


@pytest.fixture(scope="module")
def central(harness):
    central = Central(harness)
    yield central
    harness.call(central.server.close)


@pytest.fixture
def charger(harness, central):
    cp_id = f"CP-{next(_ids)}"
    c = harness.add(cp_id, central.url, password="secret", connectors=2, meter_interval=0.3,
                    time_scale=600, soc_start=40, plug_delay=0.05, solar_kw=5, solar_follow_sun=False)
    assert c.connect() == "Accepted"
    yield c
    errors = [(action, resp) for action, _, resp in c.sent if resp and "error" in resp]
    assert not errors, f"the server refused simulator payloads: {errors}"
    c.disconnect()


def remote_start(central, c, connector_id, id_tag="TAG1"):
    result = central.send(c.cp_id, call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_id))
    assert result.status == "Accepted"
    return c.wait_status(connector_id, "Charging")


def test_boot_and_status(charger, central):
    expected = "Basic " + base64.b64encode(f"{charger.cp_id}:secret".encode()).decode()
    assert central.auth[charger.cp_id] == expected
    boot = central.got(charger.cp_id, "BootNotification")
    assert boot and boot[0]["vendor"] == "Chargeway" and boot[0]["charge_point_serial_number"]
    charger.wait_for(lambda c: len(central.got(c.cp_id, "StatusNotification")) >= 3)
    statuses = {s["connector_id"]: s["status"] for s in central.got(charger.cp_id, "StatusNotification")}
    assert statuses == {0: "Available", 1: "Available", 2: "Available"}
    req, resp = charger.wait_sent("DataTransfer")
    assert req["messageId"] == "SolarProduction" and '"kw": 5' in req["data"]


def test_remote_start_meters_and_remote_stop(charger, central):
    state = remote_start(central, charger, 1)
    assert state["door_locked"] and state["cable_plugged"] and state["remote_started"]
    start = central.got(charger.cp_id, "StartTransaction")[0]
    assert start["meter_start"] == 1_000_000 and start["timestamp"].endswith("Z")
    charger.wait_for(lambda c: len(central.got(c.cp_id, "MeterValues")) >= 3)
    samples = [{s["measurand"]: s for s in mv["meter_value"][0]["sampled_value"]}
               for mv in central.got(charger.cp_id, "MeterValues")]
    energy = [int(s["Energy.Active.Import.Register"]["value"]) for s in samples]
    soc = [int(s["SoC"]["value"]) for s in samples]
    assert energy == sorted(energy) and energy[-1] > energy[0] > 1_000_000
    assert soc[-1] > soc[0] >= 40 and samples[0]["SoC"]["location"] == "EV"
    assert int(samples[0]["Power.Active.Import"]["value"]) == 22000
    tx = start["transaction_id"]
    assert {mv["transaction_id"] for mv in central.got(charger.cp_id, "MeterValues")} == {tx}

    assert central.send(charger.cp_id, call.RemoteStopTransaction(transaction_id=999)).status == "Rejected"
    assert central.send(charger.cp_id, call.RemoteStopTransaction(transaction_id=tx)).status == "Accepted"
    charger.wait_status(1, "Finishing")
    stop = central.got(charger.cp_id, "StopTransaction")[0]
    assert stop["transaction_id"] == tx and stop["reason"] == "Remote" and stop["id_tag"] == "TAG1"
    assert stop["meter_stop"] > start["meter_start"]
    charger.unplug(1)
    assert charger.status(1) == "Finishing"  # the door is still open
    charger.close_door(1)
    charger.wait_status(1, "Available")


def test_unplug_during_charge_stops_with_ev_disconnected(charger, central):
    remote_start(central, charger, 2)
    charger.unplug(2)
    charger.wait_status(2, "Finishing")
    assert central.got(charger.cp_id, "StopTransaction")[0]["reason"] == "EVDisconnected"
    charger.close_door(2)
    charger.wait_status(2, "Available")


def test_invalid_id_tag_is_deauthorized(charger, central):
    assert charger.swipe("BAD", 1) == "Invalid"
    assert charger.status(1) == "Available"
    central.send(charger.cp_id, call.RemoteStartTransaction(id_tag="BAD", connector_id=1))
    charger.wait_for(lambda c: central.got(c.cp_id, "StopTransaction"))
    assert central.got(charger.cp_id, "StopTransaction")[0]["reason"] == "DeAuthorized"
    charger.wait_status(1, "Finishing")
    charger.finish(1)
    charger.wait_status(1, "Available")


def test_reserve_and_cancel(charger, central):
    reserve = call.ReserveNow(connector_id=2, expiry_date=utc(60), id_tag="TAG2", reservation_id=7)
    assert central.send(charger.cp_id, reserve).status == "Accepted"
    charger.wait_status(2, "Reserved")
    other = call.ReserveNow(connector_id=2, expiry_date=utc(60), id_tag="TAG3", reservation_id=8)
    assert central.send(charger.cp_id, other).status == "Occupied"
    wrong = call.RemoteStartTransaction(id_tag="TAG3", connector_id=2)
    assert central.send(charger.cp_id, wrong).status == "Rejected"
    assert central.send(charger.cp_id, call.CancelReservation(reservation_id=7)).status == "Accepted"
    charger.wait_status(2, "Available")
    assert central.send(charger.cp_id, call.CancelReservation(reservation_id=7)).status == "Rejected"
    # A reservation used by its driver travels in StartTransaction; one not used lapses.
    central.send(charger.cp_id, call.ReserveNow(connector_id=2, expiry_date=utc(60), id_tag="TAG2",
                                                reservation_id=9))
    charger.wait_status(2, "Reserved")
    remote_start(central, charger, 2, id_tag="TAG2")
    assert central.got(charger.cp_id, "StartTransaction")[0]["reservation_id"] == 9
    central.send(charger.cp_id, call.ReserveNow(connector_id=1, expiry_date=utc(0.5), id_tag="TAG4",
                                                reservation_id=10))
    charger.wait_status(1, "Reserved")
    charger.wait_status(1, "Available", timeout=3)


def test_offline_queue_replays_in_order(charger, central):
    remote_start(central, charger, 1)
    tx = central.got(charger.cp_id, "StartTransaction")[0]["transaction_id"]
    charger.drop_connection(1.5)
    assert not charger.online
    charger.stop_local(1)
    assert charger.swipe("TAG5", 2) == "Accepted"  # offline: authorised locally
    charger.wait_status(2, "Charging")
    assert charger.transaction_id(2) < 0  # placeholder until the server answers
    charger.wait_for(lambda c: [a for a, _ in c.queued].count("MeterValues") >= 1)
    charger.stop_local(2)
    queued = [a for a, _ in charger.queued]
    assert queued[:2] == ["StopTransaction", "StartTransaction"] and queued[-1] == "StopTransaction"
    charger.wait_for(lambda c: len(central.got(c.cp_id, "StopTransaction")) == 2, timeout=5)
    assert len(central.got(charger.cp_id, "BootNotification")) == 2
    first, second = central.got(charger.cp_id, "StopTransaction")
    assert first["transaction_id"] == tx and first["reason"] == "Local"
    offline_start = central.got(charger.cp_id, "StartTransaction")[1]
    assert second["transaction_id"] == offline_start["transaction_id"] > 0
    # Replays keep their own timestamps. At 600x the charger's clock runs 600 times faster inside each
    # transaction (device/session.py), so only the times of one transaction are compared.
    online_start = central.got(charger.cp_id, "StartTransaction")[0]
    assert offline_start["id_tag"] == "TAG5" and online_start["timestamp"] < first["timestamp"]
    assert offline_start["timestamp"] < second["timestamp"]
    # An entry leaves the queue when its answer arrives, a moment after the server has received it.
    charger.wait_for(lambda c: c.queued == [], timeout=5)
    offline_meters = [mv for mv in central.got(charger.cp_id, "MeterValues") if mv["connector_id"] == 2]
    assert offline_meters and {mv["transaction_id"] for mv in offline_meters} == {second["transaction_id"]}
    charger.wait_status(1, "Finishing")


def test_silent_then_resume_delivers_queued_stop(charger, central):
    remote_start(central, charger, 1)
    charger.go_silent()
    charger.stop_local(1)
    assert [a for a, _ in charger.queued] == ["StopTransaction"]
    assert not central.got(charger.cp_id, "StopTransaction")
    charger.resume()
    charger.wait_for(lambda c: central.got(c.cp_id, "StopTransaction"))
    assert len(central.got(charger.cp_id, "BootNotification")) == 1  # same socket all along


def test_pending_boot_is_retried(harness, central):
    c = harness.add("PEND-1", central.url, connectors=1)
    try:
        assert c.connect() == "Pending"
        assert not central.got("PEND-1", "StatusNotification")
        c.wait_online(timeout=4)
        c.wait_for(lambda p: central.got("PEND-1", "StatusNotification"))
        assert central.auth["PEND-1"] is None
    finally:
        c.disconnect()


def test_firmware_and_diagnostics(charger, central):
    assert central.send(charger.cp_id, call.UpdateFirmware(location="http://x/fw.bin",
                                                           retrieve_date=utc())) is not None
    diag = central.send(charger.cp_id, call.GetDiagnostics(location="ftp://x/"))
    assert diag.file_name.startswith(f"diagnostics-{charger.cp_id}")
    charger.wait_for(lambda c: len(central.got(c.cp_id, "FirmwareStatusNotification")) == 4, timeout=5)
    assert [s["status"] for s in central.got(charger.cp_id, "DiagnosticsStatusNotification")] == [
        "Uploading", "Uploaded"]
    for message in ("MeterValues", "Heartbeat", "BootNotification", "FirmwareStatusNotification",
                    "DiagnosticsStatusNotification"):
        trigger = call.TriggerMessage(requested_message=message)
        assert central.send(charger.cp_id, trigger).status == "Accepted"
        charger.wait_sent(message)
    meter = central.got(charger.cp_id, "MeterValues")[0]
    assert meter["transaction_id"] is None and meter["meter_value"][0]["sampled_value"][0]["context"] == "Trigger"


def test_server_commands(charger, central):
    cfg = central.send(charger.cp_id, call.GetConfiguration(key=["SupportedFeatureProfiles", "Nope"]))
    assert cfg.configuration_key[0]["value"] == "Core,FirmwareManagement,Reservation,RemoteTrigger,SmartCharging"
    assert cfg.unknown_key == ["Nope"]
    assert len(central.send(charger.cp_id, call.GetConfiguration()).configuration_key) > 10
    change = lambda k, v: central.send(charger.cp_id, call.ChangeConfiguration(key=k, value=v)).status  # noqa: E731
    assert (change("MeterValueSampleInterval", "5"), change("NumberOfConnectors", "3"),
            change("Nope", "1"), change("HeartbeatInterval", "x")) == (
            "Accepted", "Rejected", "NotSupported", "Rejected")
    assert central.send(charger.cp_id, call.UnlockConnector(connector_id=9)).status == "NotSupported"
    assert central.send(charger.cp_id, call.ClearCache()).status == "Accepted"
    dt = central.send(charger.cp_id, call.DataTransfer(vendor_id="Chargeway", message_id="x", data="hi"))
    assert (dt.status, dt.data) == ("Accepted", "hi")
    assert central.send(charger.cp_id, call.DataTransfer(vendor_id="Other")).status == "UnknownVendorId"
    before = len(central.got(charger.cp_id, "StatusNotification"))
    trig = call.TriggerMessage(requested_message="StatusNotification", connector_id=2)
    assert central.send(charger.cp_id, trig).status == "Accepted"
    charger.wait_for(lambda c: len(central.got(c.cp_id, "StatusNotification")) > before)
    off = call.ChangeAvailability(connector_id=0, type="Inoperative")
    assert central.send(charger.cp_id, off).status == "Accepted"
    charger.wait_status(2, "Unavailable")
    assert central.send(charger.cp_id, call.RemoteStartTransaction(id_tag="T", connector_id=2)).status == "Rejected"
    central.send(charger.cp_id, call.ChangeAvailability(connector_id=0, type="Operative"))
    charger.wait_status(2, "Available")
    charger.fault(1)
    assert central.send(charger.cp_id, call.ReserveNow(connector_id=1, expiry_date=utc(60), id_tag="T",
                                                       reservation_id=3)).status == "Faulted"
    charger.clear_fault(1)
    charger.wait_status(1, "Available")


def test_fault_during_session_and_reset(charger, central):
    remote_start(central, charger, 1)
    charger.fault(1, "GroundFailure")
    charger.wait_for(lambda c: central.got(c.cp_id, "StopTransaction"))
    assert central.got(charger.cp_id, "StopTransaction")[0]["reason"] == "Other"
    assert charger.status(1) == "Faulted"
    charger.clear_fault(1)
    charger.wait_status(1, "Finishing")
    remote_start(central, charger, 2)
    assert central.send(charger.cp_id, call.Reset(type="Soft")).status == "Accepted"
    charger.wait_for(lambda c: len(central.got(c.cp_id, "BootNotification")) == 2, timeout=5)
    assert central.got(charger.cp_id, "StopTransaction")[1]["reason"] == "SoftReset"
    charger.wait_online()
