"""Smart charging against simulated chargers over real WebSockets: the station's limit shared by TxProfiles,
a third session rebalancing the others, a charger without Smart Charging left at full power."""
import re

import pytest

from tests.conftest import wait_until
from webapp.extensions import db
from webapp.models import ChargerEvent, ChargingSession, Station
from webapp.services.charging import smart
from webapp.services.fleet import chargers


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 5.0, "SMART_DELAY_SECONDS": 0.3,
            "SMART_REPLAN_SECONDS": 3600}


def fresh(cp_id):
    db.session.rollback()
    return chargers.get_by_cp_id(cp_id)


@pytest.fixture
def limited(station):
    station.power_limit_kw = 22.0
    db.session.commit()
    return station


def boot(sim, live_server, make_charger, cp_id, connectors=2, **kw):
    password = make_charger(cp_id, connectors=connectors)
    c = sim.add(cp_id, live_server.ws_url, password=password, connectors=connectors, meter_interval=0.3,
                time_scale=60, heartbeat_interval=1, max_power_kw=22.0, **kw)
    assert c.connect() == "Accepted"
    wait_until(lambda: all(k.status == "Available" for k in fresh(cp_id).connectors))
    wait_until(lambda: fresh(cp_id).smart_config is not None, message="GetConfiguration after boot")
    return c


def start(c, factory, connector, status="Charging"):
    driver = factory.user(role="operator")
    driver.stations = [fresh(c.cp_id).station]
    db.session.commit()
    assert c.swipe(driver.id_tag, connector) == "Accepted"
    assert c.plug_in(connector)
    c.wait_status(connector, status, timeout=5)
    return c.transaction_id(connector)


def limits(*txs):
    db.session.rollback()
    return [db.session.get(ChargingSession, tx).power_limit_kw for tx in txs]


def server_w(*txs):
    """The sessions' power as their last MeterValues told the server."""
    db.session.rollback()
    return sum(db.session.get(ChargingSession, tx).power_w or 0 for tx in txs)


def metered_kw(c, *connectors):
    return sum(c.connector_state(n)["power_kw"] for n in connectors)


def test_boot_reads_the_smart_charging_keys(live_server, make_charger, sim, scheduler):
    c = boot(sim, live_server, make_charger, "SMART-KEYS")
    row = fresh("SMART-KEYS")
    assert "SmartCharging" in row.smart_config["SupportedFeatureProfiles"]
    assert row.smart_config["ChargeProfileMaxStackLevel"] == "8"
    assert smart.capable(row) and smart.caps(row).max_profiles == 10
    asked = c.received_calls("GetConfiguration")[-1]
    assert set(asked["key"]) == set(smart.CONFIG_KEYS)


@pytest.mark.both_dbs
def test_two_sessions_share_a_22_kw_limit_and_a_third_rebalances(live_server, make_charger, sim, factory,
                                                                  limited, scheduler):
    a = boot(sim, live_server, make_charger, "SMART-A")
    b = boot(sim, live_server, make_charger, "SMART-B", connectors=1)
    tx1 = start(a, factory, 1)
    wait_until(lambda: limits(tx1) == [22.0], message="first session: the whole limit")
    tx2 = start(a, factory, 2)
    wait_until(lambda: limits(tx1, tx2) == [11.0, 11.0], message="two sessions share 22 kW")
    sent = [p["csChargingProfiles"] for p in a.received_calls("SetChargingProfile")]
    assert {p["transactionId"] for p in sent if p["chargingProfilePurpose"] == "TxProfile"} == {tx1, tx2}
    # and around them (tests/ocpp/test_smart_profiles.py): the idle connectors' defaults, the charger's cap
    assert {p["chargingProfilePurpose"] for p in sent} == {"TxProfile", "TxDefaultProfile", "ChargePointMaxProfile"}
    a.wait_for(lambda s: metered_kw(a, 1, 2) > 20, timeout=10, message="both charging at their limits")
    assert metered_kw(a, 1, 2) <= 22.0 + 1e-6
    wait_until(lambda: 20_000 < server_w(tx1, tx2) <= 22_000, message="the server meters <= 22 kW")

    tx3 = start(b, factory, 1)
    third = 22.0 / 3
    wait_until(lambda: all(abs(kw - third) < 0.01 for kw in limits(tx1, tx2, tx3) if kw is not None)
               and None not in limits(tx1, tx2, tx3), message="a third session rebalances the others")
    a.wait_for(lambda s: 21 < metered_kw(a, 1, 2) + metered_kw(b, 1) <= 22.0 + 1e-6, timeout=10)
    wait_until(lambda: 21_000 < server_w(tx1, tx2, tx3) <= 22_000, message="three sessions metered <= 22 kW")

    b.stop_local(1)
    wait_until(lambda: limits(tx1, tx2) == [11.0, 11.0], message="the others rise again when one ends")
    outcomes = db.session.execute(db.select(ChargerEvent.detail).where(ChargerEvent.kind == "charging_profile")
                                  ).scalars().all()
    assert outcomes and all(o.endswith("Accepted") for o in outcomes), outcomes


