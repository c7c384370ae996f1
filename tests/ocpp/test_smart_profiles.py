"""The profiles around the sessions' TxProfiles, over real WebSockets with the simulator: a TxDefaultProfile on
every idle connector (a charger starting on its own stays within the station's limit), a ChargePointMaxProfile
on a charger with several connectors, ClearChargingProfile when a session ends and when the limit goes, and
limits in amperes worked out with the connector's phases and voltage."""
import pytest

from tests.conftest import wait_until
from webapp.extensions import db
from webapp.models import ChargerEvent, ChargingSession, Connector
from webapp.services.charging import smart
from webapp.services.fleet import chargers, stations

from .test_smart_charging import boot, fresh, limits, start


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 5.0, "SMART_DELAY_SECONDS": 0.3,
            "SMART_REPLAN_SECONDS": 3600}


@pytest.fixture
def limited(station):
    station.power_limit_kw = 22.0
    db.session.commit()
    return station


def defaults(cp_id):
    return [c.default_limit_kw for c in sorted(fresh(cp_id).connectors, key=lambda c: c.connector_id)]


def near(values, expected, tolerance=0.01):
    return all(v is not None and abs(v - e) < tolerance for v, e in zip(values, expected, strict=True))


def installed(c):
    """The profiles the simulated charger holds now."""
    return c.harness.call(lambda: list(c.charger.profile_store.profiles))


def purposes(c, purpose):
    return [p for p in c.received_calls("SetChargingProfile") if p["csChargingProfiles"]["chargingProfilePurpose"] == purpose]


def test_a_charger_that_starts_on_its_own_stays_within_the_limit(live_server, make_charger, sim, factory, limited,
                                                                 scheduler):
    a = boot(sim, live_server, make_charger, "DEF-A")
    b = boot(sim, live_server, make_charger, "DEF-B", connectors=1)
    third = 22.0 / 3  # nothing runs: the limit shared between the three idle connectors
    wait_until(lambda: near(defaults("DEF-A") + defaults("DEF-B"), [third] * 3), message="a TxDefaultProfile each")
    wait_until(lambda: near([fresh("DEF-A").max_limit_kw], [2 * third]), message="charger A's cap: its share")
    assert [p["connectorId"] for p in purposes(b, "TxDefaultProfile")][-1] == 1
    assert purposes(b, "ChargePointMaxProfile") == []  # one connector: its default is its share

    with smart._LOCAL_TURN:  # no plan reaches the chargers meanwhile: only what they hold now limits them
        tx = start(b, factory, 1)
        b.wait_for(lambda s: b.connector_state(1)["power_kw"] > 7.0, timeout=10, message="charging at its default")
        assert b.connector_state(1)["power_kw"] <= third + 1e-6
        assert limits(tx) == [None]
    wait_until(lambda: limits(tx) == [22.0], message="then its TxProfile: the whole limit")
    wait_until(lambda: defaults("DEF-A") == [0.0, 0.0] and fresh("DEF-A").max_limit_kw == 0.0,
               message="nothing left for charger A to start at")
    b.wait_for(lambda s: b.connector_state(1)["power_kw"] > 20, timeout=10)
    outcomes = db.session.execute(db.select(ChargerEvent.detail).where(ChargerEvent.kind == "charging_profile")
                                  ).scalars().all()
    assert any(o.startswith("TxDefaultProfile 0.0 kW on connector 2") for o in outcomes), outcomes
    assert any(o.startswith("ChargePointMaxProfile 0.0 kW") for o in outcomes), outcomes


def test_an_ended_session_has_its_tx_profile_cleared_and_its_connector_a_default_again(
        live_server, make_charger, sim, factory, limited, scheduler):
    c = boot(sim, live_server, make_charger, "CLR-1", connectors=1)
    wait_until(lambda: defaults("CLR-1") == [22.0])
    tx = start(c, factory, 1)
    wait_until(lambda: limits(tx) == [22.0])
    assert purposes(c, "TxProfile")[-1]["csChargingProfiles"]["chargingProfileId"] == 201
    c.stop_local(1)
    c.wait_for(lambda s: c.received_calls("ClearChargingProfile"), timeout=10, message="ClearChargingProfile sent")
    assert c.received_calls("ClearChargingProfile") == [{"id": 201}]
    wait_until(lambda: limits(tx) == [None], message="taken as cleared")
    detail = db.session.execute(db.select(ChargerEvent.detail).where(
        ChargerEvent.kind == "charging_profile_clear")).scalar_one()
    # the simulator dropped it with the transaction, as OCPP 1.6 says a charger does: nothing left to clear
    assert detail == f"ClearChargingProfile TxProfile of transaction {tx}: Unknown"
    assert defaults("CLR-1") == [22.0]


def test_defaults_and_cap_are_cleared_once_the_station_has_no_limit(app, live_server, make_charger, sim, limited,
                                                                    scheduler):
    a = boot(sim, live_server, make_charger, "STALE-1")
    wait_until(lambda: defaults("STALE-1") == [11.0, 11.0] and fresh("STALE-1").max_limit_kw == 22.0)
    assert len(installed(a)) == 3
    s = db.session.get(type(limited), limited.id)
    stations.update_station(s, stations.StationDetails(  # as the console's station form does
        s.name, s.address or "", s.latitude, s.longitude, s.timezone, always_open=True, tariff_id=s.tariff_id,
        power_limit_kw=None))
    a.wait_for(lambda s: len(a.received_calls("ClearChargingProfile")) == 3, timeout=10)
    assert sorted(p["id"] for p in a.received_calls("ClearChargingProfile")) == [1, 101, 102]
    wait_until(lambda: defaults("STALE-1") == [None, None] and fresh("STALE-1").max_limit_kw is None)
    assert installed(a) == []


def test_amperes_are_worked_out_with_the_connectors_phases_and_voltage(live_server, make_charger, sim, factory,
                                                                       limited, scheduler):
    limited.power_limit_kw = 11.0
    db.session.commit()
    password = make_charger("AMPS-1", connectors=1)
    row = chargers.get_by_cp_id("AMPS-1")
    row.connectors[0].phases, row.connectors[0].voltage = 1, 230.0  # the simulator's meter is one phase
    db.session.commit()
    c = sim.add("AMPS-1", live_server.ws_url, password=password, connectors=1, meter_interval=0.3, time_scale=60,
                heartbeat_interval=1, max_power_kw=22.0, charging_rate_units="Current")
    assert c.connect() == "Accepted"
    wait_until(lambda: fresh("AMPS-1").smart_config is not None and defaults("AMPS-1") == [11.0])
    period = purposes(c, "TxDefaultProfile")[-1]["csChargingProfiles"]["chargingSchedule"]
    assert (period["chargingRateUnit"], period["chargingSchedulePeriod"]) == ("A", [{"startPeriod": 0, "limit": 47.8}])
    tx = start(c, factory, 1)
    wait_until(lambda: limits(tx) == [11.0])
    assert purposes(c, "TxProfile")[-1]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 47.8}]  # 11 kW / (1 x 230 V), rounded down
    c.wait_for(lambda s: 10.5 < c.connector_state(1)["power_kw"] <= 11.0, timeout=10,
               message="the charger draws the 11 kW meant, not a third of it")
    db.session.rollback()
    assert db.session.get(ChargingSession, tx).power_limit_kw == 11.0
    assert db.session.get(Connector, row.connectors[0].id).phases == 1
