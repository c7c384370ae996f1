"""Garbage collection in a worker that holds thousands of charger sockets.

A full (generation 2) collection walks every tracked object: with 10,000 sockets held that is millions
of them and a pause of 0.5-1.3 s, during which no greenlet runs (measured with `bench/ocpp_load.py
--hold`). The objects behind an accepted socket (its connection, greenlet, wsproto state, locks) live
as long as the socket, so once a batch of chargers has booted, `freeze` moves everything alive into the
permanent generation, which collections skip; what each message allocates stays young and cheap.

Python's own full collections are turned off while the policy runs (the third threshold set out of
reach): left to themselves they came every few seconds under MeterValues load, each walking everything
promoted since the last freeze (worst 198 ms with 10,000 sockets held; none and 6 ms worst with them
off, bench/README.md). Instead a full collection of what is not frozen runs every GC_FULL_SECONDS,
from this timer, so cyclic garbage that outlived the young generations is still freed.

The cost: a reference cycle that was frozen is never collected while frozen. Closed connections can
leave such cycles (1-2 objects per close, measured), so after GC_COLLECT_AFTER_CLOSES closes one full
collection over everything runs (unfreeze, collect, freeze again): one pause of the old kind (about 1 s
with 10,000 sockets held) per that many disconnections.

Settings (webapp/config.py): GC_FREEZE_SECONDS (how often at most a freeze runs, 0: never, and Python's
collector is left as it is), GC_FULL_SECONDS (0: never), GC_COLLECT_AFTER_CLOSES (0: never) and
GC_THRESHOLDS (gc.set_threshold; empty: Python's first two, the third off while the policy runs).
`start` is called in each gunicorn worker (gunicorn.conf.py); the counters are bumped by the socket.
"""
import gc
import logging
import threading
import time

log = logging.getLogger(__name__)

_counts = {"accepted": 0, "closed": 0}
_last_full = [0.0]
NO_AUTOMATIC_FULL = 1 << 30  # gc threshold 2: full collections only from this policy


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
    elif config["GC_FREEZE_SECONDS"] > 0:
        first, second, _ = gc.get_threshold()
        gc.set_threshold(first, second, NO_AUTOMATIC_FULL)


def tick(collect_after_closes: int, full_every: float = 0, now: float | None = None) -> str | None:
    """One step of the policy: a full collection when enough sockets closed since the last one, else a
    freeze when chargers were accepted since the last step, else a collection of everything not frozen
    when `full_every` seconds went by since the last. Returns what it did ("collect", "freeze", "full")."""
    now = time.monotonic() if now is None else now
    if collect_after_closes and _counts["closed"] >= collect_after_closes:
        _counts["closed"] = _counts["accepted"] = 0
        start = time.perf_counter()
        gc.unfreeze()
        freed = gc.collect()
        gc.freeze()
        log.info("Full garbage collection after %d closed sockets: %d objects freed in %.0f ms",
                 collect_after_closes, freed, (time.perf_counter() - start) * 1000)
        _last_full[0] = now
        return "collect"
    if _counts["accepted"]:
        _counts["accepted"] = 0
        gc.collect(1)  # young garbage goes first: only what is still alive is frozen
        gc.freeze()
        return "freeze"
    if full_every and now - _last_full[0] >= full_every:
        _last_full[0] = now
        gc.collect(2)  # the frozen generation is not walked
        return "full"
    return None


def start(app) -> threading.Thread | None:
    """Run the policy in the background of this worker (a greenlet under gevent)."""
    configure(app.config)
    every = app.config["GC_FREEZE_SECONDS"]
    if every <= 0:
        return None
    limit, full_every = app.config["GC_COLLECT_AFTER_CLOSES"], app.config["GC_FULL_SECONDS"]
    _last_full[0] = time.monotonic()

    def loop():
        while True:
            time.sleep(every)
            try:
                tick(limit, full_every)
            except Exception:  # never let the policy end: it only tunes the collector
                log.error("GC policy step failed", exc_info=True)

    thread = threading.Thread(target=loop, name="chargeway-gc-policy", daemon=True)
    thread.start()
    return thread
