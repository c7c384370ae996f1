"""Point 5 of issue 12: nobody takes over a charger id.

Auto-registration provisions an AuthorizationKey (ChangeConfiguration, OCPP 1.6 security profile 1) and
from then on the id needs it; a second socket without credentials is refused at the handshake while the
first stays connected; without auto-registration an unknown id is refused at the handshake; wrong
passwords are throttled per id and per address. Real sockets: a bare client and the simulator.
"""
import json
import threading
import time

import pytest
from websockets.exceptions import InvalidStatus

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import AuditLog, Charger, ChargerEvent, OcppMessage
from webapp.services.fleet import chargers, charger_passwords


def _charger(cp_id):
    release_db()
    return db.session.execute(db.select(Charger).where(Charger.charge_point_id == cp_id)).scalar_one_or_none()


def _refused(raw, cp_id, password=None):
    release_db()
    with pytest.raises(InvalidStatus) as err:
        raw(cp_id, password)
    return err.value.response


def _heartbeat_ok(client):
    answer = client.call("Heartbeat", {})
    return answer[0] == 3 and "currentTime" in answer[2]


def _provisioning_call(client):
    """The CALL the server sends after an accepted auto-registration boot."""
    frame = client.recv(timeout=5)
    assert frame[0] == 2 and frame[2] == "ChangeConfiguration", frame
    assert frame[3]["key"] == "AuthorizationKey"
    return frame


def test_unknown_id_is_refused_at_the_handshake_without_auto_registration(raw, app):
    response = _refused(raw, "CP-STRANGER")
    assert response.status_code == 401
    assert _charger("CP-STRANGER") is None
    # Credentials for an id we do not know are refused too: there is nothing to check them against.
    assert _refused(raw, "CP-STRANGER", "some-password-12345").status_code == 401


def test_auto_registration_provisions_a_key_and_then_requires_it(raw, app):
    app.config["OCPP_AUTO_REGISTER"] = True
    first = raw("CP-AUTO-1")
    assert first.boot()["status"] == "Accepted"
    frame = _provisioning_call(first)
    key = frame[3]["value"]
    assert charger_passwords.validate(key) == key and len(key) == 20
    first.send_raw(json.dumps([3, frame[1], {"status": "Accepted"}]))
    assert wait_until(lambda: _charger("CP-AUTO-1").password_hash is not None, 5)
    assert chargers.password_check("CP-AUTO-1", key) is True
    # The key never reaches the OCPP message log.
    release_db()
    logged = db.session.execute(db.select(OcppMessage.payload)).scalars().all()
    assert any("AuthorizationKey" in p for p in logged) and not any(key in p for p in logged)
    # The change is audited (no user: the system provisioned it), without the key.
    entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "charger.password_provisioned")
                               ).scalar_one()
    assert entry.user_id is None and entry.target_id == str(_charger("CP-AUTO-1").id) and key not in str(entry.after)
    # Someone else now opening the id without the key, or with a wrong one, is refused at the handshake ...
    assert _refused(raw, "CP-AUTO-1").status_code == 401
    assert _refused(raw, "CP-AUTO-1", "wrong-password-123").status_code == 401
    # ... while the charger stays connected and served.
    assert _heartbeat_ok(first) and _charger("CP-AUTO-1").online
    # The charger itself reconnects with its key.
    first.close()
    release_db()
    again = raw("CP-AUTO-1", key)
    assert again.boot()["status"] == "Accepted"
    with pytest.raises(TimeoutError):  # nothing to provision any more
        again.recv(timeout=1)


def test_a_second_unauthenticated_socket_is_refused_while_the_first_is_connected(raw, app):
    """Before a key is in place (the charger refused it), the id is still not up for grabs."""
    app.config["OCPP_AUTO_REGISTER"] = True
    first = raw("CP-AUTO-2")
    assert first.boot()["status"] == "Accepted"
    frame = _provisioning_call(first)
    first.send_raw(json.dumps([3, frame[1], {"status": "Rejected"}]))
    assert wait_until(lambda: any("AuthorizationKey" in e.detail for e in _events("CP-AUTO-2")), 5)
    assert _charger("CP-AUTO-2").password_hash is None
    response = _refused(raw, "CP-AUTO-2")
    assert response.status_code == 409
    assert _heartbeat_ok(first) and _charger("CP-AUTO-2").online
    assert _charger("CP-AUTO-2").connection_id is not None


def _events(cp_id):
    release_db()
    charger = _charger(cp_id)
    return list(db.session.execute(db.select(ChargerEvent).where(ChargerEvent.charger_id == charger.id)).scalars())


def test_the_simulator_stores_its_key_and_uses_it_on_reconnect(live_server, app, sim, tmp_path):
    app.config["OCPP_AUTO_REGISTER"] = True
    passwords_file = tmp_path / "chargers.json"
    passwords_file.write_text(json.dumps({"SIM-NEW-1": None}))
    c = sim.add("SIM-NEW-1", live_server.ws_url, connectors=1, passwords_file=str(passwords_file))
    assert c.connect() == "Accepted"
    assert wait_until(lambda: _charger("SIM-NEW-1") is not None and _charger("SIM-NEW-1").password_hash, 10)
    key = json.loads(passwords_file.read_text())["SIM-NEW-1"]
    assert chargers.password_check("SIM-NEW-1", key) is True
    assert sim.call(lambda: c.charger.password) == key
    c.drop_connection(0.5)
    assert wait_until(lambda: not _charger("SIM-NEW-1").online, 5)
    assert wait_until(lambda: _charger("SIM-NEW-1").online, 10), "reconnected with its key"
    assert len([e for e in _events("SIM-NEW-1") if e.kind == "online"]) == 2


