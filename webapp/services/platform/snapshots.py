"""Short-lived snapshots of what every driver sees alike (station availability), cached per process.

Why a process-local cache when state belongs in the database: the station list and a station's connectors
are the same for every driver and every phone polls them every 5-10 s; computing them takes a few queries
and milliseconds of CPU, reading a snapshot takes microseconds. So:

- entries are immutable values (never ORM objects) computed from the database, never a source of truth;
- an entry lives at most `FRAGMENT_CACHE_SECONDS` (0 turns the cache off), so a change made anywhere
  (a StatusNotification, another node, the RQ worker) shows within that time;
- a commit in this process that changes a booking's status or times, a station or a tariff drops every
  entry at once, so a driver who just booked or cancelled sees it on the next poll. Charger and connector
  telemetry (status notifications, online/offline) relies on the TTL alone: on a node holding thousands of
  charger sockets it changes several times a second and would otherwise keep the cache empty.
"""
import time

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import object_session

from ...extensions import db
from ...models import Booking, Station, Tariff

#: Booking columns that decide whether a connector is booked (see availability.booked_now).
BOOKING_COLUMNS = ("status", "connector_id", "hold_expires_at", "arrive_by")
_STALE = "snapshots_stale"


class SnapshotCache:
    """{key: (expiry, value)} with a TTL, bounded in size; values must never be mutated by readers.

    One request refreshes an expired entry; requests arriving meanwhile get the previous value instead of
    all computing the same thing (so a value is at most `seconds` plus one refresh old).
    """

    def __init__(self, seconds: float, max_entries: int = 4096):
        self.seconds = seconds
        self.max_entries = max_entries
        self.generation = 0
        self._entries: dict = {}
        self._refreshing: set = set()
        self.clock = time.monotonic  # tests move it

    def get(self, key, compute):
        """The fresh value for `key`, or `compute()` stored for the next `seconds`."""
        if self.seconds <= 0:
            return compute()
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and (entry[0] > now or (key in self._refreshing and entry[0] + self.seconds > now)):
            return entry[1]
        generation = self.generation
        self._refreshing.add(key)
        try:
            value = compute()
        finally:
            self._refreshing.discard(key)
        if generation == self.generation:  # a commit during compute() may have made this value stale
            if len(self._entries) >= self.max_entries:
                self._prune(now)
            self._entries[key] = (now + self.seconds, value)
        return value

    def recent(self, key) -> bool:
        """Whether `key` was computed within the last two TTLs (so someone keeps asking for it)."""
        entry = self._entries.get(key)
        return entry is not None and entry[0] + self.seconds > self.clock()

    def peek(self, key):
        """The fresh value for `key`, or None (computes nothing)."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > self.clock() else None

    def clear(self) -> None:
        self._entries = {}
        self.generation += 1

    def _prune(self, now: float) -> None:
        self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
        if len(self._entries) >= self.max_entries:
            self._entries = {}


def init_app(app) -> None:
    app.extensions["snapshots"] = SnapshotCache(float(app.config["FRAGMENT_CACHE_SECONDS"]))


def cache() -> SnapshotCache:
    """The current app's cache."""
    return current_app.extensions["snapshots"]


# -- dropping the cache when this process commits a change drivers must see at once ----------------------------
def _mark(target) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_STALE] = True


def _booking_changed(mapper, connection, target) -> None:
    state = inspect(target)
    if any(state.attrs[name].history.has_changes() for name in BOOKING_COLUMNS):
        _mark(target)


def _any_change(mapper, connection, target) -> None:
    _mark(target)


def _after_commit(session) -> None:
    if session.info.pop(_STALE, False) and has_app_context() and "snapshots" in current_app.extensions:
        cache().clear()


def _listen() -> None:
    event.listen(Booking, "after_insert", _any_change)
    event.listen(Booking, "after_update", _booking_changed)
    event.listen(Booking, "after_delete", _any_change)
    for model in (Station, Tariff):
        for name in ("after_insert", "after_update", "after_delete"):
            event.listen(model, name, _any_change)
    # A flag left by a rolled-back flush costs one needless clear at the next commit: not worth an event.
    event.listen(db.session, "after_commit", _after_commit)


_listen()