def test_charger_without_smart_charging_gets_no_profile_and_its_power_is_kept_aside(
        live_server, make_charger, sim, factory, limited, scheduler):
    dumb = boot(sim, live_server, make_charger, "DUMB-1", connectors=1, smart_charging=False)
    smartc = boot(sim, live_server, make_charger, "SMART-C", connectors=1)
    assert not smart.capable(fresh("DUMB-1")) and smart.capable(fresh("SMART-C"))
    start(dumb, factory, 1)
    # what the charger with profiles would start at on its own: nothing is left (tests/ocpp/test_smart_profiles.py)
    wait_until(lambda: fresh("SMART-C").connectors[0].default_limit_kw == 0.0, message="TxDefaultProfile 0 kW")
    tx = start(smartc, factory, 1, status="SuspendedEVSE")
    # The dumb charger draws its 22 kW: the smart session is held at 0 (paused) rather than over the limit.
    wait_until(lambda: limits(tx) == [0.0], message="the limit left after the charger without profiles")
    assert dumb.received_calls("SetChargingProfile") == []
    dumb.wait_for(lambda s: dumb.connector_state(1)["power_kw"] > 20, timeout=10)


def test_rejected_profile_is_recorded_and_not_taken_as_sent(live_server, make_charger, sim, factory, limited,
                                                             scheduler, monkeypatch):
    a = boot(sim, live_server, make_charger, "SMART-REJ", connectors=1)
    row = fresh("SMART-REJ")
    row.smart_config = dict(row.smart_config, ChargeProfileMaxStackLevel="9")  # above the simulator's 8
    db.session.commit()
    tx = start(a, factory, 1)
    def tx_answer():
        return db.session.execute(db.select(ChargerEvent.detail).where(
            ChargerEvent.kind == "charging_profile", ChargerEvent.detail.like("TxProfile %"))).scalars().first()
    wait_until(tx_answer, message="the answer is recorded")
    detail = tx_answer()
    assert detail.endswith("Rejected")
    assert limits(tx) == [None]  # not in force: the next rebalance sends it again
    assert db.session.get(Station, limited.id).power_limit_kw == 22.0


def test_station_page_shows_the_plan_and_asks_a_composite_schedule(app, live_server, make_charger, sim, factory,
                                                                   limited, scheduler):
    from tests.admin.conftest import client_as

    a = boot(sim, live_server, make_charger, "SMART-PAGE")
    tx1, tx2 = start(a, factory, 1), start(a, factory, 2)
    wait_until(lambda: limits(tx1, tx2) == [11.0, 11.0])
    admin = factory.user(role="admin")
    db.session.commit()
    client = client_as(app, admin)
    page = client.get(f"/admin/stations/{limited.id}").get_data(as_text=True)
    for tx in (tx1, tx2):
        row = page.split(f'data-session="{tx}"')[1].split("</tr>")[0]
        # planned, and accepted by the charger (the metered power that follows may read 11.0 kW too)
        assert re.findall(r"<td>([^<]* kW)</td>", row)[:2] == ["11.0 kW", "11.0 kW"], row
    charger = fresh("SMART-PAGE")
    body = client.get(f"/admin/chargers/{charger.id}/composite?connector=1").get_data(as_text=True)
    assert a.received_calls("GetCompositeSchedule")[-1]["connectorId"] == 1
    assert "connector #1" in body and "<td>11.0</td>" in body, body
