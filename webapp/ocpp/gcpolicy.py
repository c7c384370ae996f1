"""Garbage collection in a worker that holds thousands of charger sockets.

A full (generation 2) collection walks every tracked object: with 10,000 sockets held that is millions
of them and a pause of 0.5-1.3 s, during which no greenlet runs (measured with `bench/ocpp_load.py
--hold`). The objects behind an accepted socket (its connection, greenlet, wsproto state, locks) live
as long as the socket, so once a batch of chargers has booted, `freeze` moves everything alive into the
permanent generation, which collections skip; what each message allocates stays young and cheap.

The cost: a reference cycle that was frozen is never collected while frozen. Closed connections can
leave such cycles, so after GC_COLLECT_AFTER_CLOSES closes one full collection over everything runs
(unfreeze, collect, freeze again): one pause of the old kind per that many disconnections, not one
every few seconds.

Settings (webapp/config.py): GC_FREEZE_SECONDS (how often at most a freeze runs, 0: never),
GC_COLLECT_AFTER_CLOSES (0: never) and GC_THRESHOLDS (gc.set_threshold; empty: Python's own).
`start` is called in each gunicorn worker (gunicorn.conf.py); the counters are bumped by the socket.
"""
import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

_counts = {"accepted": 0, "closed": 0}


def accepted() -> None:
    """A socket's charger booted: its objects will live as long as the socket."""
    _counts["accepted"] += 1


def closed() -> None:
    _counts["closed"] += 1


def thresholds(text: str) -> tuple[int, ...] | None:
    """GC_THRESHOLDS "g0,g1,g2" as gc.set_threshold's arguments (None: keep Python's)."""
    if not text.strip():
        return None
    values = tuple(int(part) for part in text.split(","))
    if not 1 <= len(values) <= 3 or any(v < 0 for v in values):
        raise ValueError(f"GC_THRESHOLDS must be 1-3 non-negative integers, got {text!r}")
    return values


def configure(config) -> None:
    values = thresholds(config["GC_THRESHOLDS"])
    if values is not None:
        gc.set_threshold(*values)


def tick(collect_after_closes: int) -> str | None:
    """One step of the policy: a full collection when enough sockets closed since the last one, else a
    freeze when chargers were accepted since the last step. Returns what it did ("collect", "freeze")."""
    if collect_after_closes and _counts["closed"] >= collect_after_closes:
        _counts["closed"] = _counts["accepted"] = 0
        start = time.perf_counter()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        log.info("Full garbage collection after %d closed sockets: %d objects freed in %.0f ms",
                 collect_after_closes, freed, (time.perf_counter() - start) * 1000)
        return "collect"
    if _counts["accepted"]:
        _counts["accepted"] = 0
        gc.collect(1)  # young garbage goes first: only what is still alive is frozen
        gc.freeze()
        return "freeze"
    return None


def start(app) -> threading.Thread | None:
    """Run the policy in the background of this worker (a greenlet under gevent)."""
    configure(app.config)
    every = app.config["GC_FREEZE_SECONDS"]
    if every <= 0:
        return None
    limit = app.config["GC_COLLECT_AFTER_CLOSES"]

    def loop():
        while True:
            time.sleep(every)
            try:
                tick(limit)
            except Exception:  # never let the policy end: it only tunes the collector
                log.error("GC policy step failed", exc_info=True)

    thread = threading.Thread(target=loop, name="chargeway-gc-policy", daemon=True)
    thread.start()
    return thread
