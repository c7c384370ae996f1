"""Scale-out: two app processes share PostgreSQL and Redis.

- a charger connected to node A is started by an API request served by node B (Redis command bus);
- node A is killed with a charging session running: the charger reconnects to node B, replays what it
  queued, and no transaction, meter reading or booking is lost;
- timers fire through the real RQ worker (hold expiry) and rq cron (offline detection).
"""

import pytest
import requests
from sqlalchemy import select

from tests.conftest import release_db, wait_until
from webapp.extensions import db
from webapp.models import Booking, ChargerEvent, ChargingSession, Notification
from webapp.services.booking import bookings
from webapp.services.fleet import chargers
from webapp.services.platform import commands



@pytest.fixture
def world(cluster_app, factory):
    station = factory.station(name="Cluster Station")
    factory.charger(station=station, cp_id="CL-1", connectors=1, password="cl-1-pass", online=False,
                    status="Unavailable", heartbeat_interval=2)
    for i in range(2, 8):  # neighbours on node B, so that both of its workers hold sockets
        factory.charger(station=station, cp_id=f"CL-{i}", connectors=1, online=False, status="Unavailable",
                        heartbeat_interval=2)
    driver = factory.user(email="cluster-driver@example.com", password="cluster-pass-1")
    db.session.commit()
    return {"driver_id": driver.id, "tag": driver.id_tag}


def online_on(cp_id):
    charger = chargers.get_by_cp_id(cp_id)
    return charger.node_id if charger.online else None


def test_cross_node_command_failover_and_timers(cluster, world, sim, cluster_app):
    a, b = cluster["a"], cluster["b"]
    for node in (a, b):
        assert requests.get(node.url + "/healthz", timeout=5).json()["node"] in ("node-a", "node-b")
    charger = sim.add("CL-1", f"{a.ws_url},{b.ws_url}", password="cl-1-pass", connectors=1, meter_interval=0.3,
                      time_scale=300)
    assert charger.connect() == "Accepted"
    assert wait_until(lambda: online_on("CL-1"), 10) == "node-a"

    # The driver books, pays and starts through node B's API; the charger's socket is on node A.
    from webapp.models import User

    driver = db.session.get(User, world["driver_id"])
    connector_id = chargers.get_by_cp_id("CL-1").connectors[0].id
    wait_until(lambda: chargers.get_by_cp_id("CL-1").connectors[0].status == "Available", 10)
    api = requests.Session()
    token = api.post(b.url + "/api/auth/token", json={"email": "cluster-driver@example.com",
                                                        "password": "cluster-pass-1"}, timeout=10).json()
    api.headers["Authorization"] = f"Bearer {token['access_token']}"
    booking = api.post(b.url + "/api/bookings", json={"charger_id": "CL-1", "connector_id": 1}, timeout=10).json()
    booking_id = booking["id"]
    paid = api.post(b.url + "/api/payments/process", headers={"Idempotency-Key": "cluster-pay-1"}, timeout=10,
                    json={"booking_id": booking_id, "quota_kwh": 20, "payment_method": "card",
                          "payment_details": "4242 4242 4242 4242"})
    assert paid.status_code == 200, paid.text
    started = api.post(b.url + "/api/charging/start", json={"charger_id": "CL-1", "connector_id": 1}, timeout=20)
    assert started.status_code == 200 and started.json()["success"] is True, started.text
    charger.wait_status(1, "Charging", timeout=10)
    tx = charger.transaction_id(1)
    wait_until(lambda: db.session.get(Booking, booking_id).status == "CHARGING", 10)
    wait_until(lambda: (db.session.get(ChargingSession, tx).energy_wh or 0) > 0, 10)

    # Node A dies mid-session. The charger keeps charging, queues, reconnects to node B and replays.
    a.kill()
    wait_until(lambda: charger.state()["online"] is False or online_on("CL-1") == "node-b", 10)
    charger.stop_local(1)
    wait_until(lambda: online_on("CL-1") == "node-b", 20)
    stop = charger.wait_sent("StopTransaction", timeout=20)[0]
    session = wait_until(lambda: (s := db.session.get(ChargingSession, tx)) is not None and s.meter_stop and s, 20)
    assert session.meter_stop == stop["meterStop"] and session.energy_wh == stop["meterStop"] - session.meter_start
    charger.finish(1)
    done = wait_until(lambda: (bk := db.session.get(Booking, booking_id)).status == "COMPLETED" and bk, 20)
    assert done.amount_captured == session.cost > 0

    # Commands from this process (neither node) now reach the charger on node B: the route was replaced.
    # Node B runs two workers under one NODE_ID, and six more chargers give both of them sockets (each
    # worker listens once it holds one): every command must reach the worker holding CL-1's socket.
    neighbours = [sim.add(f"CL-{i}", b.ws_url, connectors=1, meter_interval=60) for i in range(2, 8)]
    assert all(n.connect() == "Accepted" for n in neighbours)
    assert all(commands.unlock("CL-1", 1) is True for _ in range(6))

    # Timers through the real RQ worker: a 3-second hold expires and the driver is told.
    hold = bookings.place_hold(driver, connector_id)
    hold_id = hold.id
    note = wait_until(lambda: db.session.execute(select(Notification).where(
        Notification.dedupe_key == f"expired-{hold_id}")).scalar_one_or_none(), 20)
    assert note.kind == "hold_expired"
    release_db()
    assert db.session.get(Booking, hold_id).status == "EXPIRED"

    # rq cron's offline detection: a silent charger goes offline.
    charger.go_silent()
    wait_until(lambda: not chargers.get_by_cp_id("CL-1").online, 20)
    assert any("silent" in e.detail for e in db.session.execute(select(ChargerEvent)).scalars())
