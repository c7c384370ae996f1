"""Who may open a charger's socket: the WebSocket handshake's decision (OCPP 1.6 security profile 1).

- A charger with a password (AuthorizationKey) needs it in HTTP Basic (`cp_id:password`); wrong or missing
  credentials are 401 and count as a failure, per charger id and per address. Past the limit both are 429
  for the rest of the window, right password or not: it slows guessing, and a charger already connected
  is not affected.
- A known charger without a password (one auto-registered moments ago whose key is not in place yet, or
  one staff keep without) may connect without credentials, but not while another socket holds it (409):
  nobody takes over an id that is connected.
- An unknown id is 401 unless auto-registration (or the Pending queue) lets unknown chargers in.

A charger's password hash is cached per process, with invalidation through Redis (below): a reconnect
reads no row.
"""
import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import redis
from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import object_session
from werkzeug.security import check_password_hash

from ...extensions import db
from ...models import Charger
from ...models.charger import GENERATED_KEY_METHOD
from ...timeutil import utcnow
from ..charging import writebehind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    headers: dict = field(default_factory=dict)


def check(cp_id: str, user: str | None, password: str | None, address: str | None) -> Refusal | None:
    """None when this socket may open, else why not (HTTP status, message, headers)."""
    cfg = current_app.config
    facts = writebehind.grouped("handshake", "HANDSHAKE_BATCH_MS", _read, _read_one, _Ask(cp_id, address))
    if facts.wait:
        return Refusal(429, "Too many failed attempts; try again later", {"Retry-After": str(facts.wait)})
    token, password_hash = facts.token, facts.cached_hash
    if password_hash is None:
        row = facts.row
        if row is None:
            if cfg["OCPP_AUTO_REGISTER"] or cfg["OCPP_UNKNOWN_STATUS"] == "Pending":
                return None
            return _unauthorized("Unknown charge point")
        if row.password_hash is None:
            if _held(row):
                return Refusal(409, "This charge point is connected; a second connection is refused")
            return None
        password_hash = row.password_hash
        _remember_hash(cp_id, token, password_hash)
    given = password if user == cp_id else None
    if given is not None and _password_ok(cp_id, password_hash, given):
        return None
    _throttle().failed(cp_id, address)
    return _unauthorized("Bad or missing HTTP Basic credentials")


# -- what a handshake needs, read for many at once -----------------------------------------------------
# A reconnect storm brings hundreds of handshakes at once: they share one Redis round trip (the throttle's
# counters and the credentials tokens) and one SELECT of the chargers' rows (HANDSHAKE_BATCH_MS; 0: each
# reads its own), instead of a round trip and a pool connection each.
@dataclass(frozen=True, slots=True)
class _Ask:
    cp_id: str
    address: str | None


@dataclass(frozen=True, slots=True)
class _Facts:
    wait: int  # seconds until this id and address may try again (0: now)
    token: object  # the charger's credentials token, `_UNKNOWN` without Redis
    cached_hash: str | None  # the password hash from this process's cache, valid under `token`
    row: object = None  # else the charger's row (None: unknown), unless `wait`


def _read(asks: list[_Ask]) -> list[_Facts]:
    throttled = _throttle().blocked_many([(a.cp_id, a.address) for a in asks])
    cached = [None if wait else _cached_hash(a.cp_id, token) for a, (wait, token) in zip(asks, throttled)]
    wanted = {a.cp_id for a, (wait, _), hit in zip(asks, throttled, cached) if not wait and hit is None}
    rows = {}
    if wanted:
        rows = {r.charge_point_id: r for r in db.session.execute(
            select(Charger.charge_point_id, Charger.password_hash, Charger.connection_id, Charger.last_seen,
                   Charger.heartbeat_interval).where(Charger.charge_point_id.in_(wanted)))}
    return [_Facts(wait, token, hit, rows.get(a.cp_id)) for a, (wait, token), hit in zip(asks, throttled, cached)]


def _read_one(ask: _Ask) -> _Facts:
    return _read([ask])[0]


# -- the handshake's row, cached per process ----------------------------------------------------------------
# A charger with a password is let in on its password hash alone, so that hash is kept here and a
# reconnect needs no database round trip. Every change that could change a handshake's answer (a
# password set, removed or provisioned, a charge point id changed, a charger deleted) writes a new
# random token for that charger to Redis after its commit, on whichever node; the token is read in the
# throttle's pipeline (no extra round trip) and an entry made under another token is read again. Without
# Redis (no way to hear of another process's change), with Redis unavailable, or for an entry older
# than CHARGER_AUTH_CACHE_SECONDS (a change whose token write failed), the row is read as before.
# Chargers without a password are never cached: their answer depends on the connection that holds them.
_UNKNOWN = object()  # no token could be read: do not use or fill the cache
_hashes: dict[str, tuple[object, str, float]] = {}  # cp_id -> (token, password hash, monotonic time stored)
_HASHES_MAX = 200_000
_CHANGED = "charger_auth_changed"


