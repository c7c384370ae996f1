"""Issue 14: the hot paths made cheaper keep their behaviour.

- a charger password verified once in a process is not re-derived at the next handshake, and a changed
  or removed password is checked against the new hash at once;
- the CALLRESULT payloads built from cached key names are exactly what the ocpp library's chain builds;
- the garbage-collection policy freezes after chargers boot, collects everything after enough sockets
  closed, and applies GC_THRESHOLDS;
- the OCPP log queues a CALL and its answer as one row.
"""
import gc

import pytest
from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo
from sqlalchemy import select

from tests.conftest import release_db, wait_until
from tests.support.handshake import handshake
from webapp.extensions import db
from webapp.models import Charger, OcppMessage
from webapp.ocpp import gcpolicy, handlers
from webapp.services.fleet import charger_auth

PASSWORD, NEW_PASSWORD = "first-key-ABCDEFGH", "second-key-JKLMNPQR"


@pytest.fixture
def kdf_calls(monkeypatch):
    """How often the slow hash check ran."""
    calls = []
    real = charger_auth.check_password_hash

    def counting(password_hash, password):
        calls.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(charger_auth, "check_password_hash", counting)
    charger_auth._verified.clear()
    return calls


def test_a_verified_password_is_not_derived_again(app, factory, kdf_calls):
    factory.charger(cp_id="HOT-1", password=PASSWORD)
    db.session.commit()
    assert handshake("HOT-1", PASSWORD) is None
    assert handshake("HOT-1", PASSWORD) is None
    assert kdf_calls == [PASSWORD]
    assert handshake("HOT-1", "wrong-key-ABCDEFGH") == 401  # the same hash, another digest: wrong
    assert handshake("HOT-1", PASSWORD) is None
    assert kdf_calls == [PASSWORD]


def test_a_changed_password_is_checked_against_the_new_hash(app, factory, kdf_calls):
    factory.charger(cp_id="HOT-2", password=PASSWORD)
    db.session.commit()
    assert handshake("HOT-2", PASSWORD) is None
    charger = db.session.execute(db.select(Charger).where(Charger.charge_point_id == "HOT-2")).scalar_one()
    charger.set_password(NEW_PASSWORD)  # e.g. on another node: only the database knows
    db.session.commit()
    assert handshake("HOT-2", PASSWORD) == 401
    assert handshake("HOT-2", NEW_PASSWORD) is None
    assert handshake("HOT-2", NEW_PASSWORD) is None
    assert kdf_calls == [PASSWORD, PASSWORD, NEW_PASSWORD]


def test_a_removed_password_is_not_required_any_more(app, factory, kdf_calls):
    factory.charger(cp_id="HOT-3", password=PASSWORD, online=False)
    db.session.commit()
    assert handshake("HOT-3", PASSWORD) is None
    charger = db.session.execute(db.select(Charger).where(Charger.charge_point_id == "HOT-3")).scalar_one()
    charger.set_password(None)
    db.session.commit()
    assert handshake("HOT-3", None) is None


RESULTS = [
    call_result.BootNotification(current_time="2026-12-01T10:00:00Z", interval=300, status="Accepted"),
    call_result.Heartbeat(current_time="2026-12-01T10:00:00.123Z"),
    call_result.StatusNotification(),
    call_result.Authorize(id_tag_info=IdTagInfo(status="Accepted")),
    call_result.Authorize(id_tag_info=IdTagInfo(status="Blocked", expiry_date="2026-12-02T00:00:00Z",
                                                parent_id_tag="PARENT")),
    call_result.StartTransaction(transaction_id=7, id_tag_info=IdTagInfo(status="ConcurrentTx")),
    call_result.MeterValues(),
    call_result.StopTransaction(id_tag_info=None),
    call_result.StopTransaction(id_tag_info=IdTagInfo(status="Invalid")),
    call_result.DataTransfer(status="Accepted", data='{"soc":"80"}'),
    call_result.DataTransfer(status="UnknownVendorId"),
    call_result.DiagnosticsStatusNotification(),
    call_result.FirmwareStatusNotification(),
]


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: type(r).__name__)
def test_payloads_are_what_the_ocpp_library_builds(result):
    assert handlers.as_payload(result) == snake_to_camel_case(remove_nones(serialize_as_dict(result)))


@pytest.fixture
def gc_state():
    before = gc.get_threshold()
    gcpolicy._counts.update(accepted=0, closed=0)
    yield
    gc.unfreeze()
    gc.set_threshold(*before)
    gcpolicy._counts.update(accepted=0, closed=0)


def test_thresholds_are_applied(gc_state):
    gcpolicy.configure({"GC_THRESHOLDS": "5000,20,50", "GC_FREEZE_SECONDS": 1})
    assert gc.get_threshold() == (5000, 20, 50)
    gcpolicy.configure({"GC_THRESHOLDS": "", "GC_FREEZE_SECONDS": 0})  # empty, no policy: left as it is
    assert gc.get_threshold() == (5000, 20, 50)
    with pytest.raises(ValueError, match="GC_THRESHOLDS"):
        gcpolicy.thresholds("700,-1")


