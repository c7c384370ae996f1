"""The WebSocket handshake keeps a charger's password hash per process: a reconnect reads no row, and any
change that could change the answer (password set, removed or provisioned, id changed, charger deleted),
made on this node or announced by another through Redis, is seen at the very next handshake."""
import pytest
import redis
from sqlalchemy import event, update

from tests.conftest import REDIS_URL, need
from tests.support.handshake import handshake
from webapp.extensions import db
from webapp.models import Charger
from webapp.services.fleet import charger_auth, stations

OLD, NEW = "Factory-Key-2024-01", "Factory-Key-2024-02"


@pytest.fixture
def app_overrides():
    return {"REDIS_URL": REDIS_URL, "OCPP_AUTO_REGISTER": False}


@pytest.fixture
def r(app):
    try:
        conn = redis.Redis.from_url(REDIS_URL)
        conn.ping()
    except redis.RedisError:
        need(f"Redis at {REDIS_URL}")
    for key in conn.scan_iter("cw:ocpp-auth:*"):
        conn.delete(key)
    charger_auth._hashes.clear()
    yield conn
    charger_auth._hashes.clear()


@pytest.fixture
def charger_reads(app):
    """How many statements read the chargers table (the handshake's SELECT)."""
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM chargers" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_a_reconnect_with_nothing_changed_reads_no_row(factory, r, charger_reads):
    factory.charger(cp_id="HC-1", password=OLD)
    assert handshake("HC-1", OLD) is None
    assert len(charger_reads) == 1
    assert handshake("HC-1", OLD) is None
    assert handshake("HC-1", "Wrong-Key-2024-0001") == 401  # a wrong password is still refused from the cache
    assert len(charger_reads) == 1


def test_a_password_changed_on_this_node_is_checked_at_the_next_handshake(factory, r):
    charger = factory.charger(cp_id="HC-2", password=OLD)
    assert handshake("HC-2", OLD) is None
    token = r.get(charger_auth._token_key("HC-2"))
    stations.set_charger_password(charger, NEW)
    assert r.get(charger_auth._token_key("HC-2")) not in (None, token)  # announced to the other nodes
    assert handshake("HC-2", OLD) == 401
    assert handshake("HC-2", NEW) is None


def test_a_change_announced_by_another_node_is_seen_at_the_next_handshake(factory, r, app):
    factory.charger(cp_id="HC-3", password=OLD)
    assert handshake("HC-3", OLD) is None
    # Another node changes the password: its commit reaches the database (no event in this process) and
    # then its token reaches Redis.
    other = Charger(charge_point_id="x")
    other.set_password(NEW)
    db.session.execute(update(Charger).where(Charger.charge_point_id == "HC-3")
                       .values(password_hash=other.password_hash))
    db.session.info.pop(charger_auth._CHANGED, None)
    db.session.commit()
    r.set(charger_auth._token_key("HC-3"), "from-node-b")
    assert handshake("HC-3", OLD) == 401
    assert handshake("HC-3", NEW) is None


def test_a_removed_password_lets_the_charger_in_without_one(factory, r):
    charger = factory.charger(cp_id="HC-4", password=OLD, online=False)
    assert handshake("HC-4", None) == 401
    charger.set_password(None)
    db.session.commit()
    assert handshake("HC-4", None) is None


def test_a_deleted_charger_is_unknown_at_the_next_handshake(factory, r):
    charger = factory.charger(cp_id="HC-5", password=OLD, connectors=0)
    assert handshake("HC-5", OLD) is None
    db.session.delete(charger)
    db.session.commit()
    assert handshake("HC-5", OLD) == 401


def test_a_charger_renamed_frees_its_old_id(factory, r):
    charger = factory.charger(cp_id="HC-6", password=OLD)
    assert handshake("HC-6", OLD) is None
    charger.charge_point_id = "HC-6B"
    db.session.commit()
    assert handshake("HC-6", OLD) == 401
    assert handshake("HC-6B", OLD) is None


def test_a_rolled_back_change_announces_nothing(factory, r):
    charger = factory.charger(cp_id="HC-7", password=OLD)
    assert handshake("HC-7", OLD) is None
    token = r.get(charger_auth._token_key("HC-7"))
    charger.set_password(NEW)
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert r.get(charger_auth._token_key("HC-7")) == token
    assert handshake("HC-7", OLD) is None


def test_without_redis_every_handshake_reads_the_row(factory, app, charger_reads):
    app.config["REDIS_URL"] = None
    app.extensions.pop("charger_auth", None)
    factory.charger(cp_id="HC-8", password=OLD)
    assert handshake("HC-8", OLD) is None
    assert handshake("HC-8", OLD) is None
    assert len(charger_reads) == 2


def test_an_old_entry_is_read_again(factory, r, app, charger_reads):
    factory.charger(cp_id="HC-9", password=OLD)
    app.config["CHARGER_AUTH_CACHE_SECONDS"] = 0.000001
    assert handshake("HC-9", OLD) is None
    assert handshake("HC-9", OLD) is None
    assert len(charger_reads) == 2


def test_a_provisioned_key_is_announced(factory, r, app):
    from webapp.services.fleet import provisioning

    factory.charger(cp_id="HC-10", password=None)
    token = r.get(charger_auth._token_key("HC-10"))
    assert provisioning.provision("HC-10", lambda action, payload, timeout: {"status": "Accepted"})
    assert r.get(charger_auth._token_key("HC-10")) not in (None, token)
    assert handshake("HC-10", None) == 401


def test_a_charger_recreated_under_a_cached_id_is_checked_against_its_new_hash(factory, r):
    charger = factory.charger(cp_id="HC-11", password=OLD, connectors=0)
    assert handshake("HC-11", OLD) is None
    db.session.execute(db.delete(Charger).where(Charger.id == charger.id))  # gone without the ORM (a cascade)
    db.session.commit()
    db.session.expunge_all()
    factory.charger(cp_id="HC-11", password=NEW, connectors=0)
    assert handshake("HC-11", OLD) == 401
    assert handshake("HC-11", NEW) is None


def test_handshakes_arriving_together_share_one_select_and_one_redis_round_trip(factory, r, app, charger_reads,
                                                                                  monkeypatch):
    import threading

    from redis.client import Pipeline

    from tests.conftest import release_db

    for n in range(12):
        factory.charger(cp_id=f"HC-B{n}", password=OLD)
    db.session.commit()
    release_db()
    app.config["HANDSHAKE_BATCH_MS"] = 300  # a window wide enough for every thread to join the first batch
    pipelines = []
    real = Pipeline.execute
    monkeypatch.setattr(Pipeline, "execute", lambda self, *a, **kw: pipelines.append(len(self)) or real(self, *a, **kw))
    start, answers = threading.Barrier(12), {}

    def connect(n):
        with app.app_context():
            start.wait()
            answers[n] = handshake(f"HC-B{n}", OLD if n else "Wrong-Key-2024-0001")
            db.session.remove()

    threads = [threading.Thread(target=connect, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == {0: 401, **{n: None for n in range(1, 12)}}  # each still decided on its own row
    assert len(charger_reads) == 1
    # One read for all: per charger GET and TTL of its id's and its address's failure counters, and its token;
    # then only the wrong password's two failure counts (INCR and EXPIRE of each).
    assert pipelines == [12 * 5, 2, 2]
