"""Write-behind batching for the OCPP hot path: many small writes become one transaction.

Last-seen refreshes and the OCPP message log are buffered and flushed every few seconds (losing them in
a crash costs nothing that matters: presence is re-established by the next frame). MeterValues and
StatusNotifications use group commit instead: the handler waits until its batch is committed before the
charger gets its answer, so an acknowledged message is always persisted.
"""
import logging
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy import bindparam, or_, select, update

from ... import metrics
from ...extensions import db
from ...models import Charger, OcppMessage
from ...textutil import clip
from ...timeutil import utcnow
from ..platform import redaction
from ..fleet import chargers, presence
from ..platform import bulk
from . import metering

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    args: object  # what the flush function takes per item
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    result: object = None


class Flusher:
    """Collects items and hands them to `flush(items)` in batches, from one background thread.

    At most WRITEBEHIND_MAX_PENDING items wait; `add` blocks beyond that. A plain flusher writes what
    arrived in each `interval`. A group-commit flusher (`group_commit=True`)
    waits for the first item, gathers for at most `interval`, flushes, and then flushes whatever arrived
    during that flush at once: under load the batch is what piles up while the previous one is written,
    so waiting adds no latency, and when idle the thread sleeps.
    """

    def __init__(self, app: Flask, name: str, interval: float, flush, max_items: int = 500,
                 group_commit: bool = False):
        self.app, self.name, self.interval, self.flush, self.max_items = app, name, interval, flush, max_items
        self.bound = max(1, app.config["WRITEBEHIND_MAX_PENDING"])
        self.group_commit = group_commit
        self._items: list = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._writing = 0  # batches taken from `_items` and not yet written

    def add(self, item) -> None:
        """Queue an item; while `bound` items are already waiting, block until the flush makes room (push
        back: the caller, a charger's socket, is answered late rather than its data dropped)."""
        with self._cond:
            waited = 0.0
            while len(self._items) >= self.bound:
                self._cond.notify_all()  # the flusher: a full queue is worth a batch now
                self._cond.wait(5.0)
                waited += 5.0
                if waited % 30 == 0 and len(self._items) >= self.bound:
                    log.warning("%s queue full (%d items) for %.0f s", self.name, len(self._items), waited)
            self._items.append(item)
            metrics.queue_depth(self.name, len(self._items))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=f"chargeway-{self.name}", daemon=True)
                self._thread.start()
            if len(self._items) >= self.max_items or (self.group_commit and len(self._items) == 1):
                self._cond.notify_all()

    def _loop(self) -> None:
        backlog = False
        while True:
            with self._cond:
                if not backlog:
                    while self.group_commit and not self._items:
                        self._cond.wait()
                    deadline = time.monotonic() + self.interval
                    while len(self._items) < self.max_items and (left := deadline - time.monotonic()) > 0:
                        self._cond.wait(left)
                items, self._items = self._items, []
                metrics.queue_depth(self.name, 0)
                self._writing += 1
                self._cond.notify_all()  # room again for callers blocked in add()
            try:
                for start in range(0, len(items), self.max_items):
                    # Bounded batches, with a pause between them: under gevent a long flush would stall sockets.
                    self.run(items[start:start + self.max_items])
                    time.sleep(0.001)
            finally:
                with self._cond:
                    self._writing -= 1
                    self._cond.notify_all()
            with self._cond:
                backlog = self.group_commit and bool(self._items)

    def requeue(self, items) -> None:
        """Put items back for the next batch, from the flush itself: never blocks (`add` would wait for room
        that only this thread makes)."""
        with self._cond:
            self._items.extend(items)
            metrics.queue_depth(self.name, len(self._items))

    def drain(self, timeout: float = 10.0) -> int:
        """Write everything buffered now, in this thread, and wait for a batch the background thread is
        writing (shutdown: nothing buffered may be lost). Returns how many items this call wrote."""
        with self._cond:
            items, self._items = self._items, []
            metrics.queue_depth(self.name, 0)
        for start in range(0, len(items), self.max_items):
            self.run(items[start:start + self.max_items])
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._writing and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
        return len(items)

    def run(self, items: list) -> None:
        with self.app.app_context():
            start = time.perf_counter()
            try:
                self.flush(items)
                metrics.flush_time(self.name, time.perf_counter() - start)
            except Exception:
                log.error("%s flush of %d items failed", self.name, len(items), exc_info=True)
                db.session.rollback()
            finally:
                db.session.remove()