def test_wrong_passwords_are_throttled_per_id(raw, make_charger, app):
    app.config.update(OCPP_AUTH_MAX_FAILURES=3, OCPP_AUTH_IP_MAX_FAILURES=100)
    password = make_charger("CP-THR-1")
    for _ in range(3):
        assert _refused(raw, "CP-THR-1", "wrong-password-123").status_code == 401
    response = _refused(raw, "CP-THR-1", password)  # even the right one waits out the window
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    other = make_charger("CP-THR-2")
    assert raw("CP-THR-2", other).boot()["status"] == "Accepted"  # other ids are untouched


def test_wrong_passwords_are_throttled_per_address(raw, make_charger, app):
    app.config.update(OCPP_AUTH_MAX_FAILURES=100, OCPP_AUTH_IP_MAX_FAILURES=4)
    passwords = {cp: make_charger(cp) for cp in ("CP-IP-1", "CP-IP-2", "CP-IP-3")}
    for cp in ("CP-IP-1", "CP-IP-2", "CP-IP-1", "CP-IP-2"):
        assert _refused(raw, cp, "wrong-password-123").status_code == 401
    assert _refused(raw, "CP-IP-3", passwords["CP-IP-3"]).status_code == 429


def test_failures_are_shared_through_redis(app):
    """With Redis every node counts the same failures (each process keeps its own otherwise)."""
    import redis

    from tests.conftest import REDIS_URL, need
    from webapp.services.fleet.charger_auth import _Counters

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        need(f"Redis at {REDIS_URL}")
    key = f"cw:ocpp-auth:test:{time.time_ns()}"
    node_a, node_b = _Counters(REDIS_URL, 2), _Counters(REDIS_URL, 2)
    node_a.add(key, 60)
    node_b.add(key, 60)
    count, left = node_a.count(key)
    assert count == 2 and 0 < left <= 60
    redis.Redis.from_url(REDIS_URL).delete(key)


# -- staff rotating a connected charger's password (the console's "New password") --------------------------
def _operator(app, factory):
    from tests.admin.conftest import client_as

    return client_as(app, factory.user(role="admin", email="keys-admin@example.com"))


def test_a_new_password_for_a_connected_charger_is_sent_to_it_first_so_it_keeps_working(
        live_server, app, sim, make_charger, factory):
    old = make_charger("SIM-ROTATE-1")
    c = sim.add("SIM-ROTATE-1", live_server.ws_url, password=old, connectors=1)
    assert c.connect() == "Accepted"
    assert wait_until(lambda: _charger("SIM-ROTATE-1").online, 5)
    page = _operator(app, factory).post(f"/admin/chargers/{_charger('SIM-ROTATE-1').id}/password")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "took the new password (Accepted)" in body
    new = body.split('id="cp-password">')[1].split("<")[0]
    assert sim.call(lambda: c.charger.password) == new, "the charger was sent the key it now needs"
    assert chargers.password_check("SIM-ROTATE-1", new) is True
    assert chargers.password_check("SIM-ROTATE-1", old) is False
    c.drop_connection(0.5)
    assert wait_until(lambda: not _charger("SIM-ROTATE-1").online, 5)
    assert wait_until(lambda: _charger("SIM-ROTATE-1").online, 10), "reconnected with its new key, not locked out"


def test_a_charger_that_refuses_the_new_password_keeps_its_old_one(raw, app, make_charger, factory):
    old = make_charger("RAW-ROTATE-1")
    client = raw("RAW-ROTATE-1", old)
    client.boot()
    assert wait_until(lambda: _charger("RAW-ROTATE-1").online, 5)
    console, seen = _operator(app, factory), {}
    charger_id = _charger("RAW-ROTATE-1").id

    def refuse():  # the charger's side, in its own thread, as a real charger answers while the console waits
        frame = client.recv(timeout=10)
        seen["frame"] = frame
        client.send_raw(json.dumps([3, frame[1], {"status": "Rejected"}]))

    charger_side = threading.Thread(target=refuse)
    charger_side.start()
    page = console.post(f"/admin/chargers/{charger_id}/password", follow_redirects=True)
    charger_side.join(10)
    assert seen["frame"][2] == "ChangeConfiguration" and seen["frame"][3]["key"] == "AuthorizationKey"
    body = page.get_data(as_text=True)
    assert "did not take the new password (Rejected)" in body and 'id="cp-password"' not in body
    release_db()
    assert chargers.password_check("RAW-ROTATE-1", old) is True, "the old password stays in force"
    assert not db.session.execute(db.select(AuditLog).where(AuditLog.action == "charger.password_reset")).first()
    assert any("not taken: Rejected" in e.detail for e in _events("RAW-ROTATE-1"))
