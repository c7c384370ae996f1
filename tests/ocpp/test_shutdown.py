"""Graceful shutdown in one process over real sockets: chargers are let go with 1001, new sockets are
refused, and what the write-behind buffers held (last seen, OCPP log) is written."""
import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import release_db
from tests.ocpp.conftest import RawCharger
from webapp.extensions import db
from webapp.models import OcppMessage
from webapp.services.charging import shutdown
from webapp.services.fleet import chargers


@pytest.fixture
def app_overrides():
    # Production write-behind, slow enough that only the shutdown can have written it.
    return {"HEARTBEAT_INTERVAL": 30, "OCPP_PING_INTERVAL": 60, "LAST_SEEN_WRITE_SECONDS": 30,
            "OCPP_LOG_FLUSH_SECONDS": 30}


def test_shutdown_closes_with_1001_refuses_new_sockets_and_writes_the_buffers(app, live_server, make_charger, raw):
    password = make_charger("DRAIN-1", connectors=1)
    client = raw("DRAIN-1", password)
    # Not booted yet (served: a known, accepted charger): its last seen is buffered for 30 s.
    assert client.call("Heartbeat", {}, unique_id="hb-first")[0] == 3
    connected_at = chargers.get_by_cp_id("DRAIN-1").last_seen  # written when the socket opened
    release_db()

    assert shutdown.begin(app) == 1
    with pytest.raises(ConnectionClosed) as closed:
        client.recv(timeout=5)
    assert closed.value.rcvd.code == 1001
    with pytest.raises(InvalidStatus) as refused:
        RawCharger(live_server.ws_url, "DRAIN-1", password)
    assert refused.value.response.status_code == 503
    assert db.session.execute(select(func.count()).select_from(OcppMessage)).scalar_one() == 0  # still buffered
    release_db()

    shutdown.finish(app)
    logged = db.session.execute(select(OcppMessage.unique_id, OcppMessage.answer)).all()
    assert [answer[:2] for uid, answer in logged if uid == "hb-first"] == ["[3"]  # the CALL and its answer
    charger = chargers.get_by_cp_id("DRAIN-1")
    assert charger.connection_id is None and charger.last_seen > connected_at  # the heartbeat's last seen