# -- last seen ------------------------------------------------------------------------------------------
def _flush_presence(items: list[tuple[str, object, str, bool]], requeue=None) -> None:
    """Write the newest last seen per charger (never moving it back), and bring back online a charger
    marked silent whose *same* booted socket spoke again: an item buffered for a socket that has closed
    or been replaced since must not resurrect it (the conditional UPDATE in `chargers.heard_again`).

    With `requeue` (the batched path), chargers whose row another transaction holds (a boot or socket
    batch) are skipped and handed to `requeue` for the next batch: this write never waits for a row lock,
    so it cannot deadlock with those batches, which lock the same rows in another order."""
    if requeue is not None:
        wanted = {item[0] for item in items}
        free = set(db.session.execute(select(Charger.charge_point_id).where(Charger.charge_point_id.in_(wanted))
                                      .with_for_update(skip_locked=True)).scalars())
        held = wanted - free
        if held:  # locked, or unknown (a charger not registered yet: dropped, as the UPDATE would drop it)
            held = set(db.session.execute(select(Charger.charge_point_id)  # a plain read waits for no lock
                                          .where(Charger.charge_point_id.in_(held))).scalars())
        if held:
            newest = {}  # per socket, its latest sign of life is all the next batch needs
            for item in items:
                key = (item[0], item[2])
                if item[0] in held and (key not in newest or item[1] > newest[key][1]):
                    newest[key] = item
            requeue(list(newest.values()))
            items = [item for item in items if item[0] in free]
        if not items:
            db.session.commit()
            return
    latest: dict[str, object] = {}
    sockets: dict[tuple[str, str], bool] = {}
    for cp_id, when, connection_id, booted in items:
        latest[cp_id] = max(when, latest.get(cp_id, when))
        sockets[(cp_id, connection_id)] = booted
    table = Charger.__table__  # Core executemany: one statement, many rows
    db.session.connection().execute(
        update(table).where(table.c.charge_point_id == bindparam("cp"),
                            or_(table.c.last_seen.is_(None), table.c.last_seen < bindparam("ts")))
        .values(last_seen=bindparam("ts")),
        [{"cp": cp, "ts": when} for cp, when in latest.items()])
    silent = set(db.session.execute(select(Charger.charge_point_id).where(
        Charger.online.is_(False), Charger.charge_point_id.in_(list(latest)))).scalars())
    for (cp_id, connection_id), booted in sockets.items():
        if booted and cp_id in silent:
            chargers.heard_again(cp_id, connection_id)
    db.session.commit()


def touch(cp_id: str, connection_id: str, booted: bool) -> None:
    """Refresh a charger's last seen from the socket `connection_id` (`booted`: an accepted BootNotification
    came on it): at once when LAST_SEEN_WRITE_SECONDS is 0, else in the next batch."""
    item = (cp_id, utcnow(), connection_id, booted)
    if current_app.config["LAST_SEEN_WRITE_SECONDS"] <= 0:
        _flush_presence([item])
        return
    _flusher("presence", current_app.config["LAST_SEEN_WRITE_SECONDS"], _flush_presence_batch).add(item)


def _flush_presence_batch(items) -> None:
    _flush_presence(items, requeue=current_app.extensions["chargeway_flushers"]["presence"].requeue)


# -- the OCPP message log --------------------------------------------------------------------------------
#: A log row as `log_exchange` queues it: a tuple in this order (the COPY's columns).
LOG_COLUMNS = ("charger_id", "direction", "action", "unique_id", "payload", "answer", "created_at")


