"""Shared benchmark plumbing: production nodes, private PostgreSQL schemas, bulk seeding, /proc readings,
percentiles, the bare baseline server, and two lean asyncio clients (OCPP-J over `websockets`, HTTP/1.1).

Everything here drives the server from outside, as a separate process, on 127.0.0.1 only.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOG_DIR = ROOT / "bench" / "logs"

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# db 15: the test suite uses 0..14 (tests/cluster picks 1 + pid % 14); the benchmarks own 15 and flush it.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET_KEY = "bench-secret-" + "s" * 40
QR_SIGNING_KEY = "bench-qr-" + "q" * 40
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


# -- /proc readings -------------------------------------------------------------------------------------------
def stop_process_group(proc: subprocess.Popen, timeout: float) -> None:
    """SIGTERM a process group started with start_new_session, SIGKILL it if it outlives `timeout`."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def proc_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (gunicorn master + workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except OSError:
        return 0


def sched_wait_seconds(pid: int) -> float:
    """Seconds the process's threads spent runnable but waiting for a CPU (/proc/<pid>/task/*/schedstat)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[1])
            except OSError:
                continue
    except OSError:
        return 0.0
    return total / 1e9


class CpuWindow:
    """CPU seconds used by a set of processes between start() and stop() (processes found at either end),
    and the seconds they spent runnable but queued for a CPU (the neighbours' share of our latency)."""

    def __init__(self, pids_fn):
        self.pids_fn = pids_fn
        self.t0 = self.before = None

    def _read(self) -> dict:
        return {p: (cpu_seconds(p), sched_wait_seconds(p)) for p in self.pids_fn()}

    def start(self) -> "CpuWindow":
        self.before = self._read()
        self.t0 = time.monotonic()
        return self

    def stop(self) -> dict:
        elapsed = time.monotonic() - self.t0
        after = self._read()
        used = sum(cpu - self.before.get(p, (0.0, 0.0))[0] for p, (cpu, _) in after.items())
        waited = sum(w - self.before.get(p, (0.0, 0.0))[1] for p, (_, w) in after.items())
        pct = (lambda x: 100.0 * x / elapsed if elapsed else float("nan"))
        return {"cpu_s": used, "elapsed": elapsed, "cpu_pct": pct(used), "wait_s": waited, "wait_pct": pct(waited)}


class MachineCpu:
    """Whole-machine CPU over a window (100 = one core busy), from /proc/stat, and CPU pressure from
    /proc/pressure/cpu: the share of the window in which some runnable task waited for a CPU."""

    @staticmethod
    def _read() -> tuple[float, float, float]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        try:
            with open("/proc/pressure/cpu") as f:
                psi = int(f.readline().rsplit("total=", 1)[1]) / 1e6
        except (OSError, IndexError, ValueError):
            psi = float("nan")
        return sum(fields[:8]) / CLK_TCK, (fields[3] + fields[4]) / CLK_TCK, psi

    def start(self) -> "MachineCpu":
        self.total0, self.idle0, self.psi0 = self._read()
        self.t0 = time.monotonic()
        return self

    def stop(self) -> dict:
        total, idle, psi = self._read()
        elapsed = time.monotonic() - self.t0
        busy = (total - self.total0) - (idle - self.idle0)
        return {"cpu_s": busy, "elapsed": elapsed, "cpu_pct": 100.0 * busy / elapsed if elapsed else float("nan"),
                "pressure_pct": 100.0 * (psi - self.psi0) / elapsed if elapsed else float("nan")}


def rss_mb(pids: list[int]) -> float:
    return sum(rss_bytes(p) for p in pids) / 2**20


# -- PostgreSQL: a private schema per run ----------------------------------------------------------------------
class BenchDB:
    """A fresh PostgreSQL schema, its tables, bulk seeding, and row counts."""

    def __init__(self, tag: str, pg_url: str = PG_URL):
        self.pg_url = pg_url
        self.schema = f"bench_{tag}_{os.getpid()}_{secrets.token_hex(3)}"
        self._engine = None

    def url(self, app_name: str) -> str:
        """A DATABASE_URL for this schema; `application_name` lets us find the server's backends."""
        return f"{self.pg_url}?options=-csearch_path%3D{self.schema}&application_name={app_name}"

    @property
    def node_app_name(self) -> str:
        return f"{self.schema}-node"

    def engine(self):
        if self._engine is None:
            from sqlalchemy import create_engine
            self._engine = create_engine(self.pg_url, pool_size=2)
        return self._engine

    def sql(self, statement: str, *params):
        from sqlalchemy import text
        with self.engine().begin() as conn:
            result = conn.exec_driver_sql(statement, *params) if params else conn.execute(text(statement))
            try:
                return result.all()
            except Exception:  # noqa: BLE001 - statements without rows
                return None

    def create(self, method: str = "create_all") -> None:
        self.sql(f'CREATE SCHEMA "{self.schema}"')
        if method == "upgrade":
            env = {**os.environ, "DATABASE_URL": self.url(f"{self.schema}-migrate"), "PYTHONPATH": str(ROOT),
                   "SECRET_KEY": SECRET_KEY, "QR_SIGNING_KEY": QR_SIGNING_KEY}
            env.pop("CHARGEWAY_PRODUCTION", None)
            subprocess.run([str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=120)
        else:
            from webapp.extensions import db
            app = self.app()
            with app.app_context():
                db.create_all()
                db.engine.dispose()

    def app(self, redis_url: str | None = None):
        """This process's own view of the schema (seeding; the command bus when `redis_url` is given)."""
        from webapp import create_app
        from webapp.config import Config

        attrs = {"SQLALCHEMY_DATABASE_URI": self.url(f"{self.schema}-bench"), "REDIS_URL": redis_url,
                 "SECRET_KEY": SECRET_KEY, "QR_SIGNING_KEY": QR_SIGNING_KEY, "EMBEDDED_SCHEDULER": False,
                 "NODE_ID": f"bench-client-{os.getpid()}", "OCPP_CALL_TIMEOUT": 10.0}
        return create_app(type("BenchConfig", (Config,), attrs))

    def count(self, table: str, where: str = "") -> int:
        return self.sql(f'SELECT count(*) FROM "{self.schema}".{table} {where}')[0][0]

    def backend_pids(self) -> list[int]:
        rows = self.sql("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.node_app_name,))
        return [r[0] for r in rows or []]

    def drop(self) -> None:
        try:
            self.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE "
                     f"'{self.schema}%' AND pid <> pg_backend_pid()")
            self.sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            if self._engine is not None:
                self._engine.dispose()


def shared_password_hash() -> str:
    """One cheap hash for every bench account, computed once (logins stay fast; never for real accounts)."""
    from werkzeug.security import generate_password_hash
    return generate_password_hash(BENCH_PASSWORD, method="pbkdf2:sha256:1000")


def seed_stations(n: int, prefix: str = "Bench") -> list[int]:
    """A tariff and `n` always-open stations around Bengaluru; call inside an app context."""
    from sqlalchemy import insert, select
    from webapp.extensions import db
    from webapp.models import Station, Tariff

    tariff = Tariff(name=f"{prefix} tariff", currency="INR", price_per_kwh=1800, session_fee=2000,
                    idle_fee_per_minute=500)
    db.session.add(tariff)
    db.session.flush()
    rows = [{"name": f"{prefix} station {i:04d}", "address": f"{i} Bench Road", "latitude": 12.90 + (i % 20) * 0.01,
             "longitude": 77.50 + (i // 20) * 0.01, "timezone": "Asia/Kolkata", "always_open": True,
             "tariff_id": tariff.id, "opening_hours": {}} for i in range(n)]
    if rows:
        db.session.execute(insert(Station), rows)
    db.session.commit()
    return list(db.session.execute(select(Station.id).where(Station.name.like(f"{prefix} station %"))
                                   .order_by(Station.id)).scalars())


def seed_chargers(n: int, prefix: str, station_ids: list[int] | None = None, heartbeat: int = 300,
                  connectors: int = 1, status: str = "Available") -> list[str]:
    """`n` accepted chargers without a password, `connectors` connectors each, with plain bulk INSERTs."""
    from sqlalchemy import insert, select
    from webapp.extensions import db
    from webapp.models import Charger, Connector

    cp_ids = [f"{prefix}{i:05d}" for i in range(n)]
    for start in range(0, n, 2000):
        chunk = cp_ids[start:start + 2000]
        db.session.execute(insert(Charger), [
            {"charge_point_id": cp, "station_id": station_ids[(start + j) % len(station_ids)] if station_ids else None,
             "registration_status": "Accepted", "heartbeat_interval": heartbeat, "password_hash": None,
             "supports_reservation": True, "vendor": "Bench", "model": "Lean"} for j, cp in enumerate(chunk)])
        ids = db.session.execute(select(Charger.id).where(Charger.charge_point_id.in_(chunk))).scalars().all()
        db.session.execute(insert(Connector), [
            {"charger_id": cid, "connector_id": k, "status": status, "max_power_kw": 22.0}
            for cid in ids for k in range(1, connectors + 1)])
    db.session.commit()
    return cp_ids


def seed_users(n: int, role: str, prefix: str, password_hash: str | None = None) -> list[dict]:
    """`n` accounts sharing one password hash; id tags `<prefix><i>` (at most 20 characters)."""
    from sqlalchemy import insert, select
    from webapp.extensions import db
    from webapp.models import User

    password_hash = password_hash or shared_password_hash()
    rows = [{"email": f"{prefix.lower()}{i}@bench.example", "name": f"{prefix} {i}", "password_hash": password_hash,
             "role": role, "active": True, "id_tag": f"{prefix}{i}"[:20]} for i in range(n)]
    for start in range(0, n, 2000):
        db.session.execute(insert(User), rows[start:start + 2000])
    db.session.commit()
    found = db.session.execute(select(User.id, User.email, User.id_tag).where(User.email.like("%@bench.example"),
                                                                            User.role == role)).all()
    by_email = {r.email: r for r in found}
    return [{"id": by_email[r["email"]].id, "email": r["email"], "id_tag": r["id_tag"]} for r in rows]


# -- servers under test ------------------------------------------------------------------------------------------
def _wait_http(url: str, proc: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in {timeout:.0f} s: see {log_path}")


class Node:
    """A production web node: `gunicorn -c gunicorn.conf.py wsgi:app` (gevent), as in the Procfile."""

    def __init__(self, name: str, database_url: str, redis_url: str | None, workers: int = 1,
                 extra_env: dict | None = None, sql_count: bool = True):
        """`sql_count`: run with bench/gunicorn_sqlcount.conf.py (gunicorn.conf.py + a SQL statement counter)
        instead of gunicorn.conf.py itself; BENCH_PLAIN_GUNICORN=1 in the environment turns it off."""
        self.name = name
        sql_count = sql_count and os.environ.get("BENCH_PLAIN_GUNICORN") != "1"
        self.config = "bench/gunicorn_sqlcount.conf.py" if sql_count else "gunicorn.conf.py"
        self.sql_prefix = LOG_DIR / f"sqlcount-{name}-{os.getpid()}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ocpp"
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{name}-{os.getpid()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "PYTEST"))}
        env.update({
            "CHARGEWAY_PRODUCTION": "1", "SECRET_KEY": SECRET_KEY, "QR_SIGNING_KEY": QR_SIGNING_KEY,
            "DATABASE_URL": database_url, "NODE_ID": name, "WEB_CONCURRENCY": str(workers),
            "PORT": str(self.port), "HOST": "127.0.0.1", "PYTHONPATH": str(ROOT), "SESSION_COOKIE_SECURE": "0",
        })
        if sql_count:
            env["BENCH_SQL_COUNT_FILE"] = str(self.sql_prefix)
        if redis_url:
            env["REDIS_URL"] = redis_url
        else:
            env.pop("REDIS_URL", None)
        env.update(extra_env or {})
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Node":
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", self.config, "wsgi:app"], cwd=ROOT,
                                     env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        _wait_http(self.url + "/readyz", self.proc, self.log_path, timeout)
        return self

    def pids(self) -> list[int]:
        return proc_tree(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def worker_pids(self) -> list[int]:
        return [p for p in self.pids() if p != self.proc.pid]

    def stop(self, timeout: float = 30) -> None:
        if self.proc is None:
            return
        stop_process_group(self.proc, timeout)
        self._log.close()
        for path in LOG_DIR.glob(self.sql_prefix.name + ".*"):
            path.unlink(missing_ok=True)

    def sql_counts(self) -> dict:
        """Statements and commits so far, summed over workers (empty without the counter)."""
        total: dict = {}
        for path in LOG_DIR.glob(self.sql_prefix.name + ".*"):
            if path.suffix == ".tmp":
                continue
            try:
                for k, v in json.loads(path.read_text()).items():
                    total[k] = total.get(k, 0) + v
            except (OSError, ValueError):
                continue
        return total

    def errors(self) -> list[str]:
        """The server's error log entries so far, each as its exception's last line (or its message)."""
        out = []
        try:
            with open(self.log_path, errors="replace") as f:
                for line in f:
                    if '"level": "error"' not in line:
                        continue
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        out.append(line.strip()[:160])
                        continue
                    exc = (entry.get("exc") or "").strip().splitlines()
                    out.append(f"{entry.get('msg', '')[:50]} | {exc[-1][:110] if exc else ''}")
        except OSError:
            pass
        return out


class BaselineServer:
    """bench/baseline_server.py: the `ocpp` library on `websockets`, answering without persistence."""

    def __init__(self, heartbeat: int = 300):
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.heartbeat = heartbeat
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"baseline-{os.getpid()}.log"
        self.proc = None

    def start(self, timeout: float = 30) -> "BaselineServer":
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.baseline_server", "--port", str(self.port),
                                      "--heartbeat", str(self.heartbeat)], cwd=ROOT, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        _wait_http(f"http://127.0.0.1:{self.port}/healthz", self.proc, self.log_path, timeout)
        return self

    def pids(self) -> list[int]:
        return proc_tree(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def stop(self, timeout: float = 15) -> None:
        if self.proc is None:
            return
        stop_process_group(self.proc, timeout)
        self._log.close()


class RedisDB:
    """The benchmarks' own Redis database, flushed before and after a run. Two benchmarks at once would
    flush each other's command routes mid-run (seen: a cross-node start failing 'not connected'), so a
    run holds `bench:owner` there and a second one refuses to start."""

    def __init__(self, url: str = REDIS_URL):
        import redis
        self.url = url
        self.client = redis.Redis.from_url(url)
        self.client.ping()
        owner = self.client.get("bench:owner")
        if owner is not None and _alive(int(owner)) and int(owner) != os.getpid():
            raise SystemExit(f"another benchmark (pid {int(owner)}) is using {url}; run benchmarks one at a "
                             "time, or give this one its own database with BENCH_REDIS_URL")

    def flush(self) -> None:
        """Empty the database; this run keeps holding it until the process ends."""
        self.client.flushdb()
        self.client.set("bench:owner", os.getpid(), ex=6 * 3600)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- a lean OCPP-J charger (asyncio, raw frames over `websockets`) -------------------------------------------
class CallError(Exception):
    pass


class LeanCharger:
    """One charge point's socket: our CALLs (one outstanding at a time, as OCPP-J requires) and answers to
    the central system's CALLs (RemoteStartTransaction and the like are Accepted). No schema validation,
    no state machine: just enough to load the server."""

    __slots__ = ("cp_id", "url", "ws", "pending", "lock", "closed", "reader", "ids", "on_call", "busy",
                 "failed", "tx_id", "last_ts_ms", "calls_in", "booted")

    def __init__(self, cp_id: str, base_url: str, on_call=None):
        self.cp_id = cp_id
        self.url = f"{base_url.rstrip('/')}/{cp_id}"
        self.ws = None
        self.pending: dict[str, asyncio.Future] = {}
        self.lock = asyncio.Lock()
        self.closed = True
        self.reader = None
        self.ids = itertools.count(1)
        self.on_call = on_call
        self.busy = False  # a MeterValues loop owns this charger (its heartbeats are skipped, as OCPP allows)
        self.failed: str | None = None
        self.tx_id = None
        self.last_ts_ms = 0
        self.calls_in = 0
        self.booted = False

    @property
    def up(self) -> bool:
        """Connected, booted and still open."""
        return self.booted and not self.closed

    async def connect(self, timeout: float = 30.0) -> None:
        from websockets.asyncio.client import connect
        self.ws = await connect(self.url, subprotocols=["ocpp1.6"], compression=None, ping_interval=None,
                                open_timeout=timeout, close_timeout=2, max_queue=4, max_size=2**16)
        self.closed = False
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def call(self, action: str, payload: dict, timeout: float = 30.0):
        async with self.lock:
            if self.closed:
                raise ConnectionError("socket closed")
            uid = f"{next(self.ids)}"
            fut = asyncio.get_running_loop().create_future()
            fut.add_done_callback(_retrieve)  # a late failure (socket closed after a timeout) is not an error
            self.pending[uid] = fut
            try:
                await self.ws.send(json.dumps([2, uid, action, payload], separators=(",", ":")))
                async with asyncio.timeout(timeout):
                    return await fut
            finally:
                self.pending.pop(uid, None)

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed
        try:
            async for raw in self.ws:
                try:
                    msg = json.loads(raw)
                    kind = msg[0]
                except (ValueError, IndexError, TypeError):
                    continue
                if kind == 3 or kind == 4:
                    fut = self.pending.get(msg[1])
                    if fut is not None and not fut.done():
                        if kind == 3:
                            fut.set_result(msg[2])
                        else:
                            fut.set_exception(CallError(f"{msg[2]}: {msg[3]}"))
                elif kind == 2:
                    self.calls_in += 1
                    answer = self.on_call(self, msg[2], msg[3]) if self.on_call else _default_answer(msg[2])
                    await self.ws.send(json.dumps([3, msg[1], answer], separators=(",", ":")))
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("socket closed"))

    def next_timestamp(self) -> str:
        """A strictly increasing timestamp per charger (samples are deduplicated on it)."""
        now = int(time.time() * 1000)
        self.last_ts_ms = max(now, self.last_ts_ms + 1)
        return datetime.fromtimestamp(self.last_ts_ms / 1000, timezone.utc).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001 - already gone
                pass
        if self.reader is not None:
            self.reader.cancel()


def _retrieve(fut: asyncio.Future) -> None:
    if not fut.cancelled():
        fut.exception()


def _default_answer(action: str) -> dict:
    if action in ("RemoteStartTransaction", "RemoteStopTransaction", "Reset", "ChangeAvailability",
                  "ChangeConfiguration", "ClearCache", "TriggerMessage", "CancelReservation"):
        return {"status": "Accepted"}
    if action == "UnlockConnector":
        return {"status": "Unlocked"}
    if action == "GetConfiguration":
        return {"configurationKey": []}
    if action == "ReserveNow":
        return {"status": "Accepted"}
    return {}


BOOT = {"chargePointVendor": "Bench", "chargePointModel": "Lean", "firmwareVersion": "1.0"}


def status_payload(status: str = "Available", connector: int = 1) -> dict:
    return {"connectorId": connector, "errorCode": "NoError", "status": status, "timestamp": iso_now()}


# -- a lean HTTP/1.1 keep-alive client (asyncio) ---------------------------------------------------------------
class HttpConn:
    """One keep-alive connection; enough HTTP/1.1 for a Flask app behind gunicorn (Content-Length, chunked)."""

    def __init__(self, host: str, port: int, cookie: str | None = None):
        self.host, self.port, self.cookie = host, port, cookie
        self.reader = self.writer = None

    async def _open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def _close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict | None = None, timeout: float = 30.0) -> tuple[int, bytes]:
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: keep-alive"]
        if self.cookie:
            lines.append(f"Cookie: {self.cookie}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode()
        for attempt in (1, 2):
            try:
                if self.writer is None:
                    await self._open()
                async with asyncio.timeout(timeout):
                    self.writer.write(data)
                    return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self._close()
                if attempt == 2:
                    raise ConnectionError(f"{type(exc).__name__}: {exc}")
            except BaseException:
                self._close()
                raise

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in header_lines:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            self._close()
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, body
