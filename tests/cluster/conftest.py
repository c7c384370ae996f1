"""A small production cluster: two gunicorn -k gevent nodes and an RQ worker (with scheduler) plus
rq cron, sharing the machine's PostgreSQL (a private schema) and Redis (a private database number)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import PG_URL, REDIS_URL, free_port, make_config, need, _reachable
from webapp import create_app
from webapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class Node:
    def __init__(self, name, env, artifacts, workers=1):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.log = open(artifacts / f"{name}.log", "w")
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env={**env, "PORT": str(self.port), "HOST": "127.0.0.1", "NODE_ID": name, "WEB_CONCURRENCY": str(workers)})

    def wait_ready(self, timeout=30, path="/readyz"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log.name}")
            try:
                if requests.get(self.url + path, timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready in {timeout} s")

    def kill(self):
        """Like a host going down: master and worker die at once, no socket is closed politely."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def cluster_env(pg_schema, tmp_path):
    if not _reachable("127.0.0.1", 6379):
        need("Redis on 127.0.0.1:6379")
    import redis

    redis_url = REDIS_URL  # the xdist worker's own database
    redis.Redis.from_url(redis_url).flushdb()
    database_url = f"{PG_URL}?options=-csearch_path%3D{pg_schema}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "FLASK_"))}
    env.update({
        "CHARGEWAY_PRODUCTION": "1", "SECRET_KEY": "_upwPblylR1Z44gTto1wv_TxmmFHukyERZ2wCVAP0mayE7Je",
        "QR_SIGNING_KEY": "pGjZ3sd06zmAAQ21i3_vfpSMo8EpMy6ssxMUvvgTphWQOsHt",
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT),
        "HEARTBEAT_INTERVAL": "2", "OFFLINE_MARGIN_SECONDS": "1", "OFFLINE_CHECK_SECONDS": "1",
        "HOLD_SECONDS": "3", "OCPP_CALL_TIMEOUT": "5", "LAST_SEEN_WRITE_SECONDS": "0", "ACCESS_LOG": "0",
        "SESSION_COOKIE_SECURE": "0", "BUS_ROUTE_TTL_SECONDS": "10", "PAYMENT_GATEWAY": "simulated",
    })
    return env


@pytest.fixture
def cluster_app(cluster_env):
    """The test's own view of the cluster's database and Redis (same settings as the nodes)."""
    app = create_app(make_config(cluster_env["DATABASE_URL"], REDIS_URL=cluster_env["REDIS_URL"],
                                 HOLD_SECONDS=3))
    with app.app_context():
        db.drop_all()
        db.create_all()
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def artifacts(request):
    """test-artifacts/cluster/<test>/: the processes' logs, one folder per test (xdist workers run
    cluster tests side by side)."""
    import re

    path = ROOT / "test-artifacts" / "cluster" / re.sub(r"[^\w.-]+", "_", request.node.name)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def cluster(cluster_env, cluster_app, artifacts):
    """Two web nodes (node B with two gunicorn workers sharing its NODE_ID), an RQ worker with its
    scheduler, and rq cron."""
    nodes = [Node("node-a", cluster_env, artifacts), Node("node-b", cluster_env, artifacts, workers=2)]
    workers = []
    for name, args in (("rq-worker", ["rq", "worker", "--with-scheduler", "--worker-class", "rq.worker.SimpleWorker",
                                      "--url", cluster_env["REDIS_URL"],
                                      "chargeway"]),
                       ("rq-cron", ["rq", "cron", "--url", cluster_env["REDIS_URL"], "jobs.cron"])):
        log = open(artifacts / f"{name}.log", "w")
        workers.append((subprocess.Popen([str(BIN / args[0]), *args[1:]], cwd=ROOT, env=cluster_env, stdout=log,
                                         stderr=subprocess.STDOUT), log))
    try:
        for node in nodes:
            node.wait_ready()
        yield {"a": nodes[0], "b": nodes[1]}
    finally:
        for node in nodes:
            node.stop()
        for proc, log in workers:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


@pytest.fixture
def factory(cluster_app):
    """Rows in the cluster's database (overrides the SQLite-bound factory)."""
    from tests.conftest import Factory

    return Factory(cluster_app)
