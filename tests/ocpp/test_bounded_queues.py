"""The write-behind queues are bounded and push back (issue 11 point 10): while the database is stuck, a
charger's frames wait for room in the queue and are answered late, none is dropped, and the queue never
holds more than WRITEBEHIND_MAX_PENDING items."""
import threading
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import OcppMessage
from webapp.services.platform import bulk

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def app_overrides():
    return {"HEARTBEAT_INTERVAL": 2, "OCPP_PING_INTERVAL": 2, "OCPP_LOG_FLUSH_SECONDS": 0.1,
            "WRITEBEHIND_MAX_PENDING": 4}


def _logged():
    release_db()
    return db.session.execute(select(func.count()).select_from(OcppMessage)).scalar()


def test_a_full_log_queue_delays_answers_and_loses_nothing(app, raw, make_charger, monkeypatch):
    client = raw("CP-QUEUE", make_charger("CP-QUEUE"))
    client.boot()
    wait_until(lambda: _logged() == 1)  # the boot and its answer
    stuck, entered = threading.Event(), threading.Event()
    real_append = bulk.append

    def slow_append(table, columns, rows):
        if table.name == "ocpp_messages":
            entered.set()
            assert stuck.wait(30)
        return real_append(table, columns, rows)

    monkeypatch.setattr(bulk, "append", slow_append)
    answered = []

    def beat():
        for _ in range(10):
            answered.append(client.call("Heartbeat", {})[0])

    sender = threading.Thread(target=beat)
    sender.start()
    assert entered.wait(10)
    time.sleep(1.0)  # the database is stuck: room for four more heartbeats (a row each), then push back
    flusher = app.extensions["chargeway_flushers"]["ocpp-log"]
    assert len(flusher._items) <= 4
    assert len(answered) < 10, "answered while nothing could be logged: the queue is unbounded"
    stuck.set()
    sender.join(30)
    assert answered == [3] * 10
    wait_until(lambda: _logged() == 1 + 10, message="logged frames were dropped")
