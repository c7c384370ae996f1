"""The command bus: deliver an OCPP CALL to whichever process holds the charger's socket.

Embedded: the sockets are in this process (a dict). With REDIS_URL: a key `cw:route:<cp>` names the
process holding the charger, `<node>:<pid>` (refreshed while connected, expiring when the process dies),
each process listens on `cw:node:<node>:<pid>` for requests and pushes the answer to
`cw:reply:<request id>`. The database records only the node's name (NODE_ID).
"""
import json
import logging
import os
import threading
import time
import uuid
from typing import Protocol

from flask import Flask, current_app
from redis.exceptions import RedisError

from ..errors import ChargerNotConnected, CommandFailed

log = logging.getLogger(__name__)

# Refresh a route only while it still names this worker (or has expired), in one round trip for a chunk of
# chargers; returns the 1-based positions of the routes another worker now owns.
_REFRESH = """
local lost = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call('get', key)
  if owner == ARGV[1] then redis.call('expire', key, ARGV[2])
  elseif not owner then redis.call('set', key, ARGV[1], 'EX', ARGV[2])
  else lost[#lost + 1] = i end
end
return lost
"""
_DELETE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Connection(Protocol):
    cp_id: str

    def call(self, action: str, payload: dict, timeout: float) -> dict: ...


class LocalBus:
    """Connections held by this process."""

    def __init__(self, app: Flask):
        self.node_id = app.config["NODE_ID"]
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()

    def register(self, conn: Connection) -> Connection | None:
        """Hold `conn` for its charger; returns the connection it replaced, if any."""
        with self._lock:
            old = self._connections.get(conn.cp_id)
            self._connections[conn.cp_id] = conn
        return old

    def unregister(self, conn: Connection) -> bool:
        """Let go of `conn`; False when a newer connection of the charger had already replaced it."""
        with self._lock:
            if self._connections.get(conn.cp_id) is conn:
                del self._connections[conn.cp_id]
                return True
        return False

    def local(self, cp_id: str) -> Connection | None:
        return self._connections.get(cp_id)

    def connected_ids(self) -> list[str]:
        return sorted(self._connections)

    def call(self, cp_id: str, action: str, payload: dict, timeout: float) -> dict:
        conn = self.local(cp_id)
        if conn is None:
            raise ChargerNotConnected(f"Charger {cp_id} is not connected")
        return conn.call(action, payload, timeout)

    def start(self) -> None:
        pass


