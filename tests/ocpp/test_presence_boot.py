"""Online means booted on the socket that is open now: a socket that never boots is closed, a registered
charger is offline until it boots, and a last-seen write buffered for a closed socket never brings the
charger back online."""
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import wait_until
from webapp.timeutil import utcnow

from .conftest import fresh_charger


@pytest.fixture
def app_overrides():
    # Last seen buffered for a second, as in production (5 s there); a socket must boot within 2 s.
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OCPP_PING_INTERVAL": 60,
            "OCPP_CALL_TIMEOUT": 5.0, "LAST_SEEN_WRITE_SECONDS": 1, "OCPP_BOOT_TIMEOUT_SECONDS": 2}


def test_a_socket_that_never_boots_is_closed(make_charger, raw):
    password = make_charger("NOBOOT-1", connectors=1)
    client = raw("NOBOOT-1", password)
    assert client.call("Heartbeat", {})[0] == 3  # served meanwhile (a known, accepted charger) ...
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            client.recv(timeout=10)  # ... but closed once the boot deadline passes
    assert closed.value.rcvd.code == 1008 and "BootNotification" in closed.value.rcvd.reason
    assert not fresh_charger("NOBOOT-1").online
    assert wait_until(lambda: fresh_charger("NOBOOT-1").connection_id is None, 5)


def test_a_registered_charger_is_offline_until_it_boots_on_this_socket(make_charger, raw):
    password = make_charger("NOBOOT-2", connectors=1)
    client = raw("NOBOOT-2", password)
    assert client.call("Heartbeat", {})[0] == 3  # the socket is open and served
    seen = fresh_charger("NOBOOT-2")
    assert seen.connection_id is not None and seen.online is False
    assert client.boot()["status"] == "Accepted"
    assert fresh_charger("NOBOOT-2").online is True


def test_a_last_seen_buffered_before_the_close_does_not_bring_a_dead_socket_back(make_charger, raw):
    dying = raw("GHOST-1", make_charger("GHOST-1", connectors=1))
    alive = raw("GHOST-2", make_charger("GHOST-2", connectors=1))
    assert alive.boot()["status"] == "Accepted"
    assert dying.boot()["status"] == "Accepted"  # its last seen is now buffered for the next flush
    dying.close()
    wait_until(lambda: not fresh_charger("GHOST-1").online, 5)
    closed_at = utcnow()

    def flushed_past_the_close():
        alive.call("Heartbeat", {})  # a later last seen of another charger: flushed after GHOST-1's
        seen = fresh_charger("GHOST-2").last_seen
        return seen is not None and seen > closed_at

    wait_until(flushed_past_the_close, 10, interval=0.3)
    ghost = fresh_charger("GHOST-1")
    assert ghost.online is False and ghost.connection_id is None