def _flush_log(rows: list[tuple]) -> None:
    """Insert a batch of log rows; when the database refuses it, row by row, dropping only the rows it
    refuses (anything log_exchange could not foresee)."""
    try:  # trimmed by the retention job (services/platform/retention.py), not here
        bulk.append(OcppMessage.__table__, LOG_COLUMNS, rows)
        db.session.commit()
        return
    except Exception:
        db.session.rollback()
        if len(rows) == 1:
            raise
        log.warning("OCPP log batch of %d rows refused; inserting them one by one", len(rows), exc_info=True)
    dropped = 0
    for row in rows:
        try:
            bulk.insert(OcppMessage.__table__, [dict(zip(LOG_COLUMNS, row))])
            db.session.commit()
        except Exception:
            db.session.rollback()
            dropped += 1
            log.warning("OCPP log row of charger %s dropped: %r", row[0], row, exc_info=True)
    if dropped:
        log.error("OCPP log: %d of %d rows dropped", dropped, len(rows))


def log_exchange(charger_id: int, direction: str, action: str | None, unique_id: str | None, text: str,
                 answer: str | None = None) -> None:
    """Log a CALL (`direction`: "in" the charger sent it, "out" we did) and its answer as one row of the
    charger's OCPP log, or, with no answer, a frame that never parsed; batched unless the interval is 0."""
    # Cut to the columns and cleaned: one frame the database cannot store must not fail its whole batch.
    _queue_log((charger_id, direction, _storable(action, 48), _storable(unique_id, 64),
                _storable(redaction.frame(action, text), 4000),
                None if answer is None else _storable(redaction.frame(action, answer), 4000), utcnow()))


def log_clean_exchange(charger_id: int, action: str, unique_id: str, incoming: str, outgoing: str) -> None:
    """`log_exchange` of a charger's CALL and our answer whose texts are known to need no redaction or
    cleaning (short printable ASCII with no secret key: a Heartbeat); the same row, without the checks."""
    if len(incoming) > 4000 or len(outgoing) > 4000:
        log_exchange(charger_id, "in", action, unique_id, incoming, outgoing)
        return
    _queue_log((charger_id, "in", action, unique_id, incoming, outgoing, utcnow()))


def _queue_log(row: tuple) -> None:
    interval = current_app.config["OCPP_LOG_FLUSH_SECONDS"]
    if interval <= 0:
        _flush_log([row])
        return
    _flusher("ocpp-log", interval, _flush_log, max_items=2000).add(row)


def _storable(text: str | None, length: int) -> str | None:
    """`clip`, without its calls for the usual text (ASCII, no NUL): two of them per logged frame."""
    if text is None:
        return None
    text = text[:length]
    return text if text.isascii() and "\x00" not in text else clip(text, length)


# -- group commit: MeterValues, StatusNotification ---------------------------------------------------------
def _flush_group(record, redo_one, batch: list[_Pending], before_redo=None) -> None:
    """`record` every item's args in one transaction (it returns each item's result); when it fails, each
    item alone with `redo_one`, so one bad item fails only itself. Every waiting handler is released, with
    its item's result or error."""
    try:
        results = record([item.args for item in batch])
        db.session.commit()
        for item, result in zip(batch, results or ()):
            item.result = result
    except Exception:
        db.session.rollback()
        if before_redo is not None:
            before_redo()
        for item in batch:
            try:
                item.result = redo_one(item.args)
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                item.error = exc
    for item in batch:
        item.done.set()


class GroupCommitTimeout(TimeoutError):
    """A handler stopped waiting for its group commit; `item.done` is set once its batch is written after all."""

    def __init__(self, name: str, timeout: float, item: _Pending):
        super().__init__(f"{name} batch not committed within {timeout:g} s")
        self.item = item


