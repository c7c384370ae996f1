"""Opened and closed sockets go through the group commit boot and status use (services/fleet/presence.py,
services/charging/writebehind.py): the same rules as one-by-one `chargers.connected` (the socket owns its
charger, offline until it boots) and `chargers.disconnected` (a charger a newer socket owns stays online), and a node whose sockets all close at once needs one pool connection per batch,
not one per socket (the first pass saw 3,088 pool timeouts leave chargers marked online)."""
import threading

import pytest
from sqlalchemy import event

from webapp.extensions import db
from webapp.models import Charger, ChargerEvent
from webapp.services.charging import writebehind
from webapp.services.fleet import presence

BURST = 60


@pytest.fixture
def app_overrides():
    # A pool far smaller than the burst, and a short wait for it: one connection per closing socket would
    # time out.
    return {"STATUS_BATCH_MS": 20, "DB_POOL_SIZE": 2, "DB_MAX_OVERFLOW": 0, "DB_POOL_TIMEOUT": 1}


def _online(factory, cp_id, connection_id):
    charger = factory.charger(cp_id=cp_id, connectors=1, online=True)
    charger.connection_id, charger.node_id = connection_id, "node-a"
    db.session.commit()
    return charger


def _offline_events(charger):
    return db.session.execute(db.select(ChargerEvent.detail).where(ChargerEvent.charger_id == charger.id,
                                                                   ChargerEvent.kind == "offline")).scalars().all()


def test_a_batch_takes_offline_only_the_chargers_their_sockets_own(app, factory):
    mine, taken = _online(factory, "DB-MINE", "sock-1"), _online(factory, "DB-TAKEN", "sock-new")
    answers = presence.record_disconnects([presence.Disconnect("DB-MINE", "sock-1", "socket closed"),
                                           presence.Disconnect("DB-TAKEN", "sock-old", "socket closed"),
                                           presence.Disconnect("DB-NOBODY", "sock-9", "socket closed")])
    db.session.commit()
    assert answers == [True, False, False]
    db.session.expire_all()
    assert (mine.online, mine.connection_id, mine.node_id) == (False, None, None)
    assert (taken.online, taken.connection_id, taken.node_id) == (True, "sock-new", "node-a")
    assert _offline_events(mine) == ["socket closed"] and _offline_events(taken) == []


def test_an_old_and_a_new_socket_of_one_charger_closing_in_one_batch(app, factory):
    charger = _online(factory, "DB-TWICE", "sock-new")
    answers = presence.record_disconnects([presence.Disconnect("DB-TWICE", "sock-old", "replaced"),
                                           presence.Disconnect("DB-TWICE", "sock-new", "socket closed")])
    db.session.commit()
    assert answers == [False, True]
    db.session.expire_all()
    assert (charger.online, charger.connection_id) == (False, None)
    assert _offline_events(charger) == ["socket closed"]


def test_a_batch_of_opened_sockets_owns_their_chargers_offline_until_boot(app, factory):
    was_online = _online(factory, "DB-BACK", "sock-dead")
    idle = factory.charger(cp_id="DB-IDLE", connectors=1, online=False)
    answers = presence.record_connects([presence.Connect("DB-BACK", "sock-1", "node-b"),
                                        presence.Connect("DB-IDLE", "sock-2", "node-b"),
                                        presence.Connect("DB-NOBODY", "sock-3", "node-b"),
                                        presence.Connect("DB-IDLE", "sock-4", "node-c")])  # the later socket wins
    db.session.commit()
    assert answers == [(was_online.id, "Accepted"), (idle.id, "Accepted"), None, (idle.id, "Accepted")]
    db.session.expire_all()
    assert (was_online.online, was_online.connection_id, was_online.node_id) == (False, "sock-1", "node-b")
    assert (idle.online, idle.connection_id, idle.node_id) == (False, "sock-4", "node-c")
    assert was_online.last_seen is not None and idle.last_seen is not None
    assert _offline_events(was_online) == ["a new socket opened: online again once it boots"]
    assert _offline_events(idle) == []


def test_the_connect_goes_through_the_group_commit(app, factory):
    charger = factory.charger(cp_id="DB-GC", connectors=1)
    charger.registration_status = "Pending"
    db.session.commit()
    assert writebehind.connected(presence.Connect("DB-GC", "sock-1", "node-a")) == (charger.id, "Pending")
    assert "connect" in app.extensions["chargeway_flushers"]
    db.session.expire_all()
    assert charger.connection_id == "sock-1"


def test_a_burst_of_disconnects_marks_every_charger_offline_on_a_small_pool(app, factory):
    ids = [_online(factory, f"DB-{n:03}", f"sock-{n}").id for n in range(BURST)]
    db.session.remove()
    checkouts = []

    def counted(*args):
        checkouts.append(1)

    event.listen(db.engine, "checkout", counted)
    answers, errors, start = {}, [], threading.Barrier(BURST)

    def close(n):
        with app.app_context():
            start.wait()
            try:
                answers[n] = writebehind.disconnected(presence.Disconnect(f"DB-{n:03}", f"sock-{n}", "socket closed"))
            except Exception as exc:  # a pool timeout would land here
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close, args=(n,)) for n in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    event.remove(db.engine, "checkout", counted)
    assert errors == [] and answers == {n: True for n in range(BURST)}
    assert "disconnect" in app.extensions["chargeway_flushers"]  # through the group commit
    assert len(checkouts) < BURST // 4  # a connection per batch, not per socket
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count()).select_from(Charger)
                              .where(Charger.online.is_(True))).scalar() == 0
    assert all(_offline_events(db.session.get(Charger, i)) == ["socket closed"] for i in ids)