class RedisBus(LocalBus):
    """Routes calls across nodes through Redis."""

    def __init__(self, app: Flask):
        super().__init__(app)
        from redis import BlockingConnectionPool, Redis

        # The bus's own socket timeout (not redis-py's default): every blocking wait below is cut into
        # pieces shorter than it, so a charger that takes its time never looks like a dead Redis.
        self.redis_timeout = float(app.config.get("BUS_REDIS_TIMEOUT_SECONDS", 5))
        # Thousands of sockets share a bounded pool; a caller waits for a connection instead of failing.
        pool = BlockingConnectionPool.from_url(app.config["REDIS_URL"], decode_responses=True,
                                               max_connections=int(app.config.get("REDIS_POOL_SIZE", 50)),
                                               timeout=10, socket_timeout=self.redis_timeout,
                                               socket_connect_timeout=min(self.redis_timeout, 2.0))
        self.redis = Redis(connection_pool=pool)
        self._refresh_script = self.redis.register_script(_REFRESH)
        self.app = app
        self.route_ttl = int(app.config["BUS_ROUTE_TTL_SECONDS"])
        self._listener: threading.Thread | None = None
        self._refresher: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._routes = _RouteWriter(self)

    @property
    def address(self) -> str:
        """Where commands for this process's chargers go: the node's name and this worker's pid. Every
        gunicorn worker of a node holds its own sockets, so a route must name the worker, not the node."""
        return f"{self.node_id}:{_process_id()}"

    def register(self, conn: Connection) -> Connection | None:
        self.start()  # a node listens for commands as soon as it holds a charger
        old = super().register(conn)
        self._routes.write(conn.cp_id)
        return old

    def unregister(self, conn: Connection) -> bool:
        if not super().unregister(conn):
            return False  # a newer socket of the charger, in this worker, owns the route now
        try:
            # Only delete the route if it still points here (the charger may have moved to another worker).
            self.redis.eval(_DELETE, 1, f"cw:route:{conn.cp_id}", self.address)
        except RedisError:
            log.warning("Could not drop the route of %s; it expires by itself", conn.cp_id, exc_info=True)
        return True

    def _refresh_routes(self) -> None:
        """Every third of the TTL: refresh the routes of every charger held here."""
        while True:
            time.sleep(max(1.0, self.route_ttl / 3))
            try:
                self.refresh_routes()
            except RedisError:
                log.warning("Refreshing routes failed; retrying next round", exc_info=True)

    def refresh_routes(self) -> list[str]:
        """Refresh (compare-and-set) the routes of the chargers held here; a route another worker set on
        the charger's reconnect stays, and the socket held here, half-open by then, is closed. Returns the
        chargers that moved away."""
        ids, moved = self.connected_ids(), []
        for start in range(0, len(ids), 200):
            chunk = ids[start:start + 200]
            lost = self._refresh_script(keys=[f"cw:route:{cp_id}" for cp_id in chunk],
                                        args=[self.address, self.route_ttl])
            moved += [chunk[i - 1] for i in lost]
            time.sleep(0.005)  # small chunks: under gevent, let the sockets be served in between
        for cp_id in moved:
            conn = self.local(cp_id)
            if conn is not None:
                log.info("%s reconnected to another worker; closing the socket held here", cp_id)
                conn.close("replaced by a newer connection on another node")
        return moved

    def call(self, cp_id: str, action: str, payload: dict, timeout: float) -> dict:
        if self.local(cp_id) is not None:
            return super().call(cp_id, action, payload, timeout)
        try:
            return self._call_remote(cp_id, action, payload, timeout)
        except RedisError as exc:
            # Redis trouble is the same to the driver as a node that does not answer: never a 500.
            log.warning("Bus call %s to %s failed in Redis", action, cp_id, exc_info=True)
            raise CommandFailed(f"Could not reach the node holding {cp_id} ({type(exc).__name__})")

    def _call_remote(self, cp_id: str, action: str, payload: dict, timeout: float) -> dict:
        node = self.redis.get(f"cw:route:{cp_id}")
        if node is None:
            raise ChargerNotConnected(f"Charger {cp_id} is not connected")
        request_id = uuid.uuid4().hex
        message = json.dumps({"id": request_id, "cp_id": cp_id, "action": action, "payload": payload,
                              "timeout": timeout})
        if self.redis.publish(f"cw:node:{node}", message) == 0:
            raise CommandFailed(f"Charger {cp_id} is routed to {node}, which is not listening")
        reply = self._wait_reply(f"cw:reply:{request_id}", timeout + 2)
        if reply is None:
            raise CommandFailed(f"No answer from {cp_id} within {timeout:.0f} s")
        data = json.loads(reply)
        if "error" in data:
            raise CommandFailed(data["error"])
        return data["result"]

    def _wait_reply(self, key: str, seconds: float) -> str | None:
        """BLPOP for up to `seconds`, in waits shorter than the socket timeout (a longer BLPOP would end
        in a socket TimeoutError while Redis is fine and the charger is still answering)."""
        deadline = time.monotonic() + seconds
        step = max(0.1, self.redis_timeout / 2)
        while (left := deadline - time.monotonic()) > 0:
            reply = self.redis.blpop([key], timeout=min(step, max(left, 0.01)))
            if reply is not None:
                return reply[1]
        return None

    def start(self) -> None:
        with self._start_lock:
            if self._listener is None:
                # Subscribe before returning, so a command routed here right away is heard.
                pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(f"cw:node:{self.address}")
                self._listener = threading.Thread(target=self._listen, args=(pubsub,), name="chargeway-bus",
                                                  daemon=True)
                self._listener.start()
                self._refresher = threading.Thread(target=self._refresh_routes, name="chargeway-routes",
                                                   daemon=True)
                self._refresher.start()

    def _listen(self, pubsub) -> None:
        for message in pubsub.listen():
            try:
                request = json.loads(message["data"])
            except (TypeError, ValueError):
                continue
            threading.Thread(target=self._serve, args=(request,), daemon=True).start()

    def _serve(self, request: dict) -> None:
        with self.app.app_context():
            self._answer(request)

    def _answer(self, request: dict) -> None:
        try:
            result = {"result": super().call(request["cp_id"], request["action"], request["payload"],
                                             float(request["timeout"]))}
        except CommandFailed as exc:
            result = {"error": exc.message}
        except Exception as exc:  # pragma: no cover - reported to the caller, logged here
            log.error("Bus request %s failed", request.get("id"), exc_info=True)
            result = {"error": f"{type(exc).__name__}: {exc}"}
        key = f"cw:reply:{request['id']}"
        try:
            self.redis.pipeline(transaction=False).rpush(key, json.dumps(result)).expire(key, 60).execute()
        except RedisError:
            log.warning("Could not deliver the answer to bus request %s", request.get("id"), exc_info=True)


def _process_id() -> int:
    return os.getpid()


def init_app(app: Flask) -> None:
    bus = RedisBus(app) if app.config.get("REDIS_URL") else LocalBus(app)
    app.extensions["chargeway_bus"] = bus


def get() -> LocalBus:
    return current_app.extensions["chargeway_bus"]


def call(cp_id: str, action: str, payload: dict, timeout: float | None = None) -> dict:
    """Send a CALL to a charger wherever it is connected and return its CALLRESULT payload."""
    return get().call(cp_id, action, payload, timeout or current_app.config["OCPP_CALL_TIMEOUT"])


class _RouteWriter:
    """The routes of sockets opening at once (a reconnect storm), written in pipelines: each caller waits
    for the batch that carries its route, so the route exists once `register` returns, as with one SET
    each; a batch is whatever arrived while the previous one was written, so an idle node adds no wait."""

    def __init__(self, bus: RedisBus):
        self.bus = bus
        self._cond = threading.Condition()
        self._pending: list[tuple[str, threading.Event]] = []
        self._thread: threading.Thread | None = None

    def write(self, cp_id: str) -> None:
        done = threading.Event()
        with self._cond:
            self._pending.append((cp_id, done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="chargeway-route-writer", daemon=True)
                self._thread.start()
            self._cond.notify()
        if not done.wait(self.bus.redis_timeout + 1):
            log.warning("Route of %s not written within %.0f s; the next refresh retries", cp_id,
                        self.bus.redis_timeout + 1)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                batch, self._pending = self._pending, []
            try:
                for start in range(0, len(batch), 500):
                    pipe = self.bus.redis.pipeline(transaction=False)
                    for cp_id, _ in batch[start:start + 500]:
                        pipe.set(f"cw:route:{cp_id}", self.bus.address, ex=self.bus.route_ttl)
                    pipe.execute()
            except RedisError:
                # Route bookkeeping must never cost a charger its socket: the refresher retries shortly.
                log.warning("Could not record the routes of %d chargers; the next refresh retries", len(batch),
                            exc_info=True)
            finally:
                for _, done in batch:
                    done.set()
