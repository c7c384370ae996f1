"""GC pauses measured inside a server process: every collection's duration from `gc.callbacks`.

    BENCH_GC_FILE=/path/prefix  -> the process appends "wall_time generation pause_ms" lines to
                                   /path/prefix.<pid>, four times a second

`install()` is called by bench/gunicorn_sqlcount.conf.py in each worker and by bench/baseline_server.py,
when the benchmark passes BENCH_GC_FILE; `read()` is what the benchmark uses at the edges of its windows.
Cost: two Python calls per collection (a few hundred per second at most).
"""
from __future__ import annotations

import gc
import glob
import os
import threading
import time

from bench.common import percentile


def install(prefix: str | None = None) -> None:
    prefix = prefix or os.environ.get("BENCH_GC_FILE")
    if not prefix:
        return
    path = f"{prefix}.{os.getpid()}"
    events: list[str] = []
    started = [0.0]
    clock = time.perf_counter

    def callback(phase, info):
        if phase == "start":
            started[0] = clock()
        else:
            events.append(f"{time.time():.3f} {info['generation']} {(clock() - started[0]) * 1000:.3f}\n")

    gc.callbacks.append(callback)

    def dump():
        while True:
            time.sleep(0.25)
            if events:
                batch = events[:]
                del events[:len(batch)]
                with open(path, "a") as f:
                    f.writelines(batch)

    threading.Thread(target=dump, name="bench-gcpause", daemon=True).start()


def read(prefix: str, t0: float, t1: float) -> dict:
    """Pauses of every process under `prefix` with wall time in [t0, t1): count, per generation, worst, p99."""
    pauses, full = [], []
    for path in glob.glob(f"{glob.escape(prefix)}.*"):
        try:
            with open(path) as f:
                for line in f:
                    t, gen, ms = line.split()
                    if t0 <= float(t) < t1:
                        pauses.append(float(ms))
                        if gen == "2":
                            full.append(float(ms))
        except (OSError, ValueError):
            continue
    pauses.sort()
    full.sort()
    return {"n": len(pauses), "full": len(full), "p99": percentile(pauses, 99), "max": pauses[-1] if pauses else
            float("nan"), "full_max": full[-1] if full else float("nan"), "total_ms": sum(pauses)}


def clear(prefix: str) -> None:
    for path in glob.glob(f"{glob.escape(prefix)}.*"):
        os.unlink(path)