def _token_key(cp_id: str) -> str:
    return f"cw:ocpp-auth:token:{cp_id}"


def _cached_hash(cp_id: str, token) -> str | None:
    entry = _hashes.get(cp_id)
    if token is _UNKNOWN or entry is None or entry[0] != token:
        return None
    if time.monotonic() - entry[2] >= current_app.config["CHARGER_AUTH_CACHE_SECONDS"]:
        return None
    return entry[1]


def _remember_hash(cp_id: str, token, password_hash: str) -> None:
    if token is _UNKNOWN or current_app.config["CHARGER_AUTH_CACHE_SECONDS"] <= 0:
        return
    if len(_hashes) >= _HASHES_MAX:
        _hashes.clear()
    _hashes[cp_id] = (token, password_hash, time.monotonic())


def changed(cp_id: str, session=None) -> None:
    """This transaction changes what the handshake of `cp_id` decides: every node reads its row again once
    it commits. (Changes through the ORM are noticed by themselves; a Core UPDATE calls this.)"""
    (session or db.session()).info.setdefault(_CHANGED, set()).add(cp_id)


def _charger_updated(mapper, connection, target) -> None:
    state = inspect(target)
    moved = state.attrs.charge_point_id.history
    if moved.has_changes() or state.attrs.password_hash.history.has_changes():
        for cp_id in {target.charge_point_id, *(moved.deleted or ())}:
            if cp_id:
                changed(cp_id, state.session)


def _id_set(target, value, old, initiator) -> None:
    session = object_session(target)
    if isinstance(old, str) and old != value and session is not None:
        changed(old, session)  # the old id is free now: a cached entry for it must go


def _charger_deleted(mapper, connection, target) -> None:
    """Deleted or inserted: whatever a process cached for this id is stale."""
    state = inspect(target)
    if target.charge_point_id and state.session is not None:
        changed(target.charge_point_id, state.session)


def _after_commit(session) -> None:
    ids = session.info.pop(_CHANGED, None)
    if not ids:
        return
    for cp_id in ids:
        _hashes.pop(cp_id, None)
    if not has_app_context():
        return
    counters = _throttle().counters
    if counters._redis is None:
        return
    try:
        pipe = counters._redis.pipeline(transaction=False)
        for cp_id in ids:
            pipe.set(_token_key(cp_id), secrets.token_hex(8))
        pipe.execute()
    except redis.RedisError:
        log.warning("Could not tell the other nodes that %d chargers' credentials changed (Redis); their "
                    "cached entries expire after CHARGER_AUTH_CACHE_SECONDS", len(ids), exc_info=True)


def _after_rollback(session) -> None:
    session.info.pop(_CHANGED, None)


event.listen(Charger, "after_update", _charger_updated)
event.listen(Charger, "after_delete", _charger_deleted)
# A new charger under an id whose old row went without the ORM (a cascade from its station): a new token.
event.listen(Charger, "after_insert", _charger_deleted)
event.listen(Charger.charge_point_id, "set", _id_set, active_history=True)
event.listen(db.session, "after_commit", _after_commit)
event.listen(db.session, "after_soft_rollback", lambda session, previous: _after_rollback(session))


# -- passwords verified in this process --------------------------------------------------------------
# A staff-typed key's hash is slow on purpose (scrypt: ~50-95 ms of CPU; a generated key's is not, see
# models/charger.py), and a charger sends the same password at every reconnect: a reconnect storm would
# spend minutes of CPU re-deriving it. A password that matched a hash once is remembered as a keyed digest
# (a key only this process knows) next to that hash; the hash is read from the database at every handshake,
# so a changed or removed password (on any node) misses this cache and is checked the slow way. A wrong
# password never enters it.
_DIGEST_KEY = secrets.token_bytes(32)
_verified: dict[str, tuple[str, bytes]] = {}
_VERIFIED_MAX = 200_000