def test_with_the_policy_on_only_its_timer_runs_full_collections(gc_state):
    gc.set_threshold(700, 10, 10)
    gcpolicy.configure({"GC_THRESHOLDS": "", "GC_FREEZE_SECONDS": 1})
    assert gc.get_threshold() == (700, 10, gcpolicy.NO_AUTOMATIC_FULL)  # Python's own full collections off

    class Cycle:
        pass

    gc.collect()
    gc.unfreeze()
    garbage = Cycle()
    garbage.me = garbage
    gc.collect(1)  # promoted to the oldest generation, where only a full collection looks
    del garbage
    gcpolicy._last_full[0] = 100.0
    assert gcpolicy.tick(collect_after_closes=0, full_every=60, now=150.0) is None  # not yet
    gc.collect(1)
    assert any(type(o) is Cycle for o in gc.get_objects())
    assert gcpolicy.tick(collect_after_closes=0, full_every=60, now=160.0) == "full"
    assert not any(type(o) is Cycle for o in gc.get_objects())
    assert gcpolicy.tick(collect_after_closes=0, full_every=60, now=161.0) is None
    assert gcpolicy.tick(collect_after_closes=0, full_every=0, now=10_000.0) is None  # 0: never


def test_booted_chargers_are_frozen_and_closed_ones_collected(gc_state):
    gc.unfreeze()
    assert gcpolicy.tick(collect_after_closes=3) is None  # nothing accepted: nothing to do
    gcpolicy.accepted()
    assert gcpolicy.tick(collect_after_closes=3) == "freeze"
    assert gc.get_freeze_count() > 0
    assert gcpolicy.tick(collect_after_closes=3) is None

    class Cycle:
        pass

    garbage = Cycle()
    garbage.me = garbage
    gcpolicy.accepted()
    gcpolicy.tick(collect_after_closes=3)  # frozen with the cycle still referenced
    del garbage
    frozen = gc.get_freeze_count()
    for _ in range(3):
        gcpolicy.closed()
    assert gcpolicy.tick(collect_after_closes=3) == "collect"
    assert not any(type(o) is Cycle for o in gc.get_objects())  # freed although it had been frozen
    assert gc.get_freeze_count() < frozen + 1000


def test_a_socket_counts_for_the_policy(raw, make_charger, gc_state):
    password = make_charger("HOT-GC")
    client = raw("HOT-GC", password)
    client.boot()
    wait_until(lambda: gcpolicy._counts["accepted"] == 1)
    client.close()
    wait_until(lambda: gcpolicy._counts["closed"] == 1)
    release_db()


def test_a_call_and_its_answer_are_one_queued_row(app, factory):
    from webapp.services.charging import writebehind

    charger_id = factory.charger(cp_id="HOT-LOG").id
    # Reading charger.id opened a transaction, and on SQLite that holds the write lock: the drain's insert
    # would wait out busy_timeout three times (90 s) and drop the row.
    db.session.commit()
    app.config["OCPP_LOG_FLUSH_SECONDS"] = 30  # batched: nothing is written before the drain
    writebehind.log_exchange(charger_id, "in", "Heartbeat", "1", "[2,\"1\",\"Heartbeat\",{}]", "[3,\"1\",{}]")
    flusher = app.extensions["chargeway_flushers"]["ocpp-log"]
    assert [row[1] for row in flusher._items] == ["in"]
    assert writebehind.drain_all(app)["ocpp-log"] == 1
    stored = db.session.execute(select(OcppMessage.direction, OcppMessage.payload, OcppMessage.answer)
                                .where(OcppMessage.charger_id == charger_id)).all()
    assert stored == [("in", "[2,\"1\",\"Heartbeat\",{}]", "[3,\"1\",{}]")]


def test_the_throttle_waits_for_a_redis_connection_instead_of_failing(app):
    """A storm of handshakes shares a bounded pool: past its size a check waits, it does not raise."""
    import threading

    import redis

    from tests.conftest import REDIS_URL, need

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        need(f"Redis at {REDIS_URL}")
    counters = charger_auth._Counters(REDIS_URL, 5, max_connections=1)
    failures = []

    def check():
        try:
            counters.count_many(["cw:ocpp-auth:test:a", "cw:ocpp-auth:test:b"])
        except redis.RedisError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_routes_of_sockets_opening_at_once_are_written_before_register_returns(app):
    import threading

    import redis

    from tests.conftest import REDIS_URL, need
    from webapp.services.platform.bus import RedisBus

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        need(f"Redis at {REDIS_URL}")
    app.config.update(REDIS_URL=REDIS_URL, NODE_ID="route-test")
    the_bus = RedisBus(app)

    class Conn:
        def __init__(self, cp_id):
            self.cp_id = cp_id

    conns = [Conn(f"ROUTE-{i}") for i in range(50)]
    seen = {}

    def open_(conn):
        the_bus.register(conn)
        seen[conn.cp_id] = the_bus.redis.get(f"cw:route:{conn.cp_id}")

    threads = [threading.Thread(target=open_, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {c.cp_id: the_bus.address for c in conns}
    for conn in conns:
        the_bus.unregister(conn)
    assert the_bus.redis.exists(*[f"cw:route:{c.cp_id}" for c in conns]) == 0
