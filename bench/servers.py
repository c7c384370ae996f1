"""The servers under test: a production Chargeway node (gunicorn, gevent workers) and the bare `ocpp`
baseline, each a subprocess in its own process group with its log in bench/logs/.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import BIN, LOG_DIR, QR_SIGNING_KEY, ROOT, SECRET_KEY, free_port
from bench.procstat import proc_tree, stop_process_group


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
            "PAYMENT_GATEWAY": "simulated",
        })
        if sql_count:
            env["BENCH_SQL_COUNT_FILE"] = str(self.sql_prefix)
        if redis_url:
            env["REDIS_URL"] = redis_url
        else:
            # Production refuses to start without Redis (no timers would fire); the Redis-less variant measures
            # the same code under the development config.
            env.pop("REDIS_URL", None)
            env.pop("CHARGEWAY_PRODUCTION")
        env.update(extra_env or {})
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Node":
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(BIN / "gunicorn"), "-c", self.config, "wsgi:app"], cwd=ROOT,
                                     env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        # /healthz, not /readyz: the bench runs no RQ worker, so readiness would report the timers down.
        _wait_http(self.url + "/healthz", self.proc, self.log_path, timeout)
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

    def __init__(self, heartbeat: int = 300, extra_env: dict | None = None):
        self.extra_env = extra_env or {}
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
                                     env={**os.environ, "PYTHONPATH": str(ROOT), **self.extra_env})
        _wait_http(f"http://127.0.0.1:{self.port}/healthz", self.proc, self.log_path, timeout)
        return self

    def pids(self) -> list[int]:
        return proc_tree(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def stop(self, timeout: float = 15) -> None:
        if self.proc is None:
            return
        stop_process_group(self.proc, timeout)
        self._log.close()
