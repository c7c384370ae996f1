"""Nothing a charger sends is lost or counted twice: duplicates, replays after a reconnect, late
messages with old timestamps, unknown transactions and idTags (answered per the spec, recorded)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import ChargerEvent, ChargingSession, MeterSample
from webapp.timeutil import iso, utcnow


@pytest.fixture
def staff_tag(factory, station):
    user = factory.user(role="operator")
    user.stations = [station]
    db.session.commit()
    return user.id_tag


@pytest.fixture
def client(raw, make_charger):
    c = raw("CP-IDEM-1", make_charger("CP-IDEM-1"))
    c.boot()
    return c


def count(model, *where):
    release_db()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def kinds():
    release_db()
    return [e.kind for e in db.session.execute(select(ChargerEvent).order_by(ChargerEvent.id)).scalars()]


def test_duplicate_start_meter_and_stop_count_once(client, staff_tag):
    t0 = utcnow() - timedelta(minutes=30)  # a late start: the charger was offline
    start = {"connectorId": 1, "idTag": staff_tag, "meterStart": 1000, "timestamp": iso(t0)}
    first = client.call("StartTransaction", start)[2]
    again = client.call("StartTransaction", start)[2]
    assert first == again and first["idTagInfo"]["status"] == "Accepted"
    tx = first["transactionId"]
    meter = {"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": iso(t0 + timedelta(minutes=10)),
             "sampledValue": [{"value": "4000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}
    client.call("MeterValues", meter)
    client.call("MeterValues", meter)
    stop = {"transactionId": tx, "meterStop": 7000, "timestamp": iso(t0 + timedelta(minutes=20)), "reason": "Local",
            "idTag": staff_tag}
    assert client.call("StopTransaction", stop)[2] == {"idTagInfo": {"status": "Accepted"}}
    assert client.call("StopTransaction", {**stop, "meterStop": 9999})[2] == {"idTagInfo": {"status": "Accepted"}}
    assert count(ChargingSession) == 1
    assert count(MeterSample, MeterSample.session_id == tx) == 1
    session = db.session.get(ChargingSession, tx)
    assert session.energy_wh == 6000  # from the first stop; the duplicate changed nothing
    assert session.started_at == t0.replace(microsecond=(t0.microsecond // 1000) * 1000)
    assert kinds().count("duplicate_message") == 2
    assert "late_message" in kinds()


def test_unknown_transaction_and_id_tag_are_answered_per_spec_and_recorded(client):
    answer = client.call("StopTransaction", {"transactionId": 987654, "meterStop": 10, "timestamp": iso(utcnow())})
    assert answer[0] == 3 and answer[2] == {}
    answer = client.call("MeterValues", {"connectorId": 1, "transactionId": 987654, "meterValue": [
        {"timestamp": iso(utcnow()), "sampledValue": [{"value": "10"}]}]})
    assert answer[0] == 3
    assert client.call("Authorize", {"idTag": "NOBODY"})[2] == {"idTagInfo": {"status": "Invalid"}}
    start = client.call("StartTransaction", {"connectorId": 2, "idTag": "NOBODY", "meterStart": 0,
                                             "timestamp": iso(utcnow())})
    assert start[0] == 3 and start[2]["idTagInfo"]["status"] == "Invalid" and start[2]["transactionId"] > 0
    recorded = kinds()
    assert recorded.count("unknown_transaction") == 2 and "unknown_id_tag" in recorded


def test_late_status_does_not_overwrite_newer_state(client, raw):
    now = utcnow()
    client.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging",
                                       "timestamp": iso(now)})
    client.close()
    # Within one connection the later arrival wins (tests/ocpp/test_hostile_frames.py); a status replayed on
    # a new connection without a boot is ordered by its timestamp.
    replay = raw("CP-IDEM-1", "s3cret-pass")
    replay.call("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available",
                                       "timestamp": iso(now - timedelta(minutes=5))})
    from webapp.services.fleet import chargers

    release_db()
    assert chargers.get_by_cp_id("CP-IDEM-1").connector(1).status == "Charging"
    assert "late_message" in kinds()


def test_transaction_queued_offline_is_replayed_once(live_server, make_charger, sim, staff_tag):
    password = make_charger("SIM-IDEM-2", connectors=1)
    charger = sim.add("SIM-IDEM-2", live_server.ws_url, password=password, connectors=1, meter_interval=0.2,
                      time_scale=600)
    assert charger.connect() == "Accepted"
    assert charger.swipe(staff_tag, 1) == "Accepted"
    charger.plug_in(1)
    charger.wait_status(1, "Charging", timeout=5)
    tx = charger.transaction_id(1)
    charger.drop_connection(2.0)  # offline: the stop below is queued with its own timestamp
    charger.stop_local(1)
    charger.wait_for(lambda c: c.charger.queued, timeout=5)
    stop_request = charger.wait_sent("StopTransaction", timeout=15)[0]
    session = wait_until(lambda: (s := db.session.get(ChargingSession, tx)) is not None and s.meter_stop and s)
    assert session.meter_stop == stop_request["meterStop"]
    assert count(ChargingSession) == 1
