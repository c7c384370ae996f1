"""The socket layer across two gunicorn gevent nodes (PostgreSQL, Redis):

- a charger that takes 8 s to answer RemoteStart through the other node: the driver gets a normal answer;
- a stale socket on the old node while the charger reconnected to the new one: the route stays new;
- SIGTERM of a node mid-session: sockets closed with 1001, buffers written, routes gone, nothing lost.
"""
import os
import signal
import time
from datetime import timezone

import pytest
import requests
from sqlalchemy import func, select

from tests.cluster.conftest import Node
from tests.cluster.raw_charger import RawCharger
from tests.conftest import wait_until
from webapp.extensions import db
from webapp.models import Booking, ChargerEvent, ChargingSession, MeterSample, OcppMessage
from webapp.services.fleet import chargers
from webapp.services.platform import commands
from webapp.timeutil import parse_iso


@pytest.fixture
def cluster_env(cluster_env):
    cluster_env.update({
        "OCPP_CALL_TIMEOUT": "12",  # a charger may take 8 s to answer RemoteStart
        "BUS_ROUTE_TTL_SECONDS": "3",  # routes refreshed every second
        "OCPP_PING_INTERVAL": "60",  # a stale socket is not noticed by pings during the test
        "OCPP_LOG_FLUSH_SECONDS": "30", "METER_BATCH_MS": "20",  # production write-behind
        "GRACEFUL_TIMEOUT": "20",
    })
    return cluster_env


@pytest.fixture
def pair(cluster_env, cluster_app, artifacts):
    nodes = [Node("node-a", cluster_env, artifacts), Node("node-b", cluster_env, artifacts)]
    try:
        for node in nodes:
            node.wait_ready(path="/healthz")  # no RQ worker runs beside this pair: /readyz rightly answers 503
        yield nodes
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture
def driver(factory):
    station = factory.station(name="Socket Station")
    for cp_id in ("SK-1", "SK-2"):
        factory.charger(station=station, cp_id=cp_id, connectors=1, password=f"{cp_id}-pass", online=False,
                        status="Unavailable", heartbeat_interval=30, supports_reservation=False)
    factory.user(email="sock-driver@example.com", password="sock-pass-1")
    db.session.commit()


def api_for(node):
    api = requests.Session()
    token = api.post(node.url + "/api/auth/token", json={"email": "sock-driver@example.com",
                                                        "password": "sock-pass-1"}, timeout=10).json()
    api.headers["Authorization"] = f"Bearer {token['access_token']}"
    return api


def book_and_pay(api, node, cp_id):
    booking = api.post(node.url + "/api/bookings", json={"charger_id": cp_id, "connector_id": 1}, timeout=10)
    assert booking.status_code in (200, 201), booking.text
    paid = api.post(node.url + "/api/payments/process", headers={"Idempotency-Key": f"pay-{cp_id}"}, timeout=10,
                    json={"booking_id": booking.json()["id"], "quota_kwh": 20, "payment_method": "card",
                          "payment_details": "4242 4242 4242 4242"})
    assert paid.status_code == 200, paid.text
    return booking.json()["id"]


def routes_seen(redis, key, seconds):
    """Every value `key` had while polled for `seconds` (a route rewritten and set back within one
    refresh period shows up here)."""
    seen, deadline = set(), time.monotonic() + seconds
    while time.monotonic() < deadline:
        seen.add(redis.get(key))
        time.sleep(0.05)
    return seen


def online_on(cp_id):
    charger = chargers.get_by_cp_id(cp_id)
    return charger.node_id if charger.online else None


def test_a_charger_answering_after_8_s_through_the_other_node_gets_the_driver_a_normal_answer(pair, driver):
    a, b = pair
    charger = RawCharger(a.ws_url, "SK-1", "SK-1-pass", delays={"RemoteStartTransaction": 8})
    assert charger.boot() == "Accepted"
    wait_until(lambda: online_on("SK-1") == "node-a", 10)
    wait_until(lambda: chargers.get_by_cp_id("SK-1").connectors[0].status == "Available", 10)
    api = api_for(b)
    book_and_pay(api, b, "SK-1")
    started = api.post(b.url + "/api/charging/start", json={"charger_id": "SK-1", "connector_id": 1}, timeout=30)
    assert started.status_code == 200, started.text
    assert started.json()["success"] is True
    assert [action for action, _ in charger.received] == ["RemoteStartTransaction"]  # sent once, no retry
    charger.close()


