"""services.charging.profiles: the SetChargingProfile payloads pass the ocpp library's own 1.6 schema, say
what we mean in the charger's unit, and a GetCompositeSchedule answer is read back."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from ocpp.charge_point import camel_to_snake_case
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult, validate_payload

from device.profiles import Profile, ProfileStore
from webapp.services.charging.profiles import (ChargerCaps, charge_point_max_profile, parse_composite,
                                               tx_default_profile, tx_profile)

T0 = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
SIM_CONFIG = {"SupportedFeatureProfiles": "Core,Reservation,SmartCharging", "ChargeProfileMaxStackLevel": "8",
              "ChargingScheduleAllowedChargingRateUnit": "Current,Power", "MaxChargingProfilesInstalled": "10"}


def valid(action: str, payload: dict, result: bool = False) -> dict:
    message = CallResult("1", payload, action=action) if result else Call("1", action, payload)
    # In a thread of its own: an earlier test (Playwright's sync API) may leave an event loop running here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, validate_payload(message, "1.6")).result()
    return payload


def test_caps_from_the_configuration():
    caps = ChargerCaps.from_configuration(SIM_CONFIG)
    assert (caps.smart_charging, caps.units, caps.max_stack_level, caps.max_profiles) == (True, ("W", "A"), 8, 10)
    current = ChargerCaps.from_configuration({"ChargingScheduleAllowedChargingRateUnit": "Current",
                                              "ChargeProfileMaxStackLevel": "x"}, phases=1)
    assert (current.smart_charging, current.unit, current.max_stack_level, current.max_profiles) == (False, "A", 0, None)
    assert ChargerCaps.from_configuration({}).units == ("W", "A")


def test_tx_profile_in_watts_at_the_top_stack_level():
    caps = ChargerCaps.from_configuration(SIM_CONFIG)
    payload = valid("SetChargingProfile", tx_profile(2, 4711, 7.35, caps))
    assert payload == {"connectorId": 2, "csChargingProfiles": {
        "chargingProfileId": 202, "stackLevel": 8, "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative", "transactionId": 4711,
        "chargingSchedule": {"chargingRateUnit": "W",
                             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7350.0}]}}}


def test_tx_default_in_amps_never_above_the_kw():
    caps = ChargerCaps(units=("A",), max_stack_level=3, phases=3)
    payload = valid("SetChargingProfile", tx_default_profile(0, 11.0, caps, stack_level=1))
    profile = payload["csChargingProfiles"]
    assert (profile["chargingProfileId"], profile["stackLevel"], profile["chargingProfilePurpose"]) == (
        100, 1, "TxDefaultProfile")
    limit = profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
    assert limit == 15.9 and limit * 230 * 3 <= 11000
    with pytest.raises(ValueError):
        tx_default_profile(1, 11.0, caps, stack_level=4)


def test_charge_point_max_absolute_and_daily():
    caps = ChargerCaps.from_configuration(SIM_CONFIG)
    absolute = valid("SetChargingProfile", charge_point_max_profile([(0, 22.0)], caps, T0))["csChargingProfiles"]
    assert absolute["chargingProfileKind"] == "Absolute" and "recurrencyKind" not in absolute
    assert absolute["chargingSchedule"]["startSchedule"] == "2025-06-01T12:00:00Z"
    night = datetime(2025, 6, 1, 18, 30, tzinfo=timezone.utc)
    daily = valid("SetChargingProfile", charge_point_max_profile([(0, 11.0), (8 * 3600, 22.0)], caps, night,
                                                                 daily=True))
    profile = daily["csChargingProfiles"]
    assert (daily["connectorId"], profile["chargingProfileId"], profile["chargingProfileKind"],
            profile["recurrencyKind"], profile["chargingSchedule"]["duration"]) == (0, 1, "Recurring", "Daily", 86400)


@pytest.mark.parametrize("kw", [0.0, 0.05, 1.37, 3.7, 7.4, 11.0, 22.0, 43.21, 350.0])
def test_every_limit_passes_the_schema_in_both_units(kw):
    for caps in (ChargerCaps(units=("W",)), ChargerCaps(units=("A",), phases=1), ChargerCaps(units=("A",))):
        valid("SetChargingProfile", tx_profile(1, 1, kw, caps))
        valid("SetChargingProfile", charge_point_max_profile([(0, kw), (3600, kw / 2)], caps, T0))


def test_the_simulator_reads_them_as_we_mean_them():
    """The payloads, as the ocpp library hands them to a charger, give the simulator the kW we planned."""
    for caps in (ChargerCaps(units=("W",), max_stack_level=8), ChargerCaps(units=("A",), max_stack_level=8)):
        store = ProfileStore()
        cp_max = charge_point_max_profile([(0, 22.0)], caps, T0)
        tx = tx_profile(1, 7, 7.4, caps)
        for payload in (cp_max, tx):
            request = camel_to_snake_case(payload)
            store.install(Profile.from_request(request["connector_id"], request["cs_charging_profiles"], T0), 7)
        watts = store.composite_w(1, 7, T0 + timedelta(minutes=5), T0, caps.phases)
        assert 7400 - 1 * 230 * 3 * 0.1 <= watts <= 7400


def test_a_schema_violation_is_caught_by_the_check():
    bad = tx_profile(1, 1, 7.4, ChargerCaps())
    bad["csChargingProfiles"]["chargingProfilePurpose"] = "Turbo"
    with pytest.raises(OCPPError):
        valid("SetChargingProfile", bad)


def test_parse_composite_schedule():
    caps = ChargerCaps(phases=3)
    answer = valid("GetCompositeSchedule", {
        "status": "Accepted", "connectorId": 1, "scheduleStart": "2025-06-01T12:00:00Z",
        "chargingSchedule": {"duration": 3600, "startSchedule": "2025-06-01T12:00:00Z", "chargingRateUnit": "A",
                             "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0},
                                                        {"startPeriod": 600, "limit": 10.0, "numberPhases": 1}]}},
        result=True)
    assert parse_composite(answer, caps) == (T0, [(0, 11.04), (600, 2.3)])
    watts = {"status": "Accepted", "chargingSchedule": {"startSchedule": "2025-06-01T12:00:00", "chargingRateUnit": "W",
                                                         "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}]}}
    assert parse_composite(watts, caps) == (T0, [(0, 7.4)])
    assert parse_composite({"status": "Rejected"}, caps) is None
    assert parse_composite({"status": "Accepted"}, caps) is None


def test_amperes_follow_the_connectors_wiring_and_the_clear_passes_the_schema():
    from webapp.services.charging.profiles import Wiring, clear_profile

    amps = ChargerCaps.from_configuration(dict(SIM_CONFIG, ChargingScheduleAllowedChargingRateUnit="Current"))
    one_phase = valid("SetChargingProfile", tx_default_profile(1, 7.4, amps, wiring=Wiring(1, 230.0)))
    assert one_phase["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 32.1}]  # 7.4 kW / 230 V, rounded down
    us = tx_profile(2, 9, 11.0, amps, wiring=Wiring(3, 120.0))["csChargingProfiles"]["chargingSchedule"]
    assert us["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 30.5}]  # 11 kW / (3 x 120 V)
    assert valid("ClearChargingProfile", clear_profile(201)) == {"id": 201}
