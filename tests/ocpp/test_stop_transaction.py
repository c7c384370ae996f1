"""StopTransaction over a real WebSocket: energy is the larger of meterStop and the highest register already
stored, minus meterStart; transactionData is stored and read like MeterValues; the idTag that ends the
transaction gets its own idTagInfo."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import release_db
from webapp.extensions import db
from webapp.models import ChargingSession, MeterSample
from webapp.timeutil import iso, utcnow

ENERGY = "Energy.Active.Import.Register"


@pytest.fixture
def staff(factory, station):
    user = factory.user(role="operator")
    user.stations = [station]
    db.session.commit()
    return user


@pytest.fixture
def client(raw, make_charger):
    c = raw("CP-STOP-1", make_charger("CP-STOP-1"))
    c.boot()
    return c


def start(client, id_tag, meter_start=1000, when=None):
    answer = client.call("StartTransaction", {"connectorId": 1, "idTag": id_tag, "meterStart": meter_start,
                                              "timestamp": iso(when or utcnow() - timedelta(minutes=10))})
    assert answer[2]["idTagInfo"]["status"] == "Accepted", answer
    return answer[2]["transactionId"]


def register(wh, context="Sample.Periodic", phase=None):
    sample = {"value": str(wh), "measurand": ENERGY, "unit": "Wh", "context": context}
    if phase:
        sample["phase"] = phase
    return sample


def session(tx) -> ChargingSession:
    release_db()
    db.session.expire_all()
    return db.session.get(ChargingSession, tx)


def stop(client, tx, meter_stop, **extra):
    answer = client.call("StopTransaction", {"transactionId": tx, "meterStop": meter_stop,
                                             "timestamp": iso(utcnow()), "reason": "Local", **extra})
    assert answer[0] == 3, answer
    return answer[2]


def test_a_meter_stop_below_the_stored_register_does_not_lose_energy(client, staff):
    tx = start(client, staff.id_tag)
    client.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
        {"timestamp": iso(utcnow() - timedelta(minutes=1)), "sampledValue": [register(4000)]}]})
    stop(client, tx, 3000, idTag=staff.id_tag)
    s = session(tx)
    assert s.meter_stop == 3000, "meterStop is kept as the charger sent it"
    assert s.energy_wh == 3000, "4000 Wh were already stored: energy is 4000 - 1000, not meterStop - meterStart"


def test_transaction_data_is_stored_and_counted(client, staff):
    t0 = utcnow() - timedelta(minutes=10)
    tx = start(client, staff.id_tag, when=t0)
    begin = {"timestamp": iso(t0), "sampledValue": [
        register(wh, "Transaction.Begin", phase) for phase, wh in (("L1", 334), ("L2", 333), ("L3", 333))]}
    end = {"timestamp": iso(utcnow() - timedelta(seconds=1)), "sampledValue": [
        register(wh, "Transaction.End", phase) for phase, wh in (("L1", 1500), ("L2", 1500), ("L3", 1500))]}
    stop(client, tx, 4200, idTag=staff.id_tag, transactionData=[begin, end])
    release_db()
    rows = db.session.execute(select(MeterSample.context, MeterSample.phase, MeterSample.value)
                              .where(MeterSample.session_id == tx)).all()
    assert sorted(rows) == sorted([("Transaction.Begin", "L1", 334), ("Transaction.Begin", "L2", 333),
                                   ("Transaction.Begin", "L3", 333), ("Transaction.End", "L1", 1500),
                                   ("Transaction.End", "L2", 1500), ("Transaction.End", "L3", 1500)])
    assert session(tx).energy_wh == 4500 - 1000, "the End register (three phases: 4500 Wh) is above meterStop"


@pytest.mark.parametrize("who, expected", [("own", "Accepted"), ("unknown", "Invalid"), ("blocked", "Blocked"),
                                            ("none", None)])
def test_the_stopping_id_tag_gets_its_own_id_tag_info(client, staff, factory, who, expected):
    tx = start(client, staff.id_tag)
    blocked = factory.user(email="blocked@example.com", active=False)
    tag = {"own": staff.id_tag, "unknown": "NO-SUCH-CARD", "blocked": blocked.id_tag, "none": None}[who]
    answer = stop(client, tx, 2000, **({"idTag": tag} if tag else {}))
    if expected is None:
        assert "idTagInfo" not in answer, "no idTag, no idTagInfo (OCPP 1.6: it is about the idTag)"
    else:
        assert answer.get("idTagInfo") == {"status": expected}
    s = session(tx)
    assert s.stopped_at is not None and s.energy_wh == 1000, "the transaction ends whoever ended it"