def test_a_stale_socket_on_the_old_node_leaves_the_route_to_the_new_one(pair, driver, cluster_app):
    a, b = pair
    old = RawCharger(a.ws_url, "SK-2", "SK-2-pass")  # stays open on node A: a half-open socket to node A
    assert old.boot() == "Accepted"
    wait_until(lambda: online_on("SK-2") == "node-a", 10)
    new = RawCharger(b.ws_url, "SK-2", "SK-2-pass")  # the charger reconnects to node B
    assert new.boot() == "Accepted"
    wait_until(lambda: online_on("SK-2") == "node-b", 10)
    redis = cluster_app.extensions["chargeway_bus"].redis
    route_b = redis.get("cw:route:SK-2")
    assert route_b.startswith("node-b:")
    # Both nodes refresh their routes every second: node A must never take this one back ...
    assert routes_seen(redis, "cw:route:SK-2", 2.5) == {route_b}
    assert old.closed.wait(5), "node A kept the stale socket open"  # ... and it lets the stale socket go
    old.close()  # had node A still held it, its unregister must not delete node B's route
    assert routes_seen(redis, "cw:route:SK-2", 1.5) == {route_b}
    assert online_on("SK-2") == "node-b"
    assert commands.unlock("SK-2", 1) is True  # from this process, through node B
    assert ("UnlockConnector", {"connectorId": 1}) in new.received
    new.close()


def test_sigterm_mid_session_closes_sockets_with_1001_and_loses_nothing(pair, driver, sim, cluster_app):
    a, b = pair
    session_charger = sim.add("SK-1", f"{a.ws_url},{b.ws_url}", password="SK-1-pass", connectors=1,
                              meter_interval=0.3, time_scale=300)
    assert session_charger.connect() == "Accepted"
    idle = RawCharger(a.ws_url, "SK-2", "SK-2-pass")
    assert idle.boot() == "Accepted"
    wait_until(lambda: online_on("SK-1") == "node-a" and online_on("SK-2") == "node-a", 10)
    wait_until(lambda: chargers.get_by_cp_id("SK-1").connectors[0].status == "Available", 10)
    api = api_for(b)
    booking_id = book_and_pay(api, b, "SK-1")
    started = api.post(b.url + "/api/charging/start", json={"charger_id": "SK-1", "connector_id": 1}, timeout=30)
    assert started.status_code == 200, started.text
    session_charger.wait_status(1, "Charging", timeout=10)
    tx = session_charger.transaction_id(1)
    wait_until(lambda: db.session.get(Booking, booking_id).status == "CHARGING", 10)
    idle.call("Heartbeat", {}, unique_id="hb-before-sigterm")  # logged in node A's 30 s buffer

    os.kill(a.proc.pid, signal.SIGTERM)  # the master: gunicorn passes SIGTERM on to its worker
    assert idle.closed.wait(10), "node A did not close the charger's socket"
    assert idle.close_code == 1001
    a.proc.wait(30)
    a.log.flush()
    assert "Worker graceful timeout" not in open(a.log.name).read()

    # The OCPP log buffered on node A was written; the charger's route and presence were let go.
    redis = cluster_app.extensions["chargeway_bus"].redis
    assert db.session.execute(select(func.count()).select_from(OcppMessage).where(
        OcppMessage.unique_id == "hb-before-sigterm", OcppMessage.answer.is_not(None))).scalar_one() == 1  # with its answer
    assert redis.get("cw:route:SK-2") is None
    assert online_on("SK-2") is None
    assert any(e.detail == "server shutting down" for e in db.session.execute(select(ChargerEvent)).scalars())

    # The session's charger moved to node B at once and goes on; every acknowledged reading is stored.
    wait_until(lambda: online_on("SK-1") == "node-b", 15)
    assert redis.get("cw:route:SK-1").startswith("node-b:")
    session_charger.stop_local(1)
    stop = session_charger.wait_sent("StopTransaction", timeout=20)[0]
    session = wait_until(lambda: (s := db.session.get(ChargingSession, tx)) is not None and s.meter_stop and s, 20)
    assert session.meter_stop == stop["meterStop"]
    acked = {second(parse_iso(value["timestamp"])) for request, response in session_charger.sent_calls("MeterValues")
             if response is not None and request.get("transactionId") == tx for value in request["meterValue"]}
    assert acked
    stored = {second(s.timestamp) for s in db.session.execute(
        select(MeterSample).where(MeterSample.session_id == tx)).scalars()}
    assert acked <= stored, sorted(acked - stored)


def second(when):
    """A timestamp as naive UTC to the second (the wire and the database round differently below it)."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)
