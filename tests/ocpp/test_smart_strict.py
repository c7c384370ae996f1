"""The ocpp-rpc strict client (npm ocpp-rpc, strictMode) receives our Smart Charging commands without a
schema violation: the GetConfiguration after boot, the TxProfile a rebalance sends, GetCompositeSchedule;
a profile it rejects is recorded and not taken as in force."""
import shutil

import pytest

from tests.conftest import need, release_db, wait_until
from tests.ocpp.test_ocpp_rpc_strict import in_thread
from tests.support.ocpp_rpc import OcppRpcClient, ensure_installed
from webapp.extensions import db
from webapp.models import ChargerEvent, ChargingSession
from webapp.services.charging import smart
from webapp.services.fleet import chargers
from webapp.timeutil import iso, utcnow

KEYS = [{"key": "SupportedFeatureProfiles", "readonly": True, "value": "Core,SmartCharging"},
        {"key": "ChargeProfileMaxStackLevel", "readonly": True, "value": "3"},
        {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": True, "value": "Current"},
        {"key": "MaxChargingProfilesInstalled", "readonly": True, "value": "4"}]


@pytest.fixture(scope="module", autouse=True)
def node_client():
    if shutil.which("node") is None or shutil.which("npm") is None:
        need("node and npm for the ocpp-rpc strict client")
    ensure_installed()


@pytest.fixture
def app_overrides():
    return {"OCPP_CALL_TIMEOUT": 5.0, "SMART_DELAY_SECONDS": 0.2, "SMART_REPLAN_SECONDS": 3600}


def start(client, tag, connector):
    release_db()  # never hold SQLite's write lock while the server needs it
    now = iso(utcnow())
    client.call("StatusNotification", {"connectorId": connector, "errorCode": "NoError", "status": "Preparing",
                                       "timestamp": now})
    answer = client.call("StartTransaction", {"connectorId": connector, "idTag": tag, "meterStart": 0,
                                              "timestamp": now})
    assert answer["idTagInfo"]["status"] == "Accepted"
    return answer["transactionId"]


def test_strict_client_takes_our_profiles_and_a_rejected_one_is_handled(app, live_server, make_charger, factory,
                                                                        station, scheduler):
    station.power_limit_kw = 11.0
    operator, other = factory.user(role="operator"), factory.user(role="operator")
    operator.stations = other.stations = [station]
    password = make_charger("RPC-SMART-1", connectors=2)
    tag, other_tag = operator.id_tag, other.id_tag
    release_db()
    with OcppRpcClient(live_server.ws_url, "RPC-SMART-1", password=password) as client:
        client.set_reply("GetConfiguration", {"configurationKey": KEYS, "unknownKey": []})
        assert client.call("BootNotification", {"chargePointVendor": "ocpp-rpc",
                                                "chargePointModel": "strict"})["status"] == "Accepted"
        asked = client.wait_received("GetConfiguration", timeout=30)
        assert set(asked["key"]) == set(smart.CONFIG_KEYS)
        wait_until(lambda: chargers.get_by_cp_id("RPC-SMART-1").smart_config is not None)
        row = chargers.get_by_cp_id("RPC-SMART-1")
        assert smart.capable(row) and smart.caps(row).unit == "A" and smart.caps(row).max_stack_level == 3
        release_db()  # on SQLite that read holds the write lock: the rebalance job would wait for it

        # It keeps 4 profiles: its cap and a TxProfile per connector fit, a TxDefaultProfile each as well do not.
        cap = client.wait_received("SetChargingProfile", timeout=30)
        assert cap["connectorId"] == 0 and cap["csChargingProfiles"]["chargingProfilePurpose"] == "ChargePointMaxProfile"
        assert cap["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 15.9}]  # the station's 11 kW, for the whole charger
        tx1 = start(client, tag, 1)
        profile = client.wait_received("SetChargingProfile", timeout=30)
        assert profile["connectorId"] == 1
        body = profile["csChargingProfiles"]
        assert body["transactionId"] == tx1 and body["stackLevel"] == 3
        schedule = body["chargingSchedule"]
        assert schedule["chargingRateUnit"] == "A"
        assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 15.9}]  # 11 kW / (3 x 230 V)
        wait_until(lambda: db.session.get(ChargingSession, tx1).power_limit_kw == 11.0)

        client.set_reply("SetChargingProfile", {"status": "Rejected"})
        tx2 = start(client, other_tag, 2)
        wait_until(lambda: db.session.execute(db.select(ChargerEvent).where(
            ChargerEvent.kind == "charging_profile", ChargerEvent.detail.like("%Rejected"))).first(),
            message="the rejection is recorded")
        db.session.rollback()
        # Both new limits (5.5 kW each) were rejected: nothing is taken as in force, the next rebalance retries.
        assert db.session.get(ChargingSession, tx1).power_limit_kw == 11.0
        assert db.session.get(ChargingSession, tx2).power_limit_kw is None

        release_db()
        thread, result = in_thread(app, lambda: smart.composite(chargers.get_by_cp_id("RPC-SMART-1"), 1))
        assert client.wait_received("GetCompositeSchedule", timeout=10)["chargingRateUnit"] == "A"
        thread.join(10)
        assert "error" not in result and result["value"] is None  # the client's default answer: Rejected
        assert not [p for p in client.received("SetChargingProfile")
                    if p["params"]["csChargingProfiles"]["chargingProfilePurpose"] == "TxDefaultProfile"]
        assert client.violations() == [], client.violations()