def _digest(password: str) -> bytes:
    return hmac.new(_DIGEST_KEY, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def _password_ok(cp_id: str, password_hash: str, given: str) -> bool:
    digest = _digest(given)
    known = _verified.get(cp_id)
    if known is not None and known[0] == password_hash:
        return hmac.compare_digest(known[1], digest)
    if password_hash.startswith(GENERATED_KEY_METHOD + "$"):  # fast: a native thread would cost more than it
        matched = check_password_hash(password_hash, given)
    else:
        matched = _off_the_loop(check_password_hash, password_hash, given)
    if not matched:
        return False
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[cp_id] = (password_hash, digest)
    return True


def _off_the_loop(fn, *args):
    """`fn(*args)` in gevent's pool of native threads when the process is gevent's (a gunicorn worker): a slow
    hash (scrypt releases the GIL) then runs on another core while this worker's other sockets go on, instead
    of stopping them all for ~50-95 ms. Elsewhere (the embedded server's threads), in this thread."""
    pool = _native_pool()
    return fn(*args) if pool is None else pool.apply(fn, args)


def _native_pool():
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return None
    return get_hub().threadpool if monkey.is_module_patched("threading") else None


def _unauthorized(message: str) -> Refusal:
    return Refusal(401, message, {"WWW-Authenticate": 'Basic realm="OCPP"'})


def _held(row) -> bool:
    """A socket owns the charger and it was heard from within the offline limit (a node that died without
    closing leaves an owner that goes stale)."""
    if row.connection_id is None or row.last_seen is None:
        return False
    limit = timedelta(seconds=2 * row.heartbeat_interval + current_app.config["OFFLINE_MARGIN_SECONDS"])
    return utcnow() - row.last_seen <= limit


# -- throttle ----------------------------------------------------------------------------------------
class _Counters:
    """Failures per key in fixed windows: Redis when configured (every node sees them), else this process."""

    def __init__(self, redis_url: str | None, timeout: float, max_connections: int = 50):
        # A bounded pool that waits for a free connection: redis-py's default pool raises
        # MaxConnectionsError past 100 handshakes at once (a reconnect storm), and then nothing is throttled.
        self._redis = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(
            redis_url, max_connections=max_connections, timeout=timeout, socket_timeout=timeout)) \
            if redis_url else None
        self._memory: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def count(self, key: str) -> tuple[int, int]:
        """(failures, seconds left in the window) for `key`."""
        return self.count_many([key])[0][0]

    def count_many(self, keys: list[str], token_keys: list[str] = ()) -> tuple[list[tuple[int, int]], list]:
        """`count` for each key, and the value at each of `token_keys` (`_UNKNOWN` without Redis): one Redis
        round trip."""
        if self._redis is not None:
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            for key in token_keys:
                pipe.get(key)
            answers = pipe.execute()
            counted = answers[:2 * len(keys)]
            return ([(int(value or 0), max(int(ttl), 1)) for value, ttl in zip(counted[::2], counted[1::2])],
                    answers[2 * len(keys):])
        with self._lock:
            out = []
            for key in keys:
                n, until = self._memory.get(key, (0, 0.0))
                left = until - time.monotonic()
                out.append((n, max(int(left) + 1, 1)) if left > 0 else (0, 0))
            return out, [_UNKNOWN] * len(token_keys)

    def add(self, key: str, window: int) -> None:
        if self._redis is not None:
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
            pipe.execute()
            return
        with self._lock:
            now = time.monotonic()
            n, until = self._memory.get(key, (0, 0.0))
            self._memory[key] = (n + 1, until) if until > now else (1, now + window)
            if len(self._memory) > 100_000:  # a flood of addresses: forget the expired ones
                self._memory = {k: v for k, v in self._memory.items() if v[1] > now}


class _Throttle:
    def __init__(self, counters: _Counters):
        self.counters = counters

    def _limits(self, cp_id: str, address: str | None):
        cfg = current_app.config
        yield f"cw:ocpp-auth:id:{cp_id}", cfg["OCPP_AUTH_MAX_FAILURES"]
        if address:
            yield f"cw:ocpp-auth:addr:{address}", cfg["OCPP_AUTH_IP_MAX_FAILURES"]

    def blocked_many(self, asks: list[tuple[str, str | None]]) -> list[tuple[int, object]]:
        """For each (charge point id, address): seconds until it may try again (0: now), and the charger's
        credentials token (`_UNKNOWN` without Redis or when Redis failed), all in one round trip."""
        try:
            limits = [list(self._limits(cp_id, address)) for cp_id, address in asks]
            counts, tokens = self.counters.count_many([k for each in limits for k, _ in each],
                                                      [_token_key(cp_id) for cp_id, _ in asks])
        except redis.RedisError:
            log.warning("Charger password throttle unavailable (Redis); not throttling", exc_info=True)
            return [(0, _UNKNOWN)] * len(asks)
        out, at = [], 0
        for each, token in zip(limits, tokens):
            mine, at = counts[at:at + len(each)], at + len(each)
            out.append((max((left for (_, limit), (n, left) in zip(each, mine) if n >= limit), default=0), token))
        return out

    def failed(self, cp_id: str, address: str | None) -> None:
        window = current_app.config["OCPP_AUTH_WINDOW_SECONDS"]
        log.warning("Bad charger credentials for %s from %s", cp_id, address)
        try:
            for key, _ in self._limits(cp_id, address):
                self.counters.add(key, window)
        except redis.RedisError:
            log.warning("Charger password throttle unavailable (Redis)", exc_info=True)


def _throttle() -> _Throttle:
    app = current_app
    throttle = app.extensions.get("charger_auth")
    if throttle is None:
        throttle = app.extensions["charger_auth"] = _Throttle(
            _Counters(app.config.get("REDIS_URL"), app.config["BUS_REDIS_TIMEOUT_SECONDS"],
                      int(app.config.get("REDIS_POOL_SIZE", 50))))
    return throttle
