"""Server-initiated CALLs: one outstanding per charger, answers matched by unique id, a timeout when the
charger never answers, CALLERRORs and invalid answers reported to the caller."""
import json
import threading
import time

import pytest

from tests.conftest import release_db
from webapp.services.platform import commands


@pytest.fixture
def app_overrides():
    return {"OCPP_CALL_TIMEOUT": 1.5, "OCPP_PING_INTERVAL": 60}


@pytest.fixture
def client(raw, make_charger):
    c = raw("CP-CMD-1", make_charger("CP-CMD-1"))
    c.boot()
    return c


def run(app, fn, *args):
    out = {}

    def target():
        with app.app_context():
            try:
                out["value"] = fn(*args)
            except Exception as exc:
                out["error"] = exc
    release_db()
    thread = threading.Thread(target=target)
    thread.start()
    return thread, out


def test_one_outstanding_call_and_answers_matched_by_id(app, client):
    first, out1 = run(app, commands.unlock, "CP-CMD-1", 1)
    call1 = client.recv()
    second, out2 = run(app, commands.clear_cache, "CP-CMD-1")
    time.sleep(0.3)
    # The second command waits: nothing new may arrive before the first is answered.
    with pytest.raises(TimeoutError):
        client.ws.recv(timeout=0.3)
    client.send_raw(json.dumps([3, "not-" + call1[1], {"status": "Unlocked"}]))  # a stray id is ignored
    client.send_raw(json.dumps([3, call1[1], {"status": "Unlocked"}]))
    first.join(5)
    call2 = client.recv()
    assert call1[2] == "UnlockConnector" and call2[2] == "ClearCache" and call1[1] != call2[1]
    client.send_raw(json.dumps([3, call2[1], {"status": "Accepted"}]))
    second.join(5)
    assert out1 == {"value": True} and out2 == {"value": True}


def test_silence_times_out(app, client):
    thread, out = run(app, commands.reset, "CP-CMD-1", "Hard")
    assert client.recv()[2] == "Reset"
    thread.join(5)
    assert isinstance(out["error"], commands.CommandFailed) and "did not answer" in out["error"].message


def test_callerror_and_invalid_answers_are_reported(app, client):
    thread, out = run(app, commands.unlock, "CP-CMD-1", 1)
    call = client.recv()
    client.send_raw(json.dumps([4, call[1], "NotSupported", "no locks here", {}]))
    thread.join(5)
    assert "NotSupported" in out["error"].message
    thread, out = run(app, commands.unlock, "CP-CMD-1", 1)
    call = client.recv()
    client.send_raw(json.dumps([3, call[1], {"status": "Wobbly"}]))
    thread.join(5)
    assert "invalid UnlockConnector answer" in out["error"].message


def test_an_answer_sent_just_before_the_charger_hangs_up_still_reaches_the_caller(app, client, monkeypatch):
    """A charger answers our CALL and closes (a Reset reboots) while one of its own CALLs is still being
    handled: our reply to that CALL cannot be sent any more, but the answer already in the socket's buffer
    is read, not dropped as "disconnected before answering"."""
    from webapp.ocpp import handlers

    busy, go_on = threading.Event(), threading.Event()
    real = handlers.HANDLERS["DataTransfer"]

    def slow(*args, **kwargs):
        busy.set()
        go_on.wait(5)  # e.g. a group commit still being written
        return real(*args, **kwargs)

    monkeypatch.setitem(handlers.HANDLERS, "DataTransfer", slow)
    client.send_raw(json.dumps([2, "dt-1", "DataTransfer", {"vendorId": "Raw"}]))
    assert busy.wait(5)
    thread, out = run(app, commands.send, "CP-CMD-1", "Reset", {"type": "Soft"}, 5)
    call = json.loads(client.ws.recv(timeout=5))
    assert call[2] == "Reset"
    client.send_raw(json.dumps([3, call[1], {"status": "Accepted"}]))
    threading.Timer(0.5, go_on.set).start()  # the handler finishes once the charger has gone
    client.close()  # the charger reboots before our DataTransfer answer can reach it
    thread.join(10)
    assert out.get("value") == {"status": "Accepted"}, out
