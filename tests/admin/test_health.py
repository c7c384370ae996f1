"""System health: the database, the in-process scheduler or Redis/RQ, and connected chargers per process."""
import pytest
from redis import Redis
from rq import Queue

from tests.conftest import REDIS_URL, _reachable, need
from webapp.extensions import db
from webapp.models import Charger
from webapp.services import timers
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
        return {"REDIS_URL": REDIS_URL.rsplit("/", 1)[0] + "/13"}

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
            assert response.status_code == 200
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
