"""One rebalance of a station at a time across RQ workers: a job that finds the station being planned puts
itself off instead of sending profiles alongside the other."""
import pytest
from redis import Redis

from tests.conftest import REDIS_URL, _reachable, need
from webapp.extensions import db
from webapp.services.charging import smart
from webapp.services.platform import timers


@pytest.fixture
def redis_conn(monkeypatch):
    if not _reachable("127.0.0.1", 6379):
        need("Redis on 127.0.0.1:6379 for the planning turn")
    conn = Redis.from_url(REDIS_URL)
    conn.delete("cw:smart:1")
    monkeypatch.setattr(timers, "redis", lambda: conn)
    yield conn
    conn.delete("cw:smart:1")


def rebalances():
    db.session.commit()
    return [args for _, func, args in timers.backend().pending() if func == "jobs.smart.rebalance"]


def test_a_station_being_planned_puts_the_next_rebalance_off(app, factory, redis_conn):
    station = factory.station(power_limit_kw=22.0)
    db.session.commit()
    assert station.id == 1
    redis_conn.set("cw:smart:1", "another-worker", ex=60)
    assert smart.rebalance(station.id).limits == {}
    assert rebalances() == [(station.id,)]
    assert redis_conn.get("cw:smart:1") == b"another-worker"  # not taken from its holder


def test_the_turn_is_released_after_planning(app, factory, redis_conn):
    station = factory.station(power_limit_kw=22.0)
    db.session.commit()
    smart.rebalance(station.id)
    assert rebalances() == [] and redis_conn.get(f"cw:smart:{station.id}") is None
