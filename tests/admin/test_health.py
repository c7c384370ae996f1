"""System health: the database, the in-process scheduler or Redis/RQ (worker heartbeats, scheduler, cron),
and connected chargers per process; /readyz reports the timer processes too."""
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.utils import utcformat

from tests.conftest import REDIS_URL, _reachable, need
from webapp.extensions import db
from webapp.models import Charger
from webapp.services.platform import timers
from webapp.timeutil import utcnow


def test_embedded_health(admin_client, world, app):
    timers.schedule("jobs.sweep.run", utcnow())
    db.session.commit()
    world.charger.node_id = app.config["NODE_ID"]
    db.session.commit()
    response = admin_client.get("/admin/health")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="health-overall">All systems go' in page
    assert "reachable</span> sqlite" in page
    assert "embedded scheduler" in page and 'id="scheduled-count">1<' in page and "jobs.sweep.run" in page
    assert 'id="connected-here">0<' in page  # the database says online, but no socket is held here
    assert f"<code>{app.config['NODE_ID']}</code> (this one)" in page
    fragment = admin_client.get("/admin/health", headers={"HX-Request": "true", "HX-Target": "health-live"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="health-live"')


def test_connected_chargers_of_this_process(admin_client, world, app):
    class FakeConnection:
        cp_id = "OWN-1"

    bus = app.extensions["chargeway_bus"]
    bus.register(FakeConnection())
    try:
        page = admin_client.get("/admin/health").get_data(as_text=True)
    finally:
        bus.unregister(bus.local("OWN-1"))
    assert 'id="connected-here">1<' in page and ": OWN-1." in page


class TestWithRedis:
    @pytest.fixture
    def app_overrides(self):
        if not _reachable("127.0.0.1", 6379):
            need("Redis on 127.0.0.1:6379")
        return {"REDIS_URL": REDIS_URL}

    @pytest.fixture
    def redis_conn(self, app):
        conn = Redis.from_url(app.config["REDIS_URL"])
        conn.flushdb()
        yield conn
        conn.flushdb()

    def test_redis_queue_workers_and_timers(self, admin_client, world, app):
        conn = Redis.from_url(app.config["REDIS_URL"])
        conn.flushdb()
        try:
            timers.schedule("jobs.sweep.run", utcnow().replace(year=utcnow().year + 1))  # a timer
            db.session.commit()
            Queue(timers.QUEUE_NAME, connection=conn).enqueue("jobs.sweep.run")  # waiting for a worker
            conn.set("cw:route:OWN-1", "node-elsewhere")
            response = admin_client.get("/admin/health")
            page = response.get_data(as_text=True)
            assert response.status_code == 503  # no worker: the timers are down
            assert "Redis reachable" in page and 'id="queue-depth">1<' in page and 'id="scheduled-count">1<' in page
            assert 'id="worker-count">0' in page and "no worker: timers will not fire" in page
            assert "<code>node-elsewhere</code>: 1" in page
        finally:
            conn.flushdb()

    def test_redis_down_is_reported(self, admin_client, world, app):
        app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
        response = admin_client.get("/admin/health")
        page = response.get_data(as_text=True)
        assert response.status_code == 503 and "Redis unreachable" in page and "Degraded" in page
        assert db.session.get(Charger, world.charger.id) is not None

    def test_a_stale_worker_heartbeat_is_down(self, admin_client, client, world, app, redis_conn):
        """A worker that died without deregistering (kill -9) stays in RQ's registry until its key expires."""
        worker = Worker([Queue(timers.QUEUE_NAME, connection=redis_conn)], connection=redis_conn, name="dead-worker")
        worker.register_birth()
        redis_conn.hset(worker.key, "last_heartbeat", utcformat(utcnow() - timedelta(seconds=600)))
        ready = client.get("/readyz")
        checks = ready.get_json()["checks"]
        assert ready.status_code == 503 and checks["redis"] == "ok"
        assert checks["rq_worker"].startswith("down: no worker on queue chargeway with a heartbeat in the last 480 s")
        assert checks["rq_scheduler"].startswith("down") and checks["rq_cron"].startswith("down")
        response = admin_client.get("/admin/health")
        page = response.get_data(as_text=True)
        assert response.status_code == 503 and "Degraded" in page
        assert 'id="rq-worker" data-up="down"' in page and 'id="rq-scheduler" data-up="down"' in page
        assert '<tr data-fresh="no"><td>dead-worker</td>' in page and "600 s ago" in page

    def test_real_rq_worker_scheduler_and_cron_are_up(self, admin_client, client, world, app, redis_conn, db_url):
        """The Procfile's worker and cron processes, against this test's Redis database and database."""
        root = Path(__file__).resolve().parents[2]
        env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": db_url, "SECRET_KEY": "w" * 40, "LOG_LEVEL": "WARNING",
               "PYTHONPATH": str(root)}
        url = app.config["REDIS_URL"]
        bin_ = root / ".venv" / "bin"
        procs = [subprocess.Popen([str(bin_ / "rq"), "worker", "--with-scheduler", "--worker-class",
                                   "rq.worker.SimpleWorker", "--url", url, timers.QUEUE_NAME], cwd=root, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                 subprocess.Popen([str(bin_ / "rq"), "cron", "--url", url, "jobs.cron"], cwd=root, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        try:
            deadline = time.monotonic() + 60
            while client.get("/readyz").status_code != 200:
                assert all(p.poll() is None for p in procs), "an rq process exited"
                assert time.monotonic() < deadline, client.get("/readyz").get_json()
                time.sleep(0.5)
            checks = client.get("/readyz").get_json()["checks"]
            assert checks == {"database": "ok", "redis": "ok", "rq_worker": "ok", "rq_scheduler": "ok",
                              "rq_cron": "ok"}
            response = admin_client.get("/admin/health")
            page = response.get_data(as_text=True)
            assert response.status_code == 200 and "All systems go" in page
            assert 'id="rq-worker" data-up="up"' in page and 'id="rq-scheduler" data-up="up"' in page
            assert 'id="rq-cron" data-up="up"' in page and '<tr data-fresh="yes">' in page
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
