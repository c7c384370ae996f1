"""OCPP fixtures: a live server, chargers with passwords, and a raw OCPP-J client."""
import base64
import itertools
import json

import pytest
from websockets.sync.client import connect

from tests.conftest import release_db
from webapp.extensions import db
from webapp.services.fleet import chargers


@pytest.fixture
def app_overrides():
    # Fast presence: heartbeat 2 s, offline after 2 x 2 + 1 = 5 s of silence; pings every 2 s.
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 2, "OCPP_CALL_TIMEOUT": 5.0}


@pytest.fixture
def station(factory):
    return factory.station(name="Live Station")


@pytest.fixture
def make_charger(factory, station, app):
    """make_charger(cp_id, connectors=2) -> password; the charger starts offline with no connector status."""

    def make(cp_id, connectors=2, password="s3cret-pass", **kw):
        factory.charger(station=station, cp_id=cp_id, connectors=connectors, password=password,
                                  online=False, status="Unavailable", heartbeat_interval=2, **kw)
        db.session.commit()
        return password

    return make


def fresh_charger(cp_id):
    """The charger row as the live server left it: the test's transaction is committed first (SQLite's write
    lock; and the next read is not served from this session's stale copy)."""
    db.session.commit()
    return chargers.get_by_cp_id(cp_id)


@pytest.fixture
def operator(factory, station):
    """A staff member (operator) of the live station."""
    user = factory.user(role="operator", email="operator@example.com")
    user.stations = [station]
    db.session.commit()
    return user


class RawCharger:
    """A bare OCPP-J client: send frames, read answers; nothing hidden."""

    def __init__(self, ws_url, cp_id, password=None, subprotocols=("ocpp1.6",)):
        headers = {}
        if password is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{cp_id}:{password}".encode()).decode()
        self.ws = connect(f"{ws_url}/{cp_id}", subprotocols=list(subprotocols) or None,
                          additional_headers=headers, open_timeout=5, max_size=2 ** 21)
        self._ids = itertools.count(1)
        self._server_calls = []  # CALLs the server sent while we waited for an answer: recv() returns them first

    def call(self, action, payload, unique_id=None):
        """Send a CALL and return the next frame that is not a CALL of the server's (a timer job's
        GetConfiguration may come first; recv() hands those out later)."""
        release_db()  # never hold SQLite's write lock while the server needs it
        uid = unique_id or str(next(self._ids))
        self.ws.send(json.dumps([2, uid, action, payload]))
        while True:
            frame = json.loads(self.ws.recv(timeout=5))
            if not (isinstance(frame, list) and frame[:1] == [2]):
                return frame
            self._server_calls.append(frame)

    def send_raw(self, text):
        release_db()
        self.ws.send(text)

    def recv(self, timeout=5):
        if self._server_calls:
            return self._server_calls.pop(0)
        return json.loads(self.ws.recv(timeout=timeout))

    def boot(self):
        answer = self.call("BootNotification", {"chargePointVendor": "Raw", "chargePointModel": "Client"})
        assert answer[0] == 3, answer
        return answer[2]

    def close(self):
        self.ws.close()


@pytest.fixture
def raw(live_server):
    """raw(cp_id, password) -> a connected RawCharger (closed after the test)."""
    opened = []

    def open_(cp_id, password=None, **kw):
        client = RawCharger(live_server.ws_url, cp_id, password, **kw)
        opened.append(client)
        return client

    yield open_
    for client in opened:
        try:
            client.close()
        except Exception:
            pass
