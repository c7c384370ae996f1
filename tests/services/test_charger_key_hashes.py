"""A charger key we generated (117 random bits) is stored under a fast salted hash; one staff typed (a factory
key, maybe guessable) under the slow default. The slow check runs in gevent's native threads under gevent."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Charger
from webapp.services.fleet import charger_auth, chargers, provisioning, stations

FAST, SLOW = "pbkdf2:sha256:1$", "scrypt:"


def _hash(cp_id):
    db.session.rollback()
    return db.session.execute(select(Charger.password_hash).where(Charger.charge_point_id == cp_id)).scalar_one()


def test_generated_keys_get_the_fast_hash_and_typed_ones_the_slow(app, factory):
    station = factory.station()
    db.session.commit()
    _, generated = stations.add_charger(station.id, "KEY-GEN-1")
    assert _hash("KEY-GEN-1").startswith(FAST)
    assert chargers.password_check("KEY-GEN-1", generated) is True
    wrong = generated[:-1] + ("y" if generated.endswith("x") else "x")  # one character off, never the key itself
    assert chargers.password_check("KEY-GEN-1", wrong) is False

    stations.add_charger(station.id, "KEY-TYPED-1", password="factory-key-12345")
    assert _hash("KEY-TYPED-1").startswith(SLOW)
    assert chargers.password_check("KEY-TYPED-1", "factory-key-12345") is True


def test_a_rotated_key_and_a_provisioned_one_are_generated(app, factory):
    typed = factory.charger(cp_id="KEY-ROT-1", password="factory-key-12345", online=False)
    factory.charger(cp_id="KEY-PROV-1", password=None)
    db.session.commit()
    assert _hash("KEY-ROT-1").startswith(SLOW)
    key = provisioning.rotate(db.session.get(Charger, typed.id)).password
    assert _hash("KEY-ROT-1").startswith(FAST) and chargers.password_check("KEY-ROT-1", key)

    sent = []
    assert provisioning.provision("KEY-PROV-1", lambda action, payload, timeout: sent.append(payload) or
                                  {"status": "Accepted"}) is True
    assert _hash("KEY-PROV-1").startswith(FAST)
    assert chargers.password_check("KEY-PROV-1", sent[0]["value"]) is True


def test_under_gevent_the_slow_check_runs_in_a_native_thread(app, factory, monkeypatch):
    factory.charger(cp_id="KEY-POOL-1", password="factory-key-12345")
    db.session.commit()
    ran = []

    class Pool:  # what gevent's hub.threadpool offers: apply(fn, args)
        def apply(self, fn, args):
            ran.append(fn)
            return fn(*args)

    monkeypatch.setattr(charger_auth, "_native_pool", lambda: Pool())
    charger_auth._verified.clear()
    assert charger_auth.check("KEY-POOL-1", "KEY-POOL-1", "factory-key-12345", "10.1.1.1") is None
    assert ran == [charger_auth.check_password_hash]
    db.session.rollback()
    assert charger_auth.check("KEY-POOL-1", "KEY-POOL-1", "factory-key-12345", "10.1.1.1") is None
    assert len(ran) == 1  # verified once per process: the next handshake derives nothing
    db.session.rollback()

    _, generated = stations.add_charger(factory.station().id, "KEY-POOL-2")
    assert charger_auth.check("KEY-POOL-2", "KEY-POOL-2", generated, "10.1.1.1") is None
    assert len(ran) == 1  # a generated key's fast hash is checked on the spot: a thread would cost more
    db.session.rollback()


def test_outside_gevent_there_is_no_native_pool(app):
    assert charger_auth._native_pool() is None  # the test process is not monkey-patched