def batched(name: str, setting: str, args, flush, direct):
    """Queue `args` for the `name` group commit (or group read: `flush` is handed the batch of `_Pending`
    items and sets each one's result or error) and return its result once its batch is done (raising its
    error); `direct(args)` in the caller's own transaction when the `setting` window is 0."""
    window = current_app.config[setting] / 1000
    if window <= 0:
        return direct(args)
    item = _Pending(args)
    _flusher(name, window, flush, max_items=200, group_commit=True).add(item)
    timeout = current_app.config["GROUP_COMMIT_TIMEOUT_SECONDS"]
    if not item.done.wait(timeout):
        raise GroupCommitTimeout(name, timeout, item)
    if item.error is not None:
        raise item.error
    return item.result


def _flush_meter_values(batch: list[_Pending]) -> None:
    _flush_group(metering.record, lambda reading: metering.record([reading]), batch, metering.forget_connectors)


def meter_values(cp_id: str, connector_id: int, transaction_id: int | None, meter_value: list[dict]) -> None:
    """Persist MeterValues, sharing one transaction with the others arriving now; returns once committed."""
    batched("meter-values", "METER_BATCH_MS", metering.Reading(cp_id, connector_id, transaction_id, meter_value),
            _flush_meter_values, lambda reading: metering.record([reading]))


def _flush_boots(batch: list[_Pending]) -> None:
    _flush_group(presence.record_boots, presence.boot_one, batch)


def boot(item: presence.Boot) -> tuple[str, int]:
    """Record a BootNotification with the others arriving now (an accepted charger online through its
    socket); (registration status, heartbeat interval) once committed."""
    return batched("boot", "STATUS_BATCH_MS", item, _flush_boots, presence.boot_one)


def _status_alone(item: presence.Status) -> None:
    chargers.status_notification(item.cp_id, item.connector_id, item.status, item.error_code, item.timestamp,
                                 item.info, item.vendor_error_code, item.connection_id)
    return None


def _flush_statuses(batch: list[_Pending]) -> None:
    _flush_group(presence.record_statuses, _status_alone, batch)


def status_notification(item: presence.Status) -> None:
    """Record a StatusNotification, sharing one transaction (and a few set-based statements) with the others
    arriving now (a reconnect storm: every charger sends one per connector); returns once committed."""
    item.arrived = item.arrived or utcnow()
    batched("status", "STATUS_BATCH_MS", item, _flush_statuses, _status_alone)


def grouped(name: str, setting: str, record, redo_one, item):
    """`item` through the `name` batch of `record` (every item's args at once, in one transaction that is
    committed; a read-only batch commits nothing), each item alone through `redo_one` when the batch fails;
    the `setting` window in ms, 0: `redo_one(item)` in the caller's own transaction. The item's result."""
    return batched(name, setting, item, lambda batch: _flush_group(record, redo_one, batch), redo_one)


def connected(item: presence.Connect) -> tuple[int, str] | None:
    """A socket opened: it owns its charger (offline until it boots), sharing one transaction with the
    others opening now (a reconnect storm); the charger's (id, registration status), once committed."""
    return grouped("connect", "STATUS_BATCH_MS", presence.record_connects,
                     lambda i: chargers.connected(i.cp_id, i.connection_id, i.node_id), item)


def disconnected(item: presence.Disconnect) -> bool:
    """A socket closed: its charger offline (unless a newer socket owns it), sharing one transaction with
    the others closing now (a node's sockets all close at once: one pool connection, not one each);
    whether it released the charger, once committed."""
    return grouped("disconnect", "STATUS_BATCH_MS", presence.record_disconnects,
                     lambda i: chargers.disconnected(i.cp_id, i.connection_id, i.reason), item)


def drain_all(app: Flask) -> dict[str, int]:
    """Write every buffer of this process now (last seen, OCPP log, meter batches): shutdown."""
    return {name: flusher.drain() for name, flusher in list(app.extensions.get("chargeway_flushers", {}).items())}


def _flusher(name: str, interval: float, flush, max_items: int = 500, group_commit: bool = False) -> Flusher:
    flushers = current_app.extensions.setdefault("chargeway_flushers", {})
    if name not in flushers:
        with _create_lock:
            if name not in flushers:
                flushers[name] = Flusher(current_app._get_current_object(), name, interval, flush, max_items,
                                         group_commit)
    return flushers[name]


_create_lock = threading.Lock()
