"""The simulator against a tiny fake Central System built on the same ocpp library.

Both ends validate every payload against the OCPP 1.6 schemas, so any CALLERROR the
simulator gets back means it sent something invalid; the fixture asserts there is none.
"""

from __future__ import annotations

import base64

import pytest
from ocpp.v16 import call

from tests.device.fake_central import remote_start, utc

@pytest.fixture
def charger(make_charger):
    return make_charger(connectors=2, meter_interval=0.3, time_scale=600, soc_start=40, plug_delay=0.05,
                        solar_kw=5, solar_follow_sun=False)


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
