"""The simulator obeys charging profiles over a real WebSocket, sent by the ocpp library's server side."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ocpp.v16 import call

from device.meter import MeterFormat
from tests.device.fake_central import remote_start

SMART_KEYS = ["ChargeProfileMaxStackLevel", "ChargingScheduleAllowedChargingRateUnit",
              "ChargingScheduleMaxPeriods", "MaxChargingProfilesInstalled"]


@pytest.fixture
def charger(make_charger):
    """Two 22 kW three-phase connectors, real time (no taper within a test)."""
    return make_charger(connectors=2, meter_interval=0.2, time_scale=1, soc_start=20, plug_delay=0.05,
                        meter_format=MeterFormat(phases=3))


def profile(pid, purpose="TxDefaultProfile", limit=11000.0, unit="W", stack=0, kind="Absolute", periods=None,
            tx=None, start=None):
    schedule = {"charging_rate_unit": unit,
                "charging_schedule_period": periods or [{"start_period": 0, "limit": limit}]}
    if kind != "Relative":
        schedule["start_schedule"] = (start or datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    body = {"charging_profile_id": pid, "stack_level": stack, "charging_profile_purpose": purpose,
            "charging_profile_kind": kind, "charging_schedule": schedule}
    if tx is not None:
        body["transaction_id"] = tx
    return body


def set_profile(central, c, connector_id, body) -> str:
    return central.send(c.cp_id, call.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=body)).status


def periods(composite) -> list[tuple[int, float]]:
    """A GetCompositeSchedule answer's periods as (startPeriod, limit) (the ocpp library reads limits as Decimal)."""
    return [(p["start_period"], float(p["limit"])) for p in composite.charging_schedule["charging_schedule_period"]]


def readings(central, c, connector_id):
    """(total W, [A per phase]) of every MeterValues of the connector, oldest first."""
    out = []
    for mv in central.got(c.cp_id, "MeterValues"):
        if mv["connector_id"] != connector_id:
            continue
        samples = mv["meter_value"][0]["sampled_value"]
        total = [float(s["value"]) for s in samples if s["measurand"] == "Power.Active.Import" and "phase" not in s]
        amps = [float(s["value"]) for s in samples if s["measurand"] == "Current.Import"]
        out.append((total[0], amps))
    return out


def wait_power(central, c, connector_id, watts, after=0):
    """Wait for a MeterValues (past the first ``after``) reporting ``watts``; return its reading."""
    def seen(_):
        return next((r for r in readings(central, c, connector_id)[after:] if abs(r[0] - watts) < 1), None)
    return c.wait_for(seen, timeout=5, message=f"{c.cp_id}/{connector_id} never metered {watts} W: "
                                                f"{readings(central, c, connector_id)[-3:]}")


def test_configuration_keys_are_reported_and_read_only(charger, central):
    cfg = central.send(charger.cp_id, call.GetConfiguration(key=["SupportedFeatureProfiles", *SMART_KEYS]))
    values = {k["key"]: (k["value"], k["readonly"]) for k in cfg.configuration_key}
    assert values == {"SupportedFeatureProfiles": ("Core,FirmwareManagement,Reservation,RemoteTrigger,SmartCharging",
                                                   True),
                      "ChargeProfileMaxStackLevel": ("8", True),
                      "ChargingScheduleAllowedChargingRateUnit": ("Current,Power", True),
                      "ChargingScheduleMaxPeriods": ("24", True), "MaxChargingProfilesInstalled": ("10", True)}
    change = call.ChangeConfiguration(key="ChargeProfileMaxStackLevel", value="99")
    assert central.send(charger.cp_id, change).status == "Rejected"


def test_two_sessions_share_a_22_kw_charge_point_max_and_follow_tx_profiles(charger, central):
    remote_start(central, charger, 1)
    remote_start(central, charger, 2)
    wait_power(central, charger, 1, 22000)
    assert set_profile(central, charger, 0, profile(1, "ChargePointMaxProfile", 22000)) == "Accepted"
    for connector_id in (1, 2):
        _, amps = wait_power(central, charger, connector_id, 11000, after=len(readings(central, charger, 1)))
        assert amps == [15.9, 15.9, 15.9]  # 11 kW over three phases at 230 V

    tx1 = charger.transaction_id(1)
    assert set_profile(central, charger, 1, profile(2, "TxProfile", 10, unit="A", tx=tx1, kind="Relative")) == "Accepted"
    n1, n2 = len(readings(central, charger, 1)), len(readings(central, charger, 2))
    wait_power(central, charger, 1, 6900, after=n1)  # 10 A x 3 x 230 V
    # what connector 1 may no longer draw of the 22 kW cap goes to connector 2 (load balancing)
    last1, last2 = wait_power(central, charger, 2, 15100, after=n2), readings(central, charger, 1)[-1]
    assert last1[0] + last2[0] <= 22000

    composite = central.send(charger.cp_id, call.GetCompositeSchedule(connector_id=1, duration=600,
                                                                       charging_rate_unit="W"))
    assert composite.status == "Accepted" and composite.connector_id == 1
    assert periods(composite) == [(0, 6900.0)]
    amps = central.send(charger.cp_id, call.GetCompositeSchedule(connector_id=2, duration=600, charging_rate_unit="A"))
    assert periods(amps) == [(0, 31.8)]  # the cap

    clear = call.ClearChargingProfile(charging_profile_purpose="TxProfile")
    assert central.send(charger.cp_id, clear).status == "Accepted"
    assert central.send(charger.cp_id, clear).status == "Unknown"  # nothing left to clear
    wait_power(central, charger, 1, 11000, after=len(readings(central, charger, 1)))