def test_strict_client_takes_every_profile_kind_and_the_clears(app, live_server, make_charger, factory, station,
                                                              scheduler):
    """TxDefaultProfile per connector and ChargePointMaxProfile (it keeps ten profiles, in W), the TxProfile of a
    session, the ClearChargingProfile when it ends, and the clears of the defaults and cap once the limit goes."""
    from webapp.services.fleet import stations

    station.power_limit_kw = 22.0
    operator = factory.user(role="operator")
    operator.stations = [station]
    password = make_charger("RPC-SMART-2", connectors=2)
    tag = operator.id_tag
    release_db()
    keys = [dict(k) for k in KEYS]
    keys[2]["value"], keys[3]["value"] = "Power", "10"
    with OcppRpcClient(live_server.ws_url, "RPC-SMART-2", password=password) as client:
        client.set_reply("GetConfiguration", {"configurationKey": keys, "unknownKey": []})
        assert client.call("BootNotification", {"chargePointVendor": "ocpp-rpc",
                                                "chargePointModel": "strict"})["status"] == "Accepted"
        first = [client.wait_received("SetChargingProfile", timeout=10) for _ in range(3)]
        kinds = sorted((p["connectorId"], p["csChargingProfiles"]["chargingProfilePurpose"],
                        p["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]) for p in first)
        assert kinds == [(0, "ChargePointMaxProfile", 22000.0), (1, "TxDefaultProfile", 11000.0),
                         (2, "TxDefaultProfile", 11000.0)]

        tx = start(client, tag, 1)
        # connector 2's default goes down first (the session takes the limit), then the session's TxProfile
        lowered, profile = (client.wait_received("SetChargingProfile", timeout=10)["csChargingProfiles"]
                            for _ in range(2))
        assert (lowered["chargingProfilePurpose"], lowered["chargingSchedule"]["chargingSchedulePeriod"]) == (
            "TxDefaultProfile", [{"startPeriod": 0, "limit": 0.0}])
        assert (profile["chargingProfilePurpose"], profile["transactionId"]) == ("TxProfile", tx)
        wait_until(lambda: db.session.get(ChargingSession, tx).power_limit_kw == 22.0)
        release_db()
        client.call("StopTransaction", {"transactionId": tx, "meterStop": 1000, "timestamp": iso(utcnow())})
        assert client.wait_received("ClearChargingProfile", timeout=10) == {"id": 201}
        wait_until(lambda: db.session.get(ChargingSession, tx).power_limit_kw is None)

        s = db.session.get(type(station), station.id)
        stations.update_station(s, stations.StationDetails(
            s.name, s.address or "", s.latitude, s.longitude, s.timezone, always_open=True, tariff_id=s.tariff_id,
            power_limit_kw=None))
        release_db()
        cleared = sorted(client.wait_received("ClearChargingProfile", timeout=10)["id"] for _ in range(3))
        assert cleared == [1, 101, 102]
        assert client.violations() == [], client.violations()
