"""Online / offline: a closed socket is offline at once; a silent one (half-open TCP) goes offline
through the detection job; a reconnect brings it back. Every change is a charger event."""
import time

import pytest

from webapp.extensions import db
from webapp.models import ChargerEvent
from webapp.services.fleet import chargers


from tests.conftest import wait_until


def online(cp_id):
    return chargers.get_by_cp_id(cp_id).online


def wait_for(predicate, timeout):
    start = time.monotonic()
    wait_until(predicate, timeout)
    return time.monotonic() - start


@pytest.fixture
def app_overrides():
    # Heartbeat 2 s: a silent charger is overdue after 2 x 2 + 1 = 5 s; the job runs every second.
    # WebSocket pings are slow here (60 s) so that only the detection job can notice the silence.
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OFFLINE_CHECK_SECONDS": 1,
            "OCPP_PING_INTERVAL": 60}


@pytest.fixture
def charger(live_server, make_charger, sim):
    password = make_charger("SIM-PRES-1", connectors=1)
    c = sim.add("SIM-PRES-1", live_server.ws_url, password=password, connectors=1)
    assert c.connect() == "Accepted"
    wait_for(lambda: online("SIM-PRES-1"), 5)
    return c


def events(kind):
    db.session.commit()
    return [e for e in db.session.execute(db.select(ChargerEvent).where(ChargerEvent.kind == kind)).scalars()]


def test_cut_without_close_frame_is_offline_at_once_and_back_on_reconnect(charger):
    charger.drop_connection(1.5)  # TCP abort: no close frame
    took = wait_for(lambda: not online("SIM-PRES-1"), 3)
    assert took < 3
    wait_for(lambda: online("SIM-PRES-1"), 10)
    assert len(events("offline")) == 1 and len(events("online")) == 2


def test_silent_charger_goes_offline_within_the_window_then_recovers(charger, scheduler):
    charger.go_silent()
    took = wait_for(lambda: not online("SIM-PRES-1"), 12)
    # Last seen was refreshed by the boot moments ago: offline 5 s after that, plus a job period.
    assert 3.5 < took < 9, took
    assert "silent since" in events("offline")[-1].detail
    charger.resume()  # the socket is still open: its next frame is served and it is back
    charger.send_heartbeat()
    wait_for(lambda: online("SIM-PRES-1"), 5)
    assert "heard from again" in events("online")[-1].detail