def test_refused_profiles(charger, central):
    remote_start(central, charger, 1)
    tx = charger.transaction_id(1)
    assert set_profile(central, charger, 1, profile(1, "TxProfile", tx=tx + 1, kind="Relative")) == "Rejected"
    assert set_profile(central, charger, 2, profile(2, "TxProfile", kind="Relative")) == "Rejected"  # no transaction
    assert set_profile(central, charger, 1, profile(3, stack=9)) == "Rejected"  # above ChargeProfileMaxStackLevel
    assert set_profile(central, charger, 1, profile(4, "ChargePointMaxProfile")) == "Rejected"  # not connector 0
    assert set_profile(central, charger, 3, profile(5)) == "Rejected"  # no such connector
    periods = [{"start_period": i * 60, "limit": 1000.0} for i in range(25)]
    assert set_profile(central, charger, 1, profile(6, periods=periods)) == "Rejected"  # > ChargingScheduleMaxPeriods
    assert central.send(charger.cp_id, call.GetCompositeSchedule(connector_id=5, duration=60)).status == "Rejected"
    wait_power(central, charger, 1, 22000)


def test_schedule_steps_and_zero_suspends_the_evse(charger, central):
    remote_start(central, charger, 1)
    periods = [{"start_period": 0, "limit": 7000.0}, {"start_period": 2, "limit": 0.0},
               {"start_period": 4, "limit": 3700.0}]
    start = datetime.now(timezone.utc)
    assert set_profile(central, charger, 1, profile(1, periods=periods, start=start)) == "Accepted"
    wait_power(central, charger, 1, 7000)
    charger.wait_status(1, "SuspendedEVSE")
    wait_power(central, charger, 1, 0)
    charger.wait_status(1, "Charging")
    wait_power(central, charger, 1, 3700)
    energy = [mv["meter_value"][0]["sampled_value"][0] for mv in central.got(charger.cp_id, "MeterValues")]
    assert all(e["measurand"] == "Energy.Active.Import.Register" for e in energy)


def test_transaction_end_drops_its_tx_profile(charger, central):
    remote_start(central, charger, 1)
    tx = charger.transaction_id(1)
    assert set_profile(central, charger, 1, profile(1, "TxProfile", 5000, tx=tx, kind="Relative")) == "Accepted"
    wait_power(central, charger, 1, 5000)
    assert central.send(charger.cp_id, call.RemoteStopTransaction(transaction_id=tx)).status == "Accepted"
    charger.wait_status(1, "Finishing")
    composite = central.send(charger.cp_id, call.GetCompositeSchedule(connector_id=1, duration=60))
    assert periods(composite) == [(0, 22000.0)]
    assert charger.harness.call(lambda: charger.charger.profile_store.profiles) == []


def test_a_charger_without_smart_charging(make_charger, central):
    c = make_charger(connectors=1, meter_interval=0.2, time_scale=1, plug_delay=0.05, smart_charging=False)
    cfg = central.send(c.cp_id, call.GetConfiguration(key=["SupportedFeatureProfiles", *SMART_KEYS]))
    assert cfg.configuration_key == [{"key": "SupportedFeatureProfiles", "readonly": True,
                                      "value": "Core,FirmwareManagement,Reservation,RemoteTrigger"}]
    assert cfg.unknown_key == SMART_KEYS
    remote_start(central, c, 1)
    assert set_profile(central, c, 1, profile(1, limit=3000)) == "NotSupported"
    assert central.send(c.cp_id, call.ClearChargingProfile()).status == "Unknown"
    assert central.send(c.cp_id, call.GetCompositeSchedule(connector_id=1, duration=60)).status == "Rejected"
    wait_power(central, c, 1, 22000, after=len(readings(central, c, 1)))


def test_only_current_units_allowed(make_charger, central):
    c = make_charger(connectors=1, charging_rate_units="Current")
    assert set_profile(central, c, 1, profile(1, limit=3000)) == "Rejected"
    assert set_profile(central, c, 1, profile(2, limit=16, unit="A")) == "Accepted"
    composite = central.send(c.cp_id, call.GetCompositeSchedule(connector_id=1, duration=60))
    assert composite.charging_schedule["charging_rate_unit"] == "A"
    assert periods(composite) == [(0, 16.0)]
    assert central.send(c.cp_id, call.GetCompositeSchedule(connector_id=1, duration=60,
                                                           charging_rate_unit="W")).status == "Rejected"
