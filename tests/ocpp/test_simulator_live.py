"""The charger simulator against the real central system: boot, heartbeat, status, a card-swipe
transaction, and the commands a service sends (RemoteStart, RemoteStop, Unlock, ReserveNow)."""
from datetime import timedelta

import pytest

from webapp.extensions import db
from webapp.models import ChargerEvent, ChargingSession, MeterSample, OcppMessage
from webapp.services.fleet import chargers
from webapp.services.platform import commands
from webapp.timeutil import utcnow


from tests.conftest import wait_until


def fresh(cp_id):
    db.session.rollback()
    return chargers.get_by_cp_id(cp_id)


@pytest.fixture
def charger(live_server, make_charger, sim):
    password = make_charger("SIM-LIVE-1")
    db.session.commit()
    c = sim.add("SIM-LIVE-1", live_server.ws_url, password=password, connectors=2, meter_interval=0.3,
                time_scale=600, heartbeat_interval=1)
    assert c.connect() == "Accepted"
    wait_until(lambda: all(k.status == "Available" for k in fresh("SIM-LIVE-1").connectors))
    return c


def test_boot_heartbeat_and_status_are_persisted(charger):
    before = fresh("SIM-LIVE-1").last_seen
    charger.wait_sent("Heartbeat", lambda req, resp: True, timeout=5)
    row = fresh("SIM-LIVE-1")
    assert row.online and row.vendor == "Chargeway" and row.serial_number == "SN-SIM-LIVE-1"
    assert row.last_seen >= before
    kinds = {e.kind for e in db.session.execute(db.select(ChargerEvent)).scalars()}
    assert {"online", "boot", "status"} <= kinds
    assert db.session.query(OcppMessage).filter(OcppMessage.action == "Heartbeat",
                                                OcppMessage.answer.like("[3,%")).count() >= 1  # with its answer


def test_card_swipe_transaction_is_recorded(charger, operator):
    assert charger.swipe(operator.id_tag, 1) == "Accepted"
    assert charger.plug_in(1)
    charger.wait_status(1, "Charging", timeout=5)
    tx = charger.transaction_id(1)
    wait_until(lambda: (s := db.session.get(ChargingSession, tx)) is not None and s.energy_wh > 0, timeout=5)
    charger.stop_local(1)
    charger.wait_status(1, "Finishing", timeout=5)
    wait_until(lambda: db.session.get(ChargingSession, tx).stopped_at is not None)
    session = db.session.get(ChargingSession, tx)
    stop = charger.sent_calls("StopTransaction")[-1]
    assert session.meter_stop == stop[0]["meterStop"]
    assert session.energy_wh == session.meter_stop - session.meter_start > 0
    assert session.user_id == operator.id and session.stop_reason == "Local"
    assert db.session.query(MeterSample).filter(MeterSample.session_id == tx).count() >= 3
    actions = [a for a, _, _ in charger.sent]
    assert actions.index("Authorize") < actions.index("StartTransaction") < actions.index("StopTransaction")


def test_remote_start_stop_unlock_and_reserve_from_services(charger, operator):
    assert commands.remote_start("SIM-LIVE-1", 2, operator.id_tag) is True
    charger.wait_status(2, "Charging", timeout=5)
    tx = charger.transaction_id(2)
    wait_until(lambda: db.session.get(ChargingSession, tx) is not None)
    assert commands.remote_stop("SIM-LIVE-1", tx) is True
    wait_until(lambda: db.session.get(ChargingSession, tx).stop_reason == "Remote")
    assert commands.unlock("SIM-LIVE-1", 2) is True
    charger.finish(2)
    charger.wait_status(2, "Available", timeout=5)
    expiry = utcnow() + timedelta(minutes=15)
    assert commands.reserve_now("SIM-LIVE-1", 1, expiry, operator.id_tag, 4242) == "Accepted"
    charger.wait_status(1, "Reserved", timeout=5)
    wait_until(lambda: fresh("SIM-LIVE-1").connector(1).status == "Reserved")
    assert commands.cancel_reservation("SIM-LIVE-1", 4242) is True
    assert commands.reserve_now("SIM-LIVE-1", 1, expiry, operator.id_tag, 4243) == "Accepted"
    received = [a for a, _ in charger.received]
    for action in ("RemoteStartTransaction", "RemoteStopTransaction", "UnlockConnector", "ReserveNow",
                   "CancelReservation"):
        assert action in received


def test_command_to_a_disconnected_charger_fails_clearly(charger):
    charger.disconnect()
    wait_until(lambda: not fresh("SIM-LIVE-1").online)
    with pytest.raises(commands.CommandFailed, match="not connected"):
        commands.reset("SIM-LIVE-1")


def test_every_configuration_command_gets_the_chargers_answer(charger):
    config = commands.get_configuration("SIM-LIVE-1")
    keys = {k["key"] for k in config["configurationKey"]}
    assert "HeartbeatInterval" in keys
    assert commands.change_configuration("SIM-LIVE-1", "MeterValueSampleInterval", "5") == "Accepted"
    assert commands.clear_cache("SIM-LIVE-1") is True
    assert commands.trigger_message("SIM-LIVE-1", "StatusNotification", 1) is True
    assert commands.change_availability("SIM-LIVE-1", 2, operative=False) is True
    charger.wait_status(2, "Unavailable", timeout=5)
    assert commands.data_transfer("SIM-LIVE-1", "Chargeway", "Ping", "x")["status"] == "Accepted"
    assert commands.reset("SIM-LIVE-1", "Soft") is True
