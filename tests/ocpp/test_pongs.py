"""A booted charger's socket waits for frames without a timer (webapp/ocpp/connection.py): a charger that
only answers our WebSocket pings, sending no Heartbeat, is still a live charger: each pong refreshes its
last seen from the socket's reader thread."""
import time

import pytest

from tests.conftest import release_db, wait_until

from .conftest import fresh_charger


@pytest.fixture
def app_overrides():
    # Silent for 2 x 2 + 1 = 5 s is offline (the job runs every second); pings every second.
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 1, "LAST_SEEN_WRITE_SECONDS": 0}


def charger(cp_id):
    found = fresh_charger(cp_id)
    seen = (found.online, found.last_seen)
    release_db()  # never hold SQLite's lock while the server writes
    return seen


def test_a_charger_that_only_answers_pings_stays_online(raw, make_charger, scheduler):
    client = raw("PONG-1", make_charger("PONG-1", connectors=1))  # the client's reader answers every ping
    assert client.boot()["status"] == "Accepted"
    wait_until(lambda: charger("PONG-1")[0], 5)
    _, booted_seen = charger("PONG-1")
    time.sleep(7)  # no frame from the charger all this time
    online, last_seen = charger("PONG-1")
    assert online is True
    assert (last_seen - booted_seen).total_seconds() > 5  # refreshed by the pongs, the last one moments ago
