"""The write path: heartbeats cost no database transaction of their own; last seen and the OCPP log are
written in batches; concurrent MeterValues share transactions yet each is persisted before it is answered."""
import threading
import time

import pytest
from sqlalchemy import event, func, select

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import ChargingSession, MeterSample, OcppMessage
from webapp.services.fleet import chargers
from webapp.timeutil import iso, utcnow


@pytest.fixture
def app_overrides():
    return {"LAST_SEEN_WRITE_SECONDS": 1, "OCPP_LOG_FLUSH_SECONDS": 0.5, "METER_BATCH_MS": 50,
            "HEARTBEAT_INTERVAL": 60, "OCPP_PING_INTERVAL": 60}


@pytest.fixture
def commits(app):
    """Count database commits made by anyone in this process."""
    counter = {"n": 0}

    def on_commit(conn):
        counter["n"] += 1

    event.listen(db.engine, "commit", on_commit)
    yield counter
    event.remove(db.engine, "commit", on_commit)


def test_heartbeats_are_not_one_transaction_each(raw, make_charger, commits):
    client = raw("CP-WP-1", make_charger("CP-WP-1"))
    client.boot()
    time.sleep(1.2)  # let the boot's own writes settle
    release_db()
    before = commits["n"]
    for _ in range(100):
        assert client.call("Heartbeat", {})[0] == 3
    time.sleep(1.5)  # one presence flush and a few log flushes
    spent = commits["n"] - before
    assert spent <= 10, f"100 heartbeats cost {spent} commits"
    # ... and nothing was lost: last seen moved, every heartbeat is in the log with its answer.
    release_db()
    assert (utcnow() - chargers.get_by_cp_id("CP-WP-1").last_seen).total_seconds() < 3
    assert wait_until(lambda: db.session.execute(select(func.count()).select_from(OcppMessage).where(
        OcppMessage.action == "Heartbeat", OcppMessage.answer.like('[3,%'))).scalar_one() == 100, 5)


def test_concurrent_meter_values_are_batched_and_all_persisted(raw, make_charger, factory, station, commits):
    tags = [factory.user(role="admin").id_tag for _ in range(8)]  # one idTag, one transaction
    clients, txs = [], []
    for i, tag in enumerate(tags):
        cp_id = f"CP-WP-M{i}"
        c = raw(cp_id, make_charger(cp_id, connectors=1))
        c.boot()
        tx = c.call("StartTransaction", {"connectorId": 1, "idTag": tag, "meterStart": 0,
                                         "timestamp": iso(utcnow())})[2]["transactionId"]
        clients.append(c)
        txs.append(tx)
    release_db()
    before = commits["n"]
    answers = []

    def send(client, tx):
        for n in range(1, 6):
            answers.append(client.call("MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
                {"timestamp": iso(utcnow()), "sampledValue": [
                    {"value": str(n * 100), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}))

    threads = [threading.Thread(target=send, args=(c, tx)) for c, tx in zip(clients, txs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 40 and all(a[0] == 3 for a in answers)
    release_db()
    # Answered means persisted: every reading is there the moment the last answer arrived.
    assert db.session.execute(select(func.count()).select_from(MeterSample)).scalar_one() == 40
    assert [db.session.get(ChargingSession, tx).energy_wh for tx in txs] == [500] * 8
    spent = commits["n"] - before
    assert spent < 40, f"40 MeterValues took {spent} commits: not batched"
