"""Shared benchmark constants and helpers: where things are, process limits and ports, timestamps, and
percentiles and tables for the printed figures. The other shared pieces: `procstat.py` (/proc readings),
`stores.py` (private PostgreSQL schema, seeding, the Redis database), `servers.py` (the nodes under test and
the bare baseline), `clients.py` (lean asyncio OCPP-J and HTTP/1.1 clients).

Everything here drives the server from outside, as a separate process, on 127.0.0.1 only.
"""
from __future__ import annotations

import math
import os
import resource
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "bench" / "logs"

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# db 15: the test suite uses 0..14 (tests/cluster picks 1 + pid % 14); the benchmarks own 15 and flush it.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
# Random-looking fixed keys: production refuses short, repetitive or low-entropy ones (webapp/secret_checks.py).
SECRET_KEY = "Vb8rK2mQx_T4nWc7Lp0eHs9Zy-JdFg3uAo6iRk1Nt5Xv"
QR_SIGNING_KEY = "Qh2Jw9_Ey4Lr7Tk0Bn-Xs3Gm8Pd5Vc1Zu6Fa_Wi9oKe"
BENCH_PASSWORD = "bench-password-1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- process limits, ports, time --------------------------------------------------------------------------
def raise_nofile() -> tuple[int, int]:
    """Raise the soft open-files limit as far as the hard limit allows (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso_now(offset_ms: int = 0) -> str:
    t = datetime.now(timezone.utc) + timedelta(milliseconds=offset_ms)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench"], cwd=ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out + ("+dirty" if dirty else "")  # changes under bench/ do not count
    except Exception:  # noqa: BLE001 - informational only
        return "?"


def banner(title: str) -> None:
    print(f"== {title} | {time.strftime('%Y-%m-%d %H:%M:%S %Z')} | commit {git_commit()} | "
          f"{os.cpu_count()} cpus | loadavg {open('/proc/loadavg').read().split()[:3]}", flush=True)


# -- statistics ----------------------------------------------------------------------------------------------
def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def summarize(latencies_s: list[float]) -> dict:
    """n, p50, p95, p99 and max in milliseconds."""
    v = sorted(latencies_s)
    return {"n": len(v), "p50": percentile(v, 50) * 1000, "p95": percentile(v, 95) * 1000,
            "p99": percentile(v, 99) * 1000, "max": (v[-1] * 1000 if v else float("nan"))}


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(a, b) -> str:
    try:
        if a is None or b is None or math.isnan(a) or math.isnan(b) or b == 0:
            return "-"
        return f"{a / b:.2f}x"
    except TypeError:
        return "-"


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(h) for h in headers]] + [[c if isinstance(c, str) else fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    sys.stdout.flush()
