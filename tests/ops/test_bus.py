"""The Redis command bus keeps charger sockets alive whatever Redis does, and refreshes routes per node."""
import os
import time

import pytest

from tests.conftest import REDIS_URL, _reachable, make_config, need
from webapp import create_app


class FakeConnection:
    def __init__(self, cp_id):
        self.cp_id = cp_id


def bus_for(redis_url, **overrides):
    app = create_app(make_config("sqlite://", REDIS_URL=redis_url, **overrides))
    return app.extensions["chargeway_bus"]


def test_redis_down_never_costs_a_charger_its_socket():
    bus = bus_for("redis://127.0.0.1:9/0")  # nothing listens there
    bus.start = lambda: None  # no listener thread: there is no Redis to listen to
    conn = FakeConnection("CP-NO-REDIS")
    bus.register(conn)  # logs, does not raise
    assert bus.local("CP-NO-REDIS") is conn
    bus.unregister(conn)
    assert bus.local("CP-NO-REDIS") is None


def test_routes_are_refreshed_for_the_whole_node():
    if not _reachable("127.0.0.1", 6379):
        need("Redis on 127.0.0.1:6379")
    bus = bus_for(REDIS_URL, BUS_ROUTE_TTL_SECONDS=3, NODE_ID="node-refresh-test")
    conns = [FakeConnection(f"CP-ROUTE-{i}") for i in range(3)]
    for conn in conns:
        bus.register(conn)
    address = f"node-refresh-test:{os.getpid()}"
    assert bus.redis.get("cw:route:CP-ROUTE-0") == address
    bus.redis.delete("cw:route:CP-ROUTE-1")  # as if it had expired
    deadline = time.monotonic() + 5
    while bus.redis.get("cw:route:CP-ROUTE-1") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert bus.redis.get("cw:route:CP-ROUTE-1") == address
    assert 0 < bus.redis.ttl("cw:route:CP-ROUTE-2") <= 3
    for conn in conns:
        bus.unregister(conn)
    assert bus.redis.get("cw:route:CP-ROUTE-0") is None


class AnsweringConnection(FakeConnection):
    def call(self, action, payload, timeout):
        return {"status": "Accepted", "answered_by": self.cp_id}


def test_two_workers_of_one_node_each_get_only_their_own_chargers_commands(monkeypatch):
    """gunicorn runs several workers with the same NODE_ID: a command must reach the worker holding
    the socket, and the other worker must neither answer it nor drop the route when its own socket goes."""
    if not _reachable("127.0.0.1", 6379):
        need("Redis on 127.0.0.1:6379")
    from webapp.services.platform import bus as bus_module

    url = REDIS_URL
    current_pid = [1001]
    monkeypatch.setattr(bus_module, "_process_id", lambda: current_pid[0])
    holder = bus_for(url, NODE_ID="node-shared")
    holder.register(AnsweringConnection("CP-WORKER-1"))
    current_pid[0] = 1002
    other = bus_for(url, NODE_ID="node-shared")
    stale = FakeConnection("CP-WORKER-1")  # the charger's earlier socket, on the other worker
    other.register(stale)
    current_pid[0] = 1001
    holder.register(AnsweringConnection("CP-WORKER-1"))  # the charger reconnected to the first worker
    current_pid[0] = 1002
    other.unregister(stale)  # must not delete the first worker's route
    assert other.redis.get("cw:route:CP-WORKER-1") == "node-shared:1001"
    current_pid[0] = 2000
    client = bus_for(url, NODE_ID="node-client")
    for _ in range(5):
        assert client.call("CP-WORKER-1", "UnlockConnector", {"connectorId": 1}, 5)["status"] == "Accepted"


def redis_bus(**overrides):
    """A Redis bus on the test run's own database (TEST_REDIS_URL)."""
    if not _reachable("127.0.0.1", 6379):
        need("Redis on 127.0.0.1:6379")
    return bus_for(REDIS_URL, **overrides)


class SlowConnection(FakeConnection):
    """A charger that takes `delay` seconds to answer, as real ones do after a RemoteStart."""

    def __init__(self, cp_id, delay):
        super().__init__(cp_id)
        self.delay = delay

    def call(self, action, payload, timeout):
        time.sleep(self.delay)
        return {"status": "Accepted"}

    def close(self, reason):
        self.closed = reason


def test_an_answer_slower_than_the_redis_socket_timeout_reaches_the_caller():
    """redis-py's default socket timeout is 5 s; the bus waits OCPP_CALL_TIMEOUT + 2 s for the reply."""
    holder = redis_bus(NODE_ID="node-slow-holder")
    holder.register(SlowConnection("CP-SLOW-1", 6))
    client = redis_bus(NODE_ID="node-slow-client")
    try:
        assert client.call("CP-SLOW-1", "RemoteStartTransaction", {"idTag": "T"}, 8) == {"status": "Accepted"}
    finally:
        holder.redis.delete("cw:route:CP-SLOW-1")


def test_redis_failing_mid_command_is_the_domain_error_not_a_crash():
    from webapp.services.errors import CommandFailed

    client = bus_for("redis://127.0.0.1:9/0")  # nothing listens there
    with pytest.raises(CommandFailed, match="Could not reach the node"):
        client.call("CP-ANY", "UnlockConnector", {"connectorId": 1}, 5)


def test_a_stale_socket_neither_refreshes_nor_deletes_the_route_of_the_newer_one():
    """Node A still holds a half-open socket; the charger reconnected to node B, which set the route."""
    old_node = redis_bus(NODE_ID="node-old", BUS_ROUTE_TTL_SECONDS=30)
    new_node = redis_bus(NODE_ID="node-new", BUS_ROUTE_TTL_SECONDS=30)
    stale, fresh = SlowConnection("CP-MOVED-1", 0), SlowConnection("CP-MOVED-1", 0)
    old_node.register(stale)
    new_node.register(fresh)
    new_route = f"node-new:{os.getpid()}"
    try:
        assert old_node.redis.get("cw:route:CP-MOVED-1") == new_route
        assert old_node.refresh_routes() == ["CP-MOVED-1"]  # the refresh finds the route taken ...
        assert old_node.redis.get("cw:route:CP-MOVED-1") == new_route  # ... and leaves it
        assert stale.closed.startswith("replaced")  # the half-open socket is let go at once
        old_node.unregister(stale)
        assert old_node.redis.get("cw:route:CP-MOVED-1") == new_route
        old_node.redis.delete("cw:route:CP-MOVED-1")  # expired: the holder restores it on its next refresh
        assert new_node.refresh_routes() == []
        assert new_node.redis.get("cw:route:CP-MOVED-1") == new_route
    finally:
        new_node.redis.delete("cw:route:CP-MOVED-1")
