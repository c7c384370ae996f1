"""A BootNotification whose batch commits after its socket closed (the boot's answer timed out, the charger
hung up, the database caught up later) must not leave the charger online without a socket."""
import threading

import pytest

from tests.conftest import wait_until
from webapp.services.charging import writebehind
from webapp.services.fleet import chargers
from webapp.services.platform import bus

from .conftest import fresh_charger

pytestmark = pytest.mark.both_dbs  # PostgreSQL: the disconnect and the boot are concurrent transactions

@pytest.fixture
def app_overrides():
    # Group commits as in production; a handler waits 1 s for its batch (production: 30 s).
    return {"HEARTBEAT_INTERVAL": 2, "OFFLINE_MARGIN_SECONDS": 1, "OCPP_PING_INTERVAL": 60,
            "OCPP_CALL_TIMEOUT": 5.0, "STATUS_BATCH_MS": 20, "GROUP_COMMIT_TIMEOUT_SECONDS": 1}


def state(cp_id):
    charger = fresh_charger(cp_id)
    return charger.online, charger.connection_id


@pytest.fixture
def held_boots(monkeypatch):
    """Boot batches wait for `release`; `flushed` is set once the held batch is committed."""
    release, flushed = threading.Event(), threading.Event()
    original = writebehind._flush_boots

    def held(batch):
        release.wait(20)
        original(batch)
        flushed.set()

    monkeypatch.setattr(writebehind, "_flush_boots", held)
    return release, flushed


def _idle(app, name):
    flusher = app.extensions.get("chargeway_flushers", {}).get(name)
    return flusher is not None and not flusher._items and not flusher._writing


def _late_boot(raw, cp_id, password, held_boots, app):
    release, flushed = held_boots
    client = raw(cp_id, password)
    answer = client.call("BootNotification", {"chargePointVendor": "Raw", "chargePointModel": "Late"})
    assert answer[0] == 4 and answer[2] == "InternalError"  # not committed in time: the charger was told so
    client.close()
    # The close is written first: the disconnect's group commit has run (before the fix the late boot then
    # found the charger without an owner and took it).
    wait_until(lambda: _idle(app, "disconnect"), 5, message="disconnect committed")
    assert bus.get().local(cp_id) is None
    release.set()
    assert flushed.wait(10)


def test_a_late_boot_of_a_known_charger_does_not_put_it_online_after_its_socket_closed(
        make_charger, raw, held_boots, app):
    _late_boot(raw, "LATE-1", make_charger("LATE-1", connectors=1), held_boots, app)
    # Settles offline with no owner (before the fix: online through the closed socket, for good)
    wait_until(lambda: state("LATE-1") == (False, None), 5, message="offline and released")
    assert state("LATE-1") == (False, None)


@pytest.mark.parametrize("app_overrides", [{"OCPP_PING_INTERVAL": 60, "STATUS_BATCH_MS": 20,
                                            "GROUP_COMMIT_TIMEOUT_SECONDS": 1, "OCPP_AUTO_REGISTER": True}])
def test_a_late_boot_that_registers_a_charger_does_not_put_it_online_after_its_socket_closed(
        raw, held_boots, app):
    _late_boot(raw, "LATE-NEW-1", None, held_boots, app)
    wait_until(lambda: chargers.get_by_cp_id("LATE-NEW-1") is not None, 5)
    wait_until(lambda: state("LATE-NEW-1") == (False, None), 5, message="offline and released")
    assert state("LATE-NEW-1") == (False, None)


def test_a_boot_on_a_live_socket_still_puts_the_charger_online(make_charger, raw, app):
    client = raw("LATE-2", make_charger("LATE-2", connectors=1))
    assert client.boot()["status"] == "Accepted"
    online, connection_id = state("LATE-2")
    assert online and connection_id == bus.get().local("LATE-2").connection_id
